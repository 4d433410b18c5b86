"""What the demo shows, read from one world seeded twice (a second start adds nothing):
the room's coupon and lucky bag, video for every live room, the fan club and the host's
persona, the team and the share link, clips and a video sale, every party's earnings."""

from __future__ import annotations

import pytest

from livecommerce.demo.fans import FAN_MESSAGE_TITLE
from livecommerce.demo.traffic import feed_live_streams
from tests.demo.conftest import SeededDemo

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("demo")]


def _bearer(demo: SeededDemo, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.world.tokens[role]}"}


async def test_the_room_has_one_coupon_and_one_lucky_bag(demo: SeededDemo) -> None:
    client, world = demo.client, demo.world
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
    lotteries = (await client.get(f"/api/v1/live-sessions/{world.session_id}/lotteries")).json()
    assert len(lotteries["items"]) == 1


async def test_the_upcoming_session_shows_the_rooms_products_and_the_host_may_invite(
    demo: SeededDemo,
) -> None:
    client, world = demo.client, demo.world
    showcase = (
        await client.get(f"/api/v1/live-sessions/{world.upcoming_session_id}/showcase")
    ).json()["items"]
    live = (await client.get(f"/api/v1/live-sessions/{world.session_id}/showcase")).json()
    assert [item["product_id"] for item in showcase] == [
        item["product_id"] for item in live["items"]
    ]
    segment = await client.get(
        f"/api/v1/live-sessions/{world.upcoming_session_id}/segment",
        headers=_bearer(demo, "host"),
    )
    assert segment.status_code == 200, segment.text


async def test_every_room_the_demo_shows_live_is_one_it_publishes_video_for(
    demo: SeededDemo,
) -> None:
    client, world = demo.client, demo.world
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
    demo: SeededDemo,
) -> None:
    client, world = demo.client, demo.world
    viewer = _bearer(demo, "viewer")
    club = (await client.get(f"/api/v1/rooms/{world.room_id}/fan-club", headers=viewer)).json()
    # Forty minutes a day on three days, capped at 60 a day: 120 intimacy, level 5 — and
    # the second start earned nothing more.
    assert (club["badge_name"], club["members_count"]) == ("小李茶友", 1)
    assert (club["you"]["intimacy"], club["you"]["level"]) == (120, 5)
    assert club["you"]["badge"] == {"name": "小李茶友", "level": 5, "lit": True}
    page = (await client.get(f"/api/v1/hosts/{world.room_id}")).json()
    assert page["catchphrases"] == ["喝好茶，找小李！", "好茶不贵，贵的不推", "茶友们，上链接！"]
    assert page["bio"].startswith("十年茶人")
    assert page["tags"] == ["茶叶", "生活方式", "源头好物"]
    assert page["fans_count"] == 1
    # The host messaged its fans at level 3 and up, once: the demo viewer (level 5) has it.
    inbox = (await client.get("/api/v1/notifications", headers=viewer)).json()
    fan_messages = [item for item in inbox["items"] if item["title"] == FAN_MESSAGE_TITLE]
    assert [item["category"] for item in fan_messages] == ["fan_messages"]


async def test_the_demo_has_a_moderator_and_a_share_link(demo: SeededDemo) -> None:
    client, world, again = demo.client, demo.world, demo.again
    host = _bearer(demo, "host")
    team = (await client.get(f"/api/v1/rooms/{world.room_id}/team", headers=host)).json()
    assert [(m["display_name"], m["role"], m["status"]) for m in team["items"]] == [
        ("场控小王", "moderator", "active"),
        ("客服小李", "service", "active"),
        ("选品小张", "selection", "active"),
    ]
    assert again.share_url == world.share_url
    assert world.share_url.startswith(demo.runtime.settings.public_url.rstrip("/") + "/s/")
    links = (await client.get("/api/v1/share-links", headers=_bearer(demo, "viewer"))).json()
    assert [(link["url"], link["visitors"]) for link in links["items"]] == [(world.share_url, 1)]
    moderator = _bearer(demo, "moderator")
    rooms = (await client.get("/api/v1/team/rooms", headers=moderator)).json()["items"]
    assert [(room["room_id"], room["role"]) for room in rooms] == [(world.room_id, "moderator")]
    # The 场控 launched the session's flash sale (once, however often the demo starts).
    log = (await client.get(f"/api/v1/rooms/{world.room_id}/team/log", headers=host)).json()
    assert [(i["display_name"], i["action"]) for i in log["items"]] == [("场控小王", "flash_sale")]
    sales = (await client.get(f"/api/v1/live-sessions/{world.session_id}/flash-sales")).json()
    assert [(s["status"], s["units_total"]) for s in sales["items"]] == [("running", 20)]


