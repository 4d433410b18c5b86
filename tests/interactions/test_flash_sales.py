from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.interactions.helpers import buy, get_sale, launch_sale, next_of_type
from tests.live.helpers import ChannelListener
from tests.orders.shop import (
    buyer_with_address,
    create_listing,
    get_order,
    jobs,
    open_stage,
    pay,
    start_payment,
    stock_of,
    tick,
)
from tests.team.helpers import hire


async def test_launch_takes_units_from_the_sku_and_is_announced(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10, price_cents=9900)
    stage = await open_stage(client, [listing], live_price_cents=8800)
    async with ChannelListener(runtime, stage.session_id) as room:
        sale = await launch_sale(client, stage, listing, units=4, price_cents=990)
        message = await next_of_type(room, "flash_sale")
    assert sale["status"] == "running"
    assert (sale["units_total"], sale["units_left"], sale["per_buyer_limit"]) == (4, 4, 1)
    assert (sale["price_cents"], sale["original_price_cents"]) == (990, 8800)
    assert sale["title"] == "羊毛围巾"
    assert message["type"] == "flash_sale"
    assert message["sale"]["id"] == sale["id"]
    assert message["sale"]["server_now"] is not None
    assert await stock_of(client, listing) == 6
    [job] = await jobs(runtime, "flash_sale.close")
    assert job.payload == {"sale_id": sale["id"]}

    # One sale at a time per session.
    again = await launch_sale(client, stage, listing, expect=409)
    assert again["code"] == "flash_sale_running"


async def test_who_may_launch_and_what(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=3)
    other = await create_listing(client, stock=3, title="别的商品")
    stage = await open_stage(client, [listing])
    viewer = await sign_up(client)
    stranger = await sign_up(client, "host")
    denied_viewer = await launch_sale(client, stage, listing, host=viewer, expect=403)
    assert denied_viewer["code"] == "role_required"
    denied = await launch_sale(client, stage, listing, host=stranger, expect=403)
    assert denied["code"] == "not_room_host"
    assert (await launch_sale(client, stage, other, expect=409))["code"] == "not_in_showcase"
    too_many = await launch_sale(client, stage, listing, units=4, expect=409)
    assert too_many["code"] == "out_of_stock"
    response = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/flash-sales",
        headers=stage.host.headers,
        json={"product_id": listing.product_id, "sku_id": listing.sku_id, "units": 0},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    missing = await client.post(
        "/api/v1/live-sessions/" + "0" * 32 + "/flash-sales",
        headers=stage.host.headers,
        json={
            "product_id": listing.product_id,
            "sku_id": listing.sku_id,
            "price_cents": 1,
            "units": 1,
        },
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "live_session_not_found")


async def test_buying_is_idempotent_limited_per_buyer_and_never_oversells(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=2, price_cents=990)
    first, _ = await buyer_with_address(client, "小明")
    second, _ = await buyer_with_address(client, "小红")
    third, _ = await buyer_with_address(client, "小刚")

    async with ChannelListener(runtime, stage.session_id) as room:
        order = (await buy(client, first, sale["id"], key="k-1")).json()
        assert (order["total_cents"], order["flash_sale_id"], order["status"]) == (
            990,
            sale["id"],
            "pending_payment",
        )
        # The same click again: the same order, no second unit.
        repeat = await buy(client, first, sale["id"], key="k-1", expect=200)
        assert repeat.json()["id"] == order["id"]
        # A new click by the same buyer: over the per-buyer limit.
        over = await buy(client, first, sale["id"], key="k-2", expect=409)
        assert over.json()["code"] == "buyer_limit_reached"
        assert (await get_sale(client, sale["id"]))["units_left"] == 1

        await buy(client, second, sale["id"], key="k-3")
        sold_out = await buy(client, third, sale["id"], key="k-4", expect=409)
        assert sold_out.json()["code"] == "sold_out"
        # While the sale is known sold out, a retried click still finds its order.
        retried = await buy(client, first, sale["id"], key="k-1", expect=200)
        assert retried.json()["id"] == order["id"]
        again = await buy(client, third, sale["id"], key="k-4", expect=409)
        assert again.json()["code"] == "sold_out"
        state = await get_sale(client, sale["id"])
        assert (state["units_left"], state["status"]) == (0, "sold_out")
        assert state["sold_out_at"] is not None
        await asyncio.sleep(0.7)  # past the stock throttle
        stock_messages = room.of_type("flash_sale_stock")
    assert stock_messages[0]["left"] in (0, 1)
    assert {"type": "flash_sale_stock", "sale_id": sale["id"], "left": 0, "sold_out": True} == {
        key: value for key, value in stock_messages[-1].items() if key != "server_now"
    }
    assert any(message["sold_out"] for message in stock_messages)
    # The SKU's own stock never moved after launch.
    assert await stock_of(client, listing) == 8


async def test_concurrent_buyers_take_exactly_the_units_offered(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=5)
    buyers = [(await buyer_with_address(client))[0] for _ in range(12)]
    responses = await asyncio.gather(
        *[
            buy(client, buyer, sale["id"], key=f"r-{index}", expect=None)
            for index, buyer in enumerate(buyers)
        ],
        *[
            buy(client, buyer, sale["id"], key=f"r-{index}", expect=None)
            for index, buyer in enumerate(buyers)
        ],
    )
    created = {
        response.json()["id"] for response in responses if response.status_code in (200, 201)
    }
    codes = sorted(
        response.json().get("code", "ok") for response in responses if response.status_code == 409
    )
    assert len(created) == 5
    assert set(codes) == {"sold_out"}
    assert (await get_sale(client, sale["id"]))["units_left"] == 0


