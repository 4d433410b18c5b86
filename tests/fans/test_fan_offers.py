"""Fan-club-only offers: coupons for members at a level or up, and flash-sale early
access (粉丝优先购); everyone else is refused with ``fan_club_level_required``."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import FanClubMember
from tests.factories import Account, sign_up
from tests.fans.helpers import join
from tests.interactions.helpers import buy
from tests.orders.shop import add_address, create_listing, open_stage


async def _set_level(runtime: Runtime, account: Account, level: int) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(FanClubMember).where(FanClubMember.user_id == account.id).values(level=level)
        )


async def _fans(client: httpx.AsyncClient, runtime: Runtime, room_id: str) -> list[Account]:
    """A passer-by, a level-1 member and a level-3 member, each with an address."""
    passerby = await sign_up(client, name="路人")
    newcomer = await sign_up(client, name="新粉")
    loyal = await sign_up(client, name="铁粉")
    for account in (newcomer, loyal):
        await join(client, account, room_id)
    await _set_level(runtime, loyal, 3)
    for account in (passerby, newcomer, loyal):
        await add_address(client, account)
    return [passerby, newcomer, loyal]


async def test_a_fan_club_coupon_is_claimed_by_members_at_its_level(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    stage = await open_stage(client, [await create_listing(client)])
    passerby, newcomer, loyal = await _fans(client, runtime, stage.room_id)
    issued = await client.post(
        "/api/v1/coupons",
        headers=stage.host.headers,
        json={
            "title": "铁粉专享券",
            "audience": "fan_club",
            "min_fan_level": 3,
            "discount_kind": "amount",
            "amount_off_cents": 500,
            "ends_at": "2099-01-01T00:00:00Z",
            "total_limit": 10,
        },
    )
    assert issued.status_code == 201, issued.text
    coupon = issued.json()
    assert (coupon["audience"], coupon["min_fan_level"]) == ("fan_club", 3)
    dropped = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/coupons/{coupon['id']}/drop",
        headers=stage.host.headers,
    )
    assert dropped.status_code == 200, dropped.text
    url = f"/api/v1/coupons/{coupon['id']}/claim"
    outcomes = []
    for account in (passerby, newcomer):
        response = await client.post(url, headers={**account.headers, "Accept-Language": "zh"})
        body = response.json()
        outcomes.append((response.status_code, body["code"], body["details"], body["message"]))
    assert outcomes == [
        (
            403,
            "fan_club_level_required",
            {"min_level": 3, "level": None},
            "仅限3级及以上的粉丝团成员",
        ),
        (403, "fan_club_level_required", {"min_level": 3, "level": 1}, "仅限3级及以上的粉丝团成员"),
    ]
    english = await client.post(url, headers={**newcomer.headers, "Accept-Language": "en"})
    assert english.json()["message"] == "Fan-club members at level 3 or up only."
    claimed = await client.post(url, headers=loyal.headers)
    assert claimed.status_code == 201, claimed.text


async def test_fan_club_members_buy_a_flash_sale_early(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10)
    stage = await open_stage(client, [listing])
    passerby, newcomer, loyal = await _fans(client, runtime, stage.room_id)
    clock.freeze(clock.now())
    response = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/flash-sales",
        headers=stage.host.headers,
        json={
            "product_id": listing.product_id,
            "sku_id": listing.sku_id,
            "price_cents": 990,
            "units": 5,
            "starts_in_s": 60,
            "fans_early_s": 30,
            "fans_min_level": 2,
        },
    )
    assert response.status_code == 201, response.text
    sale = response.json()
    assert (sale["status"], sale["fans_early_s"], sale["fans_min_level"]) == ("scheduled", 30, 2)
    # Before the early window nobody buys.
    too_soon = await buy(client, loyal, sale["id"], expect=409)
    assert too_soon.json()["code"] == "flash_sale_not_started"
    clock.advance(timedelta(seconds=31))
    refused = [
        await buy(client, account, sale["id"], expect=403) for account in (passerby, newcomer)
    ]
    assert [(r.json()["code"], r.json()["details"]) for r in refused] == [
        ("fan_club_level_required", {"min_level": 2, "level": None}),
        ("fan_club_level_required", {"min_level": 2, "level": 1}),
    ]
    early = await buy(client, loyal, sale["id"])
    assert early.json()["status"] == "pending_payment"
    clock.advance(timedelta(seconds=30))  # started: everyone
    await buy(client, passerby, sale["id"])
    await buy(client, newcomer, sale["id"])
