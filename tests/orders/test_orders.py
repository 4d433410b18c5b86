from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from livecommerce.kit.runtime import Runtime
from livecommerce.models import Order
from tests.factories import sign_up
from tests.orders.shop import (
    behaviour_events,
    buyer_with_address,
    count_jobs,
    count_rows,
    create_listing,
    get_order,
    jobs,
    make_admin,
    place_order,
    stock_of,
)


async def test_place_order_reserves_stock_and_sets_a_timer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, price_cents=4990, stock=10, spec={"颜色": "蓝"})
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, quantity=3)

    assert order["status"] == "pending_payment"
    assert order["buyer_id"] == buyer.id
    assert order["merchant_id"] == listing.merchant.id
    assert order["currency"] == "CNY"
    assert order["subtotal_cents"] == 14970
    assert order["discount_cents"] == 0
    assert order["total_cents"] == 14970
    assert order["items"] == [
        {
            "product_id": listing.product_id,
            "sku_id": listing.sku_id,
            "title": "羊毛围巾",
            "spec": {"颜色": "蓝"},
            "unit_price_cents": 4990,
            "quantity": 3,
            "line_total_cents": 14970,
        }
    ]
    assert order["session_id"] is None
    assert order["room_id"] is None
    assert order["host_id"] is None
    assert order["shipping_address"] == {
        "recipient": "张三",
        "phone": "13800000000",
        "region": "浙江省 杭州市 西湖区",
        "line1": "龙井路 1 号",
        "postal_code": "310000",
    }
    created = datetime.fromisoformat(order["created_at"])
    expires = datetime.fromisoformat(order["expires_at"])
    assert expires - created == timedelta(seconds=900)
    assert order["paid_at"] is None
    assert order["shipped_at"] is None
    assert order["carrier"] is None
    assert order["tracking_number"] is None
    assert await stock_of(client, listing) == 7

    [job] = await jobs(runtime, "order.expire")
    assert job.payload == {"order_id": order["id"]}
    assert job.run_at == expires
    assert job.status == "pending"
    [event] = await behaviour_events(runtime, "order")
    assert (event.user_id, event.order_id, event.product_id, event.value) == (
        buyer.id,
        order["id"],
        listing.product_id,
        14970,
    )
    assert event.session_id is None


@pytest.mark.parametrize("quantity", [0, 100, -1])
async def test_quantity_must_be_1_to_99(client: httpx.AsyncClient, quantity: int) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    response = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={"sku_id": listing.sku_id, "quantity": quantity, "address_id": address_id},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert await stock_of(client, listing) == 10


async def test_order_needs_own_address_known_sku_and_sale(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    stranger, stranger_address = await buyer_with_address(client)

    body = await place_order(client, buyer, stranger_address, listing, expect=404)
    assert body["code"] == "address_not_found"
    body = await place_order(
        client,
        buyer,
        address_id,
        type(listing)(listing.merchant, listing.product_id, "0" * 32, 1),
        expect=404,
    )
    assert body["code"] == "sku_not_found"

    draft = await create_listing(client, merchant=listing.merchant, status="draft")
    body = await place_order(client, buyer, address_id, draft, expect=409)
    assert body["code"] == "product_not_on_sale"
    assert await stock_of(client, draft) == 10

    anonymous = await client.post(
        "/api/v1/orders",
        json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
    )
    assert anonymous.status_code == 401
    assert stranger.id != buyer.id


async def test_out_of_stock_is_409_and_takes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=2)
    buyer, address_id = await buyer_with_address(client)
    body = await place_order(client, buyer, address_id, listing, quantity=3, expect=409)
    assert body["code"] == "out_of_stock"
    assert await stock_of(client, listing) == 2
    assert await count_rows(runtime, Order) == 0
    assert await count_jobs(runtime) == 0
    await place_order(client, buyer, address_id, listing, quantity=2)
    assert await stock_of(client, listing) == 0
    body = await place_order(client, buyer, address_id, listing, quantity=1, expect=409)
    assert body["code"] == "out_of_stock"


