from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.interactions.helpers import next_of_type
from tests.live.helpers import ChannelListener
from tests.orders.shop import (
    Listing,
    buyer_with_address,
    create_listing,
    get_order,
    open_stage,
    tick,
)


async def issue(
    client: httpx.AsyncClient,
    issuer: Account,
    *,
    expect: int = 201,
    drop_in: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    """A coupon; with ``drop_in`` (a live session) the host hands it out there too."""
    payload = {
        "title": "满100减20",
        "audience": "room",
        "discount_kind": "amount",
        "amount_off_cents": 2000,
        "min_spend_cents": 10000,
        "ends_at": (utcnow() + timedelta(days=1)).isoformat(),
        "total_limit": 10,
        **body,
    }
    response = await client.post("/api/v1/coupons", headers=issuer.headers, json=payload)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    if drop_in is not None:
        dropped = await client.post(
            f"/api/v1/live-sessions/{drop_in}/coupons/{result['id']}/drop", headers=issuer.headers
        )
        assert dropped.status_code == 200, dropped.text
        result = dropped.json()
    return result


async def claim(
    client: httpx.AsyncClient, account: Account, coupon_id: str, expect: int | None = 201
) -> httpx.Response:
    response = await client.post(f"/api/v1/coupons/{coupon_id}/claim", headers=account.headers)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def checkout(
    client: httpx.AsyncClient,
    buyer: Account,
    address_id: str,
    listing: Listing,
    claim_ids: list[str],
    *,
    session_id: str | None = None,
    quantity: int = 1,
) -> httpx.Response:
    return await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={
            "sku_id": listing.sku_id,
            "quantity": quantity,
            "address_id": address_id,
            "session_id": session_id,
            "coupon_claim_ids": claim_ids,
        },
    )


async def test_room_coupon_is_dropped_claimed_applied_and_given_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10, price_cents=6000)
    stage = await open_stage(client, [listing])
    coupon = await issue(client, stage.host)
    assert (coupon["audience"], coupon["room_id"], coupon["claimed_count"]) == (
        "room",
        stage.room_id,
        0,
    )
    async with ChannelListener(runtime, stage.session_id) as room:
        dropped = await client.post(
            f"/api/v1/live-sessions/{stage.session_id}/coupons/{coupon['id']}/drop",
            headers=stage.host.headers,
        )
        assert dropped.status_code == 200
        message = await next_of_type(room, "coupon_drop")
    assert (message["type"], message["coupon"]["id"]) == ("coupon_drop", coupon["id"])
    listed = await client.get(f"/api/v1/rooms/{stage.room_id}/coupons")
    assert [item["id"] for item in listed.json()["items"]] == [coupon["id"]]

    buyer, address_id = await buyer_with_address(client)
    claim_id = (await claim(client, buyer, coupon["id"])).json()["id"]
    over = await claim(client, buyer, coupon["id"], expect=409)
    assert over.json()["code"] == "coupon_limit_reached"

    # Below the minimum spend (one scarf is 60.00).
    quote = await client.post(
        "/api/v1/coupons/quote",
        headers=buyer.headers,
        json={"sku_id": listing.sku_id, "quantity": 2, "session_id": stage.session_id},
    )
    assert quote.json()["usable_claim_ids"] == [claim_id]
    small = await checkout(
        client, buyer, address_id, listing, [claim_id], session_id=stage.session_id
    )
    assert (small.status_code, small.json()["code"]) == (409, "below_min_spend")
    # Outside the room a room coupon does not apply.
    outside = await checkout(client, buyer, address_id, listing, [claim_id], quantity=2)
    assert (outside.status_code, outside.json()["code"]) == (409, "coupon_not_applicable")
    quote = await client.post(
        "/api/v1/coupons/quote",
        headers=buyer.headers,
        json={
            "sku_id": listing.sku_id,
            "quantity": 2,
            "session_id": stage.session_id,
            "coupon_claim_ids": [claim_id],
        },
    )
    assert quote.json() == {
        "currency": "CNY",
        "subtotal_cents": 12000,
        "discount_cents": 2000,
        "total_cents": 10000,
        "usable_claim_ids": [claim_id],
    }
    placed = await checkout(
        client, buyer, address_id, listing, [claim_id], session_id=stage.session_id, quantity=2
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["subtotal_cents"], order["discount_cents"], order["total_cents"]) == (
        12000,
        2000,
        10000,
    )
    reused = await checkout(
        client, buyer, address_id, listing, [claim_id], session_id=stage.session_id, quantity=2
    )
    assert (reused.status_code, reused.json()["code"]) == (409, "coupon_already_used")
    wallet = (await client.get("/api/v1/coupons/mine", headers=buyer.headers)).json()["items"]
    assert [(item["status"], item["order_id"], item["discount_cents"]) for item in wallet] == [
        ("used", order["id"], 2000)
    ]
    room_name = (await client.get(f"/api/v1/rooms/{stage.room_id}")).json()["name"]
    assert wallet[0]["source_name"] == room_name  # my coupons say where they come from
    # The payment carries the discount for the pay page.
    started = await client.post(f"/api/v1/orders/{order['id']}/pay", headers=buyer.headers)
    payment = await client.get(
        f"/api/v1/payments/{started.json()['payment_id']}", headers=buyer.headers
    )
    assert (
        payment.json()["subtotal_cents"],
        payment.json()["discount_cents"],
        payment.json()["amount_cents"],
    ) == (12000, 2000, 10000)

    # The order expires unpaid: the coupon comes back.
    clock.advance(timedelta(seconds=901))
    assert await tick(runtime) == 1
    assert (await get_order(client, buyer, order["id"]))["status"] == "cancelled"
    wallet = (await client.get("/api/v1/coupons/mine", headers=buyer.headers)).json()["items"]
    assert [(item["status"], item["order_id"]) for item in wallet] == [("available", None)]


