"""Ship, confirm receipt, refund: who may, from which state, and what moves with it."""

from __future__ import annotations

from typing import Any

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.orders.shop import (
    Listing,
    buyer_with_address,
    create_listing,
    get_order,
    jobs,
    make_admin,
    pay,
    place_order,
    stock_of,
    tick,
)

SHIPMENT = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}


async def _paid_order(
    client: httpx.AsyncClient, quantity: int = 1
) -> tuple[Listing, Account, dict[str, Any], dict[str, Any]]:
    listing = await create_listing(client, stock=10)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, quantity=quantity)
    payment = await pay(client, buyer, order["id"])
    assert payment["status"] == "succeeded"
    return listing, buyer, order, payment


async def _post(
    client: httpx.AsyncClient, account: Account, path: str, json: Any = None
) -> httpx.Response:
    return await client.post(f"/api/v1{path}", headers=account.headers, json=json)


async def test_ship_only_by_the_orders_merchant_once_paid(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=10)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    path = f"/orders/{order['id']}/ship"

    unpaid = await _post(client, listing.merchant, path, SHIPMENT)
    assert unpaid.status_code == 409
    assert unpaid.json()["code"] == "invalid_order_state"
    await pay(client, buyer, order["id"])

    viewer = await _post(client, buyer, path, SHIPMENT)
    assert viewer.status_code == 403
    assert viewer.json()["code"] == "role_required"
    other_merchant = await _post(client, await sign_up(client, "merchant"), path, SHIPMENT)
    assert other_merchant.status_code == 404
    assert other_merchant.json()["code"] == "order_not_found"
    blank = await _post(client, listing.merchant, path, {"carrier": " ", "tracking_number": "1"})
    assert blank.status_code == 422

    shipped = await _post(client, listing.merchant, path, SHIPMENT)
    assert shipped.status_code == 200
    body = shipped.json()
    assert body["status"] == "shipped"
    assert body["carrier"] == "顺丰速运"
    assert body["tracking_number"] == "SF1234567890"
    assert body["shipped_at"] is not None
    assert (await get_order(client, buyer, order["id"]))["status"] == "shipped"

    again = await _post(client, listing.merchant, path, SHIPMENT)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_order_state"


async def test_admin_may_read_but_not_ship(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, _, order, _ = await _paid_order(client)
    admin = await make_admin(runtime)
    response = await _post(client, admin, f"/orders/{order['id']}/ship", SHIPMENT)
    assert response.status_code == 403
    assert response.json()["code"] == "not_order_merchant"


async def test_buyer_confirms_receipt_of_a_shipped_order(client: httpx.AsyncClient) -> None:
    listing, buyer, order, _ = await _paid_order(client)
    path = f"/orders/{order['id']}/confirm-receipt"
    early = await _post(client, buyer, path)
    assert early.status_code == 409
    assert early.json()["code"] == "invalid_order_state"
    assert (
        await _post(client, listing.merchant, f"/orders/{order['id']}/ship", SHIPMENT)
    ).is_success

    by_merchant = await _post(client, listing.merchant, path)
    assert by_merchant.status_code == 403
    assert by_merchant.json()["code"] == "not_order_buyer"
    by_stranger = await _post(client, await sign_up(client), path)
    assert by_stranger.status_code == 404

    done = await _post(client, buyer, path)
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert done.json()["completed_at"] is not None
    twice = await _post(client, buyer, path)
    assert twice.status_code == 409
    refund = await _post(client, listing.merchant, f"/orders/{order['id']}/refund")
    assert refund.status_code == 409
    assert refund.json()["code"] == "invalid_order_state"


async def test_merchant_refunds_shipped_order_stock_and_payment_follow(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing, buyer, order, payment = await _paid_order(client, quantity=3)
    assert await stock_of(client, listing) == 7
    assert (
        await _post(client, listing.merchant, f"/orders/{order['id']}/ship", SHIPMENT)
    ).is_success
    path = f"/orders/{order['id']}/refund"

    by_buyer = await _post(client, buyer, path)
    assert by_buyer.status_code == 403
    assert by_buyer.json()["code"] == "role_required"
    by_other = await _post(client, await sign_up(client, "merchant"), path)
    assert by_other.status_code == 404

    refunded = await _post(client, listing.merchant, path)
    assert refunded.status_code == 200
    assert refunded.json()["status"] == "refunded"
    assert refunded.json()["refunded_at"] is not None
    assert await stock_of(client, listing) == 10
    shown = await client.get(f"/api/v1/payments/{payment['id']}", headers=buyer.headers)
    assert shown.json()["status"] == "refunded"
    assert shown.json()["order_status"] == "refunded"

    twice = await _post(client, listing.merchant, path)
    assert twice.status_code == 409
    assert twice.json()["code"] == "invalid_order_state"
    assert await stock_of(client, listing) == 10

    # The provider is asked to move the money back by the worker.
    [refund_job] = await jobs(runtime, "payment.refund")
    assert refund_job.payload == {
        "payment_id": payment["id"],
        "amount_cents": payment["amount_cents"],
    }
    assert await tick(runtime) == 1
    [refund_job] = await jobs(runtime, "payment.refund")
    assert refund_job.status == "done"


async def test_admin_refunds_a_paid_order_but_not_a_pending_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing, buyer, order, _ = await _paid_order(client)
    admin = await make_admin(runtime)
    response = await _post(client, admin, f"/orders/{order['id']}/refund")
    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    assert await stock_of(client, listing) == 10

    addresses = await client.get("/api/v1/addresses", headers=buyer.headers)
    pending = await place_order(client, buyer, addresses.json()["items"][0]["id"], listing)
    response = await _post(client, admin, f"/orders/{pending['id']}/refund")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_order_state"