async def test_order_lists_newest_first_with_status_filter(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    other, other_address = await buyer_with_address(client)
    first = await place_order(client, buyer, address_id, listing)
    second = await place_order(client, buyer, address_id, listing)
    third = await place_order(client, buyer, address_id, listing)
    theirs = await place_order(client, other, other_address, listing)
    cancel = await client.post(f"/api/v1/orders/{second['id']}/cancel", headers=buyer.headers)
    assert cancel.status_code == 200

    mine = await client.get("/api/v1/orders", headers=buyer.headers)
    assert [order["id"] for order in mine.json()["items"]] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    pending = await client.get(
        "/api/v1/orders", headers=buyer.headers, params={"status": "pending_payment"}
    )
    assert [order["id"] for order in pending.json()["items"]] == [third["id"], first["id"]]
    cancelled = await client.get(
        "/api/v1/orders", headers=buyer.headers, params={"status": "cancelled"}
    )
    assert [order["id"] for order in cancelled.json()["items"]] == [second["id"]]
    bad = await client.get("/api/v1/orders", headers=buyer.headers, params={"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_failed"

    merchant = await client.get("/api/v1/merchant/orders", headers=listing.merchant.headers)
    assert [order["id"] for order in merchant.json()["items"]] == [
        theirs["id"],
        third["id"],
        second["id"],
        first["id"],
    ]
    merchant_pending = await client.get(
        "/api/v1/merchant/orders",
        headers=listing.merchant.headers,
        params={"status": "cancelled"},
    )
    assert [order["id"] for order in merchant_pending.json()["items"]] == [second["id"]]
    other_merchant = await sign_up(client, "merchant")
    empty = await client.get("/api/v1/merchant/orders", headers=other_merchant.headers)
    assert empty.json()["items"] == []
    viewer = await client.get("/api/v1/merchant/orders", headers=buyer.headers)
    assert viewer.status_code == 403
    assert viewer.json()["code"] == "role_required"


async def test_who_may_read_an_order(client: httpx.AsyncClient, runtime: Runtime) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    assert (await get_order(client, buyer, order["id"]))["id"] == order["id"]
    assert (await get_order(client, listing.merchant, order["id"]))["id"] == order["id"]
    assert (await get_order(client, await make_admin(runtime), order["id"]))["id"] == order["id"]
    for outsider in (await sign_up(client), await sign_up(client, "merchant")):
        response = await client.get(f"/api/v1/orders/{order['id']}", headers=outsider.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "order_not_found"
    missing = await client.get(f"/api/v1/orders/{'f' * 32}", headers=buyer.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "order_not_found"


async def test_buyer_cancels_pending_order_and_stock_returns(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=5)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, quantity=2)
    assert await stock_of(client, listing) == 3

    by_merchant = await client.post(
        f"/api/v1/orders/{order['id']}/cancel", headers=listing.merchant.headers
    )
    assert by_merchant.status_code == 403
    assert by_merchant.json()["code"] == "not_order_buyer"
    by_stranger = await client.post(
        f"/api/v1/orders/{order['id']}/cancel", headers=(await sign_up(client)).headers
    )
    assert by_stranger.status_code == 404

    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancel_reason"] == "buyer_cancelled"
    assert body["cancelled_at"] is not None
    assert await stock_of(client, listing) == 5

    again = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_order_state"
    assert await stock_of(client, listing) == 5


async def test_idempotency_key_returns_the_first_order(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10)
    buyer, address_id = await buyer_with_address(client)
    first = await place_order(client, buyer, address_id, listing, quantity=2, key="buy-1")
    again = await place_order(
        client, buyer, address_id, listing, quantity=2, key="buy-1", expect=200
    )
    assert again["id"] == first["id"]
    assert await stock_of(client, listing) == 8
    # Another buyer's identical key is a different order.
    other, other_address = await buyer_with_address(client)
    theirs = await place_order(client, other, other_address, listing, quantity=1, key="buy-1")
    assert theirs["id"] != first["id"]
    assert await stock_of(client, listing) == 7
    assert await count_rows(runtime, Order) == 2
    assert len(await jobs(runtime, "order.expire")) == 2
    assert len(await behaviour_events(runtime, "order")) == 2

    response = await client.post(
        "/api/v1/orders",
        headers={**buyer.headers, "Idempotency-Key": "k" * 65},
        json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "bad_idempotency_key"