async def test_cancelling_gives_the_coupon_back(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    listing = await create_listing(client, merchant=merchant, stock=5, price_cents=5000)
    coupon = await issue(
        client,
        merchant,
        audience="merchant",
        discount_kind="percent",
        amount_off_cents=0,
        percent_off=10,
        min_spend_cents=0,
        product_ids=[listing.product_id],
    )
    buyer, address_id = await buyer_with_address(client)
    claim_id = (await claim(client, buyer, coupon["id"])).json()["id"]
    placed = await checkout(client, buyer, address_id, listing, [claim_id])
    assert placed.status_code == 201, placed.text
    assert (placed.json()["discount_cents"], placed.json()["total_cents"]) == (500, 4500)
    cancelled = await client.post(
        f"/api/v1/orders/{placed.json()['id']}/cancel", headers=buyer.headers
    )
    assert cancelled.status_code == 200
    again = await checkout(client, buyer, address_id, listing, [claim_id])
    assert again.status_code == 201
    assert again.json()["discount_cents"] == 500
    # Another merchant's product: not applicable.
    other = await create_listing(client, stock=5)
    claim_two = await claim(client, buyer, coupon["id"], expect=409)
    assert claim_two.json()["code"] == "coupon_limit_reached"
    response = await checkout(client, buyer, address_id, other, [claim_id])
    assert response.json()["code"] == "coupon_already_used"


async def test_the_room_shows_only_coupons_handed_out_and_left_to_claim(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, stock=5, price_cents=10000)
    stage = await open_stage(client, [listing])
    kept = await issue(client, stage.host, title="福袋奖品券")  # a lottery prize, say
    early = await issue(client, stage.host, title="早鸟券", total_limit=1, per_user_limit=1)
    late = await issue(client, stage.host, title="晚到券")
    room_coupons = f"/api/v1/rooms/{stage.room_id}/coupons"
    assert kept["dropped_at"] is None
    assert (await client.get(room_coupons)).json() == {"items": [], "next_cursor": None}
    buyer, _ = await buyer_with_address(client)
    # Not handed out yet: nobody can claim it, in either language.
    for language, sentence in [
        ("zh-CN", "主播还没有发放这张券"),
        ("en", "The host has not handed this coupon out yet."),
    ]:
        refused = await client.post(
            f"/api/v1/coupons/{early['id']}/claim",
            headers={**buyer.headers, "Accept-Language": language},
        )
        assert (refused.status_code, refused.json()) == (
            409,
            {"code": "coupon_not_dropped", "message": sentence},
        )

    drop = f"/api/v1/live-sessions/{stage.session_id}/coupons"
    first = await client.post(f"{drop}/{early['id']}/drop", headers=stage.host.headers)
    assert first.status_code == 200, first.text
    clock.advance(timedelta(seconds=5))
    second = await client.post(f"{drop}/{late['id']}/drop", headers=stage.host.headers)
    assert second.json()["dropped_at"] > first.json()["dropped_at"]
    # A viewer arriving now sees both, the latest handed out first; never the kept one.
    listed = (await client.get(room_coupons)).json()["items"]
    assert [(item["title"], item["claimed_count"]) for item in listed] == [
        ("晚到券", 0),
        ("早鸟券", 0),
    ]
    await claim(client, buyer, early["id"])
    # All of the early coupon is taken: the room no longer offers it.
    listed = (await client.get(room_coupons)).json()["items"]
    assert [item["title"] for item in listed] == ["晚到券"]
    issued = (await client.get("/api/v1/coupons/issued", headers=stage.host.headers)).json()
    assert {item["title"]: item["dropped_at"] is not None for item in issued["items"]} == {
        "福袋奖品券": False,
        "早鸟券": True,
        "晚到券": True,
    }


async def test_fans_only_and_stacking_rules(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=5, price_cents=10000)
    stage = await open_stage(client, [listing])
    room = stage.session_id
    fans = await issue(
        client, stage.host, audience="fans", min_spend_cents=0, stackable=True, drop_in=room
    )
    plain = await issue(client, stage.host, min_spend_cents=0, amount_off_cents=500, drop_in=room)
    stack = await issue(
        client,
        stage.host,
        drop_in=room,
        min_spend_cents=0,
        discount_kind="percent",
        amount_off_cents=0,
        percent_off=50,
        stackable=True,
    )
    buyer, address_id = await buyer_with_address(client)
    refused = await claim(client, buyer, fans["id"], expect=403)
    assert refused.json()["code"] == "fans_only"
    await client.post(f"/api/v1/rooms/{stage.room_id}/follow", headers=buyer.headers)
    fan_claim = (await claim(client, buyer, fans["id"])).json()["id"]
    plain_claim = (await claim(client, buyer, plain["id"])).json()["id"]
    stack_claim = (await claim(client, buyer, stack["id"])).json()["id"]
    mixed = await checkout(
        client, buyer, address_id, listing, [fan_claim, plain_claim], session_id=stage.session_id
    )
    assert (mixed.status_code, mixed.json()["code"]) == (409, "coupons_do_not_stack")
    both = await checkout(
        client, buyer, address_id, listing, [fan_claim, stack_claim], session_id=stage.session_id
    )
    assert both.status_code == 201, both.text
    # 20.00 off first, then half of the 80.00 left.
    assert (both.json()["discount_cents"], both.json()["total_cents"]) == (6000, 4000)


async def test_a_coupon_is_never_claimed_or_used_beyond_its_limits(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, stock=50, price_cents=10000)
    stage = await open_stage(client, [listing])
    coupon = await issue(
        client, stage.host, total_limit=3, min_spend_cents=0, drop_in=stage.session_id
    )
    buyers = [await buyer_with_address(client) for _ in range(6)]
    claims = await asyncio.gather(
        *[claim(client, buyer, coupon["id"], expect=None) for buyer, _ in buyers]
    )
    assert sorted(response.status_code for response in claims) == [201, 201, 201, 409, 409, 409]
    assert {response.json()["code"] for response in claims if response.status_code == 409} == {
        "coupon_sold_out"
    }
    winner_index = next(
        index for index, response in enumerate(claims) if response.status_code == 201
    )
    buyer, address_id = buyers[winner_index]
    claim_id = claims[winner_index].json()["id"]
    attempts = await asyncio.gather(
        *[
            checkout(client, buyer, address_id, listing, [claim_id], session_id=stage.session_id)
            for _ in range(6)
        ]
    )
    assert sorted(response.status_code for response in attempts) == [201] + [409] * 5
    discounted = [response.json() for response in attempts if response.status_code == 201]
    assert [order["discount_cents"] for order in discounted] == [2000]
    issued = (await client.get("/api/v1/coupons/issued", headers=stage.host.headers)).json()
    assert [(item["id"], item["claimed_count"]) for item in issued["items"]] == [(coupon["id"], 3)]


async def test_issuing_rules(client: httpx.AsyncClient) -> None:
    viewer = await sign_up(client)
    assert (await issue(client, viewer, expect=403))["code"] == "role_required"
    host = await sign_up(client, "host")
    assert (await issue(client, host, expect=404))["code"] == "room_not_found"
    merchant = await sign_up(client, "merchant")
    bad = await issue(client, merchant, audience="merchant", amount_off_cents=0, expect=422)
    assert bad["code"] == "bad_discount"
    past = await issue(
        client,
        merchant,
        audience="merchant",
        ends_at=(utcnow() - timedelta(minutes=1)).isoformat(),
        expect=422,
    )
    assert past["code"] == "bad_validity"
    response = await client.get("/api/v1/coupons/" + "0" * 32)
    assert (response.status_code, response.json()["code"]) == (404, "coupon_not_found")