async def test_the_demo_has_published_clips_a_live_hosts_video_and_a_sale(
    demo: SeededDemo,
) -> None:
    client, world, again = demo.client, demo.world, demo.again
    host = _bearer(demo, "host")
    mine = (await client.get("/api/v1/videos/mine", headers=host)).json()["items"]
    assert len(mine) == 4  # the second start seeded no more videos
    clips = [video for video in mine if video["kind"] == "clip"]
    uploads = [video for video in mine if video["kind"] == "upload"]
    assert len(clips) == 3
    assert all(clip["status"] == "ready" and clip["published_at"] for clip in clips)
    assert all(clip["cut_mode"] == "copy" for clip in clips)
    [upload] = uploads
    assert (upload["views"], upload["completions"], upload["likes"], upload["orders"]) == (
        1,
        1,
        1,
        1,
    )
    assert upload["gmv_cents"] > 0
    feed = (await client.get("/api/v1/feed/videos")).json()["items"]
    assert {item["id"] for item in feed} == {video["id"] for video in mine}
    live = [item for item in feed if item["live_session_id"] == world.session_id]
    assert len(live) == 4  # the host is on air: every one of their videos leads there
    assert again.room_id == world.room_id


async def test_every_partner_has_earnings_statements_and_a_verified_ledger(
    demo: SeededDemo,
) -> None:
    client, world, again = demo.client, demo.world, demo.again
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in world.tokens.items()}

    dashboard = await client.get("/api/v1/mcn/agency/dashboard", headers=headers["mcn"])
    assert dashboard.status_code == 200, dashboard.text
    body = dashboard.json()
    assert sorted(host["display_name"] for host in body["hosts"]) == ["主播小李", "达人阿美"]
    assert all(host["gmv_cents"] > 0 and host["host_earned_cents"] > 0 for host in body["hosts"])
    assert body["agency_earned_cents"] > 0

    for name, kind in (
        ("merchant", "merchant_payable"),
        ("host", "host_payable"),
        ("host2", "host_payable"),
        ("mcn", "agency_payable"),
    ):
        earnings = (await client.get("/api/v1/ledger/earnings", headers=headers[name])).json()
        [account] = [item for item in earnings["accounts"] if item["kind"] == kind]
        assert account["owed_cents"] > 0, name
        statements = (await client.get("/api/v1/ledger/statements", headers=headers[name])).json()
        [statement] = statements["items"]
        assert statement["closing_cents"] == account["owed_cents"]
        csv_text = await client.get(
            f"/api/v1/ledger/statements/{statement['id']}/csv", headers=headers[name]
        )
        assert csv_text.status_code == 200
        assert f"closing_cents,{statement['closing_cents']}" in csv_text.text

    # The refund clawed back part of the talent host's commission.
    host_lines = (await client.get("/api/v1/ledger/earnings", headers=headers["host"])).json()
    kinds = sorted({line["entry_kind"] for line in host_lines["lines"]})
    assert kinds == ["affiliate_conversion", "order_paid", "order_refund"]
    links = (await client.get("/api/v1/mcn/affiliate-links", headers=headers["host"])).json()
    assert (links["items"][0]["clicks"], links["items"][0]["conversions"]) == (1, 1)

    # Four orders (one bought from a short video), one refund, one external sale — and the
    # second start reused everything.
    assert again.session_id == world.session_id
    report = (await client.get("/api/v1/ledger/verify", headers=headers["admin"])).json()
    assert (report["ok"], report["entries"]) == (True, 6)
