"""The demo room has a coupon to claim and a lucky bag counting down."""

from __future__ import annotations

import httpx

from livecommerce.demo.fans import FAN_MESSAGE_TITLE
from livecommerce.demo.seed import seed_demo
from livecommerce.demo.traffic import feed_live_streams
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


async def test_every_room_the_demo_shows_live_is_one_it_publishes_video_for(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await seed_demo(client, runtime)
    live = (
        await client.get("/api/v1/live-sessions", params={"status": "live", "limit": 100})
    ).json()
    streams = await feed_live_streams(client)
    assert len(streams) == 9  # the feed hosts' sessions on air
    published = {world.session_id} | {session_id for _, _, session_id in streams}
    assert {item["id"] for item in live["items"]} == published
    assert len(live["items"]) == 10
    ended = (
        await client.get("/api/v1/live-sessions", params={"status": "ended", "limit": 100})
    ).json()
    assert "阿美下午茶好物" in [item["title"] for item in ended["items"]]


async def test_the_demo_viewer_is_a_fan_with_a_level_and_the_host_has_a_persona(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await seed_demo(client, runtime)
    viewer = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    club = (await client.get(f"/api/v1/rooms/{world.room_id}/fan-club", headers=viewer)).json()
    # Forty minutes a day on three days, capped at 60 a day: 120 intimacy, level 5.
    assert (club["badge_name"], club["members_count"]) == ("小李茶友", 1)
    assert (club["you"]["intimacy"], club["you"]["level"]) == (120, 5)
    assert club["you"]["badge"] == {"name": "小李茶友", "level": 5, "lit": True}
    page = (await client.get(f"/api/v1/hosts/{world.room_id}")).json()
    assert page["catchphrases"] == ["喝好茶，找小李！", "好茶不贵，贵的不推", "茶友们，上链接！"]
    assert page["bio"].startswith("十年茶人")
    assert page["tags"] == ["茶叶", "生活方式", "源头好物"]
    assert page["fans_count"] == 1
    # The host messaged its fans at level 3 and up: the demo viewer (level 5) has it.
    inbox = (await client.get("/api/v1/notifications", headers=viewer)).json()
    fan_messages = [item for item in inbox["items"] if item["title"] == FAN_MESSAGE_TITLE]
    assert [item["category"] for item in fan_messages] == ["fan_messages"]
    await seed_demo(client, runtime)  # a second start earns nothing more
    again = (await client.get(f"/api/v1/rooms/{world.room_id}/fan-club", headers=viewer)).json()
    assert (again["members_count"], again["you"]["intimacy"]) == (1, 120)
    inbox = (await client.get("/api/v1/notifications", headers=viewer)).json()
    assert len([item for item in inbox["items"] if item["title"] == FAN_MESSAGE_TITLE]) == 1
