"""The demo room has a coupon to claim and a lucky bag counting down."""

from __future__ import annotations

import httpx

from livecommerce.demo.seed import seed_demo
from livecommerce.kit.runtime import Runtime


async def test_demo_room_interactions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await seed_demo(client, runtime)
    coupons = (await client.get(f"/api/v1/rooms/{world.room_id}/coupons")).json()["items"]
    assert [coupon["title"] for coupon in coupons] == ["直播间专享 满50减10"]
    overview = (await client.get(f"/api/v1/live-sessions/{world.session_id}/interactions")).json()
    lottery = overview["lottery"]
    assert (lottery["status"], lottery["prize_kind"], lottery["winners_count"]) == (
        "open",
        "coupon",
        3,
    )
    assert lottery["conditions"]["keyword"] == "想要"

    await seed_demo(client, runtime)  # a second start adds nothing
    again = (await client.get(f"/api/v1/live-sessions/{world.session_id}/lotteries")).json()
    assert len(again["items"]) == 1
    assert len((await client.get(f"/api/v1/rooms/{world.room_id}/coupons")).json()["items"]) == 1
