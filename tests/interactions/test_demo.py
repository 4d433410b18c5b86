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


async def test_only_the_demo_room_with_video_is_shown_live(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await seed_demo(client, runtime)
    live = (await client.get("/api/v1/live-sessions", params={"status": "live"})).json()
    assert [item["id"] for item in live["items"]] == [world.session_id]
    ended = (await client.get("/api/v1/live-sessions", params={"status": "ended"})).json()
    assert [item["title"] for item in ended["items"]] == ["阿美下午茶好物"]
