"""Who may sell a merchant's product, at what price, and commit its stock.

A role × ownership × relationship matrix over every operation that sells, prices or commits
stock in a room, with the exact answer each cell gets, and the stock that moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ShowcaseItem, Sku
from tests.factories import Account, link_staff, sign_up
from tests.live.helpers import create_room, schedule, start
from tests.orders.shop import buyer_with_address

SKU_PRICES = (10000, 20000)
FLOOR = 8000


@dataclass
class Market:
    merchant: Account
    product: dict[str, Any]
    offer: dict[str, Any]
    plain_host: Account


def _prices(product: dict[str, Any], cents: int) -> list[dict[str, Any]]:
    return [{"sku_id": sku["id"], "live_price_cents": cents} for sku in product["skus"]]


async def _market(client: httpx.AsyncClient, **offer_fields: Any) -> Market:
    merchant = await sign_up(client, "merchant")
    created = await client.post(
        "/api/v1/products",
        headers=merchant.headers,
        json={
            "title": "明前龙井",
            "currency": "CNY",
            "status": "on_sale",
            "skus": [
                {"spec": {"规格": "250g"}, "price_cents": SKU_PRICES[0], "stock": 50},
                {"spec": {"规格": "500g"}, "price_cents": SKU_PRICES[1], "stock": 50},
            ],
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    offer = await client.post(
        "/api/v1/mcn/offers",
        headers=merchant.headers,
        json={
            "product_id": product["id"],
            "commission_bp": 2000,
            "visibility": "invite_only",
            "min_live_price_cents": FLOOR,
            **offer_fields,
        },
    )
    assert offer.status_code == 201, offer.text
    return Market(merchant, product, offer.json(), await sign_up(client, "host"))


async def _invite(client: httpx.AsyncClient, market: Market, host: Account) -> None:
    response = await client.post(
        f"/api/v1/mcn/offers/{market.offer['id']}/invites",
        headers=market.merchant.headers,
        json={"host_ids": [host.id]},
    )
    assert response.status_code == 200, response.text


async def _on_air_with_product(
    client: httpx.AsyncClient, runtime: Runtime, host: Account, room_id: str, product_id: str
) -> str:
    """An on-air session whose showcase holds the product already (put there directly, as
    when an offer closed after the host added it), so launching is what gets checked."""
    live = await schedule(client, host, room_id)
    async with runtime.db.transaction() as session:
        session.add(ShowcaseItem(session_id=live["id"], product_id=product_id, position=0))
    await start(client, host, live["id"])
    return str(live["id"])


async def _stock(runtime: Runtime, sku_id: str) -> int:
    async with runtime.db.transaction() as session:
        sku = await session.get(Sku, sku_id)
        assert sku is not None
        return sku.stock


OPERATIONS = (
    "showcase_at_catalog",
    "showcase_at_one_cent",
    "showcase_at_floor",
    "offer_showcase_at_floor",
    "flash_sale_at_zero",
    "lottery_prize",
)
# actor → the answer of each operation, in the order of OPERATIONS.
MATRIX: dict[str, tuple[tuple[int, str | None], ...]] = {
    "merchant": ((201, None),) * 6,
    # Staff sells its merchant's products directly; the invite-only offer is not for it.
    "staff": ((201, None),) * 3 + ((404, "offer_not_found"),) + ((201, None),) * 2,
    "host_with_offer": (
        (201, None),
        (422, "below_price_floor"),
        (201, None),
        (201, None),
        (403, "flash_sale_not_allowed"),
        (403, "prize_not_allowed"),
    ),
    "host_without_offer": (
        (403, "no_selling_right"),
        (403, "no_selling_right"),
        (403, "no_selling_right"),
        (404, "offer_not_found"),
        (403, "no_selling_right"),
        (403, "no_selling_right"),
    ),
    # Neither has a room: each tries the room of the host without an offer.
    "mcn": ((403, "not_room_host"),) * 3 + ((403, "role_required"),) * 3,
    "viewer": ((403, "not_room_host"),) * 3 + ((403, "role_required"),) * 3,
}


@pytest.mark.parametrize("actor", list(MATRIX))
async def test_selling_matrix(client: httpx.AsyncClient, runtime: Runtime, actor: str) -> None:
    market = await _market(client)
    product = market.product
    sku_id = product["skus"][0]["id"]
    # The room the actor works in: its own, or (having none) the host's without an offer.
    owner = {
        "merchant": market.merchant,
        "staff": await sign_up(client, "host"),
        "host_with_offer": await sign_up(client, "host"),
    }.get(actor, market.plain_host)
    if actor == "staff":
        await link_staff(client, market.merchant, owner)
    if actor == "host_with_offer":
        await _invite(client, market, owner)
    acting = {"mcn": await sign_up(client, "mcn_admin"), "viewer": await sign_up(client)}.get(
        actor, owner
    )
    room = await create_room(client, owner)
    fresh = [(await schedule(client, owner, room["id"]))["id"] for _ in range(4)]
    on_air = await _on_air_with_product(client, runtime, owner, room["id"], product["id"])
    headers = acting.headers

    answers = [
        await client.post(
            f"/api/v1/live-sessions/{fresh[0]}/showcase",
            headers=headers,
            json={"product_id": product["id"]},
        ),
        await client.post(
            f"/api/v1/live-sessions/{fresh[1]}/showcase",
            headers=headers,
            json={"product_id": product["id"], "live_prices": _prices(product, 1)},
        ),
        await client.post(
            f"/api/v1/live-sessions/{fresh[2]}/showcase",
            headers=headers,
            json={"product_id": product["id"], "live_prices": _prices(product, FLOOR)},
        ),
        await client.post(
            f"/api/v1/mcn/offers/{market.offer['id']}/showcase",
            headers=headers,
            json={"session_id": fresh[3], "live_prices": _prices(product, FLOOR)},
        ),
        await client.post(
            f"/api/v1/live-sessions/{on_air}/flash-sales",
            headers=headers,
            json={"product_id": product["id"], "sku_id": sku_id, "price_cents": 0, "units": 5},
        ),
        await client.post(
            f"/api/v1/live-sessions/{on_air}/lotteries",
            headers=headers,
            json={
                "title": "福袋",
                "prize_kind": "product",
                "prize_sku_id": sku_id,
                "winners": 3,
            },
        ),
    ]
    got = [
        (response.status_code, None if response.is_success else response.json()["code"])
        for response in answers
    ]
    assert dict(zip(OPERATIONS, got, strict=True)) == dict(
        zip(OPERATIONS, MATRIX[actor], strict=True)
    )
    # Only a flash sale and a prize that were allowed took units from the merchant's stock.
    taken = (5 if got[4][0] == 201 else 0) + (3 if got[5][0] == 201 else 0)
    assert await _stock(runtime, sku_id) == 50 - taken
    showcases = [
        (await client.get(f"/api/v1/live-sessions/{session_id}/showcase")).json()["items"]
        for session_id in fresh
    ]
    assert [len(items) for items in showcases] == [
        1 if status == 201 else 0 for status, _ in got[:4]
    ]


async def test_offer_consent_lets_a_host_run_flash_sales_and_prizes_above_the_floor(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    market = await _market(client, allow_flash_sales=True, allow_prizes=True)
    assert (market.offer["allow_flash_sales"], market.offer["allow_prizes"]) == (True, True)
    host = market.plain_host
    await _invite(client, market, host)
    room = await create_room(client, host)
    on_air = await _on_air_with_product(client, runtime, host, room["id"], market.product["id"])
    sku_id = market.product["skus"][0]["id"]
    url = f"/api/v1/live-sessions/{on_air}/flash-sales"
    sale = {"product_id": market.product["id"], "sku_id": sku_id, "units": 5}
    zero = await client.post(url, headers=host.headers, json={**sale, "price_cents": 0})
    assert (zero.status_code, zero.json()["code"]) == (422, "below_price_floor")
    assert zero.json()["details"] == {"sku_id": sku_id, "floor_cents": FLOOR, "price_cents": 0}
    at_floor = await client.post(url, headers=host.headers, json={**sale, "price_cents": FLOOR})
    assert at_floor.status_code == 201, at_floor.text
    prize = await client.post(
        f"/api/v1/live-sessions/{on_air}/lotteries",
        headers=host.headers,
        json={"title": "福袋", "prize_kind": "product", "prize_sku_id": sku_id, "winners": 3},
    )
    assert prize.status_code == 201, prize.text
    assert await _stock(runtime, sku_id) == 50 - 5 - 3


async def test_without_a_floor_the_catalog_price_is_the_floor(client: httpx.AsyncClient) -> None:
    market = await _market(client, min_live_price_cents=None, visibility="open")
    host = market.plain_host
    room = await create_room(client, host)
    live = await schedule(client, host, room["id"])
    url = f"/api/v1/mcn/offers/{market.offer['id']}/showcase"
    product = market.product
    below = await client.post(
        url,
        headers=host.headers,
        json={"session_id": live["id"], "live_prices": _prices(product, SKU_PRICES[0] - 1)},
    )
    assert (below.status_code, below.json()["code"]) == (422, "below_price_floor")
    assert below.json()["details"]["floor_cents"] == SKU_PRICES[0]
    zero = await client.post(
        url, headers=host.headers, json={"session_id": live["id"], "live_price_cents": 0}
    )
    assert (zero.status_code, zero.json()["code"]) == (422, "validation_failed")
    added = await client.post(url, headers=host.headers, json={"session_id": live["id"]})
    assert added.status_code == 201, added.text
    assert [sku["price_cents"] for sku in added.json()["skus"]] == list(SKU_PRICES)


async def test_repricing_and_selling_end_with_the_offer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    market = await _market(client)
    host = market.plain_host
    await _invite(client, market, host)
    room = await create_room(client, host)
    live = await schedule(client, host, room["id"])
    product = market.product
    item = await client.post(
        f"/api/v1/live-sessions/{live['id']}/showcase",
        headers=host.headers,
        json={"product_id": product["id"], "live_prices": _prices(product, 9000)},
    )
    assert item.status_code == 201, item.text
    url = f"/api/v1/live-sessions/{live['id']}/showcase/{item.json()['id']}"
    cheaper = await client.patch(
        url, headers=host.headers, json={"live_prices": _prices(product, 1)}
    )
    assert (cheaper.status_code, cheaper.json()["code"]) == (422, "below_price_floor")
    closed = await client.patch(
        f"/api/v1/mcn/offers/{market.offer['id']}",
        headers=market.merchant.headers,
        json={"status": "closed"},
    )
    assert closed.status_code == 200, closed.text
    after = await client.patch(
        url, headers=host.headers, json={"live_prices": _prices(product, 9500)}
    )
    assert (after.status_code, after.json()["code"]) == (403, "no_selling_right")
    showcase = (await client.get(f"/api/v1/live-sessions/{live['id']}/showcase")).json()
    assert [sku["price_cents"] for sku in showcase["items"][0]["skus"]] == [9000, 9000]
    # Nor do buyers get the offer's live price once the offer has closed.
    await start(client, host, live["id"])
    buyer, address_id = await buyer_with_address(client)
    sku_id = product["skus"][0]["id"]
    order = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={"sku_id": sku_id, "quantity": 1, "address_id": address_id, "session_id": live["id"]},
    )
    assert (order.status_code, order.json()["code"]) == (409, "not_sold_here")
    assert await _stock(runtime, sku_id) == 50


async def test_the_merchant_sets_and_clears_the_floor(client: httpx.AsyncClient) -> None:
    market = await _market(client)
    url = f"/api/v1/mcn/offers/{market.offer['id']}"
    changed = await client.patch(
        url,
        headers=market.merchant.headers,
        json={"min_live_price_cents": 5000, "allow_flash_sales": True},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["min_live_price_cents"], body["allow_flash_sales"], body["allow_prizes"]) == (
        5000,
        True,
        False,
    )
    cleared = await client.patch(
        url, headers=market.merchant.headers, json={"min_live_price_cents": None}
    )
    assert cleared.json()["min_live_price_cents"] is None
    for bad in (0, -1, 10**12):
        response = await client.patch(
            url, headers=market.merchant.headers, json={"min_live_price_cents": bad}
        )
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    stranger = await client.patch(
        url, headers=market.plain_host.headers, json={"min_live_price_cents": 1}
    )
    assert stranger.status_code == 404


async def test_a_room_coupon_discounts_an_offer_product_only_with_the_merchants_consent(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    market = await _market(client, visibility="open")
    host = market.plain_host
    room = await create_room(client, host)
    live = await schedule(client, host, room["id"])
    added = await client.post(
        f"/api/v1/mcn/offers/{market.offer['id']}/showcase",
        headers=host.headers,
        json={"session_id": live["id"]},
    )
    assert added.status_code == 201, added.text
    await start(client, host, live["id"])
    coupon = await client.post(
        "/api/v1/coupons",
        headers=host.headers,
        json={
            "title": "全场九折",
            "audience": "room",
            "discount_kind": "percent",
            "percent_off": 90,
            "ends_at": (utcnow() + timedelta(days=1)).isoformat(),
            "total_limit": 10,
        },
    )
    assert coupon.status_code == 201, coupon.text
    dropped = await client.post(
        f"/api/v1/live-sessions/{live['id']}/coupons/{coupon.json()['id']}/drop",
        headers=host.headers,
    )
    assert dropped.status_code == 200, dropped.text
    buyer, address_id = await buyer_with_address(client)
    claimed = await client.post(
        f"/api/v1/coupons/{coupon.json()['id']}/claim", headers=buyer.headers
    )
    assert claimed.status_code == 201, claimed.text
    sku_id = market.product["skus"][0]["id"]
    order = {"sku_id": sku_id, "quantity": 1, "address_id": address_id, "session_id": live["id"]}
    refused = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={**order, "coupon_claim_ids": [claimed.json()["id"]]},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "coupon_not_applicable")
    assert await _stock(runtime, sku_id) == 50
    # Once the merchant allows room coupons on its offer, the coupon applies.
    allowed = await client.patch(
        f"/api/v1/mcn/offers/{market.offer['id']}",
        headers=market.merchant.headers,
        json={"allow_room_coupons": True},
    )
    assert allowed.json()["allow_room_coupons"] is True
    placed = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={**order, "coupon_claim_ids": [claimed.json()["id"]]},
    )
    assert placed.status_code == 201, placed.text
    assert (placed.json()["discount_cents"], placed.json()["total_cents"]) == (
        SKU_PRICES[0] * 90 // 100,
        SKU_PRICES[0] // 10,
    )
