"""A lottery for fan-club members from a minimum level."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.fans.helpers import join, membership, record
from tests.orders.shop import create_listing, open_stage


async def test_a_fan_club_lottery_with_a_minimum_level(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    stranger, newcomer, regular = [await sign_up(client) for _ in range(3)]
    await join(client, newcomer, stage.room_id)
    await join(client, regular, stage.room_id)
    where = {"room_id": stage.room_id, "session_id": stage.session_id}
    await record(runtime, "heartbeat", regular, value=600, **where)  # 10 minutes: level 2
    assert (await membership(client, regular, stage.room_id))["level"] == 2

    launched = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/lotteries",
        headers=stage.host.headers,
        json={
            "title": "粉丝福袋",
            "prize_kind": "product",
            "prize_sku_id": listing.sku_id,
            "winners": 1,
            "conditions": {"fan_club": True, "fan_level": 2},
        },
    )
    assert launched.status_code == 201, launched.text
    lottery = launched.json()
    assert lottery["conditions"]["fan_level"] == 2
    url = f"/api/v1/lotteries/{lottery['id']}/enter"
    missing = {}
    for name, account in (("stranger", stranger), ("newcomer", newcomer)):
        response = await client.post(url, headers=account.headers)
        assert (response.status_code, response.json()["code"]) == (409, "conditions_not_met")
        missing[name] = response.json()["details"]["missing"]
    assert missing == {"stranger": ["fan_club"], "newcomer": ["fan_level"]}
    entered = await client.post(url, headers=regular.headers)
    assert entered.status_code == 200, entered.text
    assert entered.json()["entrants_count"] == 1
    # A plain fan-club lottery: any member may enter.
    plain = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/lotteries",
        headers=stage.host.headers,
        json={
            "title": "团员福袋",
            "prize_kind": "product",
            "prize_sku_id": listing.sku_id,
            "winners": 1,
            "conditions": {"fan_club": True},
        },
    )
    assert plain.status_code == 201, plain.text
    plain_url = f"/api/v1/lotteries/{plain.json()['id']}/enter"
    assert (await client.post(plain_url, headers=newcomer.headers)).status_code == 200
    assert (await client.post(plain_url, headers=stranger.headers)).status_code == 409
    too_high = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/lotteries",
        headers=stage.host.headers,
        json={
            "title": "x",
            "prize_kind": "product",
            "prize_sku_id": listing.sku_id,
            "winners": 1,
            "conditions": {"fan_level": 21},
        },
    )
    assert too_high.status_code == 422