async def test_countdown_and_end(client: httpx.AsyncClient, runtime: Runtime) -> None:
    listing = await create_listing(client, stock=10)
    stage = await open_stage(client, [listing])
    buyer, _ = await buyer_with_address(client)
    sale = await launch_sale(client, stage, listing, units=3, starts_in_s=60, duration_s=30)
    assert sale["status"] == "scheduled"
    early = await buy(client, buyer, sale["id"], expect=409)
    assert early.json()["code"] == "flash_sale_not_started"
    clock.advance(timedelta(seconds=61))
    order = (await buy(client, buyer, sale["id"])).json()
    await pay(client, buyer, order["id"])
    clock.advance(timedelta(seconds=30))
    late = await buy(client, (await buyer_with_address(client))[0], sale["id"], expect=409)
    assert late.json()["code"] == "flash_sale_ended"

    async with ChannelListener(runtime, stage.session_id) as room:
        assert await tick(runtime) >= 1
        message = await next_of_type(room, "flash_sale")
    assert (message["type"], message["sale"]["status"]) == ("flash_sale", "ended")
    ended = await get_sale(client, sale["id"])
    assert (ended["status"], ended["units_left"]) == ("ended", 0)
    # Two unsold units went back to the SKU.
    assert await stock_of(client, listing) == 9
    results = await client.get(
        f"/api/v1/flash-sales/{sale['id']}/results", headers=stage.host.headers
    )
    assert results.status_code == 200
    body = results.json()
    assert (body["units_sold"], body["buyers"], body["gmv_cents"]) == (1, 1, 990)
    assert (body["units_returned"], body["units_left"], body["sold_out_at"]) == (2, 0, None)
    denied = await client.get(f"/api/v1/flash-sales/{sale['id']}/results", headers=buyer.headers)
    assert denied.status_code == 403
    # The room's 场控 runs the sale and sees its units and buyers, never its money.
    moderator = await sign_up(client, name="场控")
    await hire(client, stage.host, stage.room_id, "moderator", moderator)
    seen = await client.get(f"/api/v1/flash-sales/{sale['id']}/results", headers=moderator.headers)
    assert seen.status_code == 200
    assert (seen.json()["units_sold"], seen.json()["buyers"], seen.json()["gmv_cents"]) == (
        1,
        1,
        None,
    )


async def test_host_ends_early_and_sold_out_time_is_reported(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=1)
    buyer, _ = await buyer_with_address(client)
    clock.advance(timedelta(seconds=3))
    order = (await buy(client, buyer, sale["id"])).json()
    await pay(client, buyer, order["id"])
    ended = await client.post(f"/api/v1/flash-sales/{sale['id']}/end", headers=stage.host.headers)
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    again = await client.post(f"/api/v1/flash-sales/{sale['id']}/end", headers=stage.host.headers)
    assert (again.status_code, again.json()["code"]) == (409, "flash_sale_ended")
    results = (
        await client.get(f"/api/v1/flash-sales/{sale['id']}/results", headers=stage.host.headers)
    ).json()
    assert results["units_sold"] == 1
    assert results["sell_out_seconds"] is not None
    assert results["sell_out_seconds"] >= 3


async def test_unpaid_orders_expire_fast_and_units_return_to_the_sale(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=1, duration_s=600)
    buyer, _ = await buyer_with_address(client)
    other, _ = await buyer_with_address(client)
    order = (await buy(client, buyer, sale["id"], key="a")).json()
    payment_id = await start_payment(client, buyer, order["id"])
    assert (await buy(client, other, sale["id"], expect=409)).json()["code"] == "sold_out"

    clock.advance(timedelta(seconds=121))
    await asyncio.sleep(1.1)  # the sold-out answer is cached for a second
    assert await tick(runtime) == 1
    expired = await get_order(client, buyer, order["id"])
    assert (expired["status"], expired["cancel_reason"]) == ("cancelled", "payment_timeout")
    assert (await get_sale(client, sale["id"]))["units_left"] == 1

    # The late payment is refunded; the unit stays with the sale, and goes to someone else.
    late = await client.post(
        f"/api/v1/payments/{payment_id}/sandbox-confirm",
        headers=buyer.headers,
        json={"outcome": "succeed"},
    )
    assert late.status_code == 200
    assert (late.json()["status"], late.json()["order_status"]) == ("refunded", "cancelled")
    assert (await get_sale(client, sale["id"]))["units_left"] == 1
    second = (await buy(client, other, sale["id"])).json()
    assert (await pay(client, other, second["id"]))["status"] == "succeeded"
    # The first buyer's limit was given back with the unit.
    assert (await buy(client, buyer, sale["id"], expect=409)).json()["code"] == "sold_out"
    assert await stock_of(client, listing) == 4


async def test_buying_needs_an_address_and_a_real_sale(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=2)
    homeless = await sign_up(client)
    response = await buy(client, homeless, sale["id"], expect=409)
    assert response.json()["code"] == "address_required"
    buyer, _ = await buyer_with_address(client)
    missing = await buy(client, buyer, "0" * 32, expect=404)
    assert missing.json()["code"] == "flash_sale_not_found"
    anonymous = await client.post(f"/api/v1/flash-sales/{sale['id']}/buy")
    assert anonymous.status_code == 401
    too_many = await buy(client, buyer, sale["id"], quantity=2, expect=422)
    assert too_many.json()["code"] == "over_buyer_limit"


async def test_server_time(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/time")
    assert response.status_code == 200
    assert response.json()["server_now"].endswith("Z") or "+00:00" in response.json()["server_now"]


async def test_no_buying_once_the_session_is_off_air(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=2)
    ended = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/end", headers=stage.host.headers
    )
    assert ended.status_code == 200, ended.text
    buyer, _ = await buyer_with_address(client)
    response = await buy(client, buyer, sale["id"], expect=409)
    assert response.json()["code"] == "session_not_live"
