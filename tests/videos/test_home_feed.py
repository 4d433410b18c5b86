"""Published videos in the home feed (``GET /api/v1/feed``): traffic keeps its own candidate
rows from the videos domain's events, ranks them with the sessions, records impressions,
clicks and visits, and lets go of a video that leaves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from livecommerce.kit.runtime import Runtime
from livecommerce.models import FeedImpression, TrafficVisit, VideoCandidate
from livecommerce.videos.processing import make_test_video
from tests.catalog.helpers import create_product
from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule, start
from tests.videos.helpers import host_with_room, process_all, ready_video, upload


async def _feed(
    client: httpx.AsyncClient, viewer: Account | None = None, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/feed", params=params, headers=None if viewer is None else viewer.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _publish(client: httpx.AsyncClient, host: Account, video_id: str) -> None:
    response = await client.post(
        f"/api/v1/videos/{video_id}/publish", headers=host.headers, json={}
    )
    assert response.status_code == 200, response.text


async def _candidate(runtime: Runtime, video_id: str) -> VideoCandidate | None:
    async with runtime.db.reading() as session:
        return await session.get(VideoCandidate, video_id)


async def test_a_published_video_is_a_feed_card_that_opens_the_video(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    host, room_id = await host_with_room(client, name="小红的茶室")
    video = await ready_video(client, runtime, host, tmp_path, seconds=3)
    await client.patch(
        f"/api/v1/videos/{video['id']}",
        headers=host.headers,
        json={"title": "三分钟泡好一杯龙井", "tags": ["茶叶"]},
    )
    assert await _feed(client) == []  # not published yet: no candidate
    assert await _candidate(runtime, video["id"]) is None
    await _publish(client, host, video["id"])

    viewer = await sign_up(client)
    items = await _feed(client, viewer)
    assert len(items) == 1
    card = items[0]
    assert card["kind"] == "video"
    assert card["id"] == video["id"]
    assert card["session_id"] is None
    assert card["room_id"] == room_id
    assert card["room_name"] == "小红的茶室"
    assert card["title"] == "三分钟泡好一杯龙井"
    assert card["cover_url"] == f"/videos/{video['id']}/poster.jpg"
    assert card["duration_s"] == video["duration_s"]
    assert card["url"] == f"/videos?v={video['id']}&imp={card['impression_id']}"
    assert card["policy"] == "cold_start"  # a new video gets its test pool first
    assert card["reasons"][0]["code"] == "new_video"
    async with runtime.db.reading() as session:
        shown = await session.get(FeedImpression, card["impression_id"])
        assert shown is not None
        assert (shown.item_kind, shown.session_id, shown.room_id) == (
            "video",
            video["id"],
            room_id,
        )
    # the card's page serves the video feed at this video
    assert (await client.get(card["url"])).status_code == 200

    # the video page reports the click: the video's visit, once, with its feed as source
    click = f"/api/v1/feed/impressions/{card['impression_id']}/click"
    first = await client.post(click, headers=viewer.headers)
    assert first.json() == {"counted": True, "visit_source": "feed_recommend"}
    again = await client.post(click, headers=viewer.headers)
    assert again.json()["counted"] is False
    async with runtime.db.reading() as session:
        visits = (await session.scalars(select(TrafficVisit))).all()
    assert [(v.item_kind, v.session_id, v.source, v.user_id) for v in visits] == [
        ("video", video["id"], "feed_recommend", viewer.id)
    ]
    # the host's figures of the video: shown once by the home feed, opened once
    figures = (await client.get(f"/api/v1/videos/{video['id']}", headers=host.headers)).json()
    assert (figures["feed_exposures"], figures["feed_clicks"]) == (1, 1)
    mine = (await client.get("/api/v1/videos/mine", headers=host.headers)).json()["items"]
    assert [(v["feed_exposures"], v["feed_clicks"]) for v in mine] == [(1, 1)]
    # a new visit shows it again
    assert await _feed(client, viewer) != []


async def test_videos_and_sessions_share_the_feed_and_its_tabs(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host, name="阿杰的厨房")
    live = await schedule(client, host, room["id"], title="今晚做饭")
    await start(client, host, live["id"])
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant, title="紫砂壶", category="茶叶")
    video = await ready_video(client, runtime, host, tmp_path, seconds=3)
    await client.patch(
        f"/api/v1/videos/{video['id']}",
        headers=host.headers,
        json={"title": "一把好壶", "product_ids": [product["id"]]},
    )
    await _publish(client, host, video["id"])

    kinds = {item["kind"]: item for item in await _feed(client)}
    assert set(kinds) == {"live", "video"}
    assert kinds["video"]["id"] == video["id"]
    # its linked product's category puts it in that category's tab
    tea = await _feed(client, tab="category", category="茶叶")
    assert [item["id"] for item in tea] == [video["id"]]
    # followers of the host see it in the follow tab, after the host's live session
    fan = await sign_up(client)
    assert (await client.post(f"/api/v1/rooms/{room['id']}/follow", headers=fan.headers)).is_success
    follow = await _feed(client, fan, tab="follow")
    assert [item["kind"] for item in follow] == ["live", "video"]
    # the host's session panel shows a session's metrics, not the videos' completion rate
    panel = await client.get(f"/api/v1/traffic/sessions/{live['id']}/panel", headers=host.headers)
    assert panel.status_code == 200, panel.text
    metrics = [row["metric"] for row in panel.json()["metrics"]]
    assert "completion_rate" not in metrics
    assert "enter_rate" in metrics


async def test_the_feed_follows_the_video_through_its_life(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    host, _ = await host_with_room(client)
    source = make_test_video(tmp_path / "a.mp4", seconds=3)
    video_id = (await upload(client, host, source)).json()["id"]
    # published while still processing: a candidate, not shown until it plays
    await _publish(client, host, video_id)
    candidate = await _candidate(runtime, video_id)
    assert candidate is not None
    assert candidate.ready is False
    assert await _feed(client) == []
    await process_all(runtime)
    candidate = await _candidate(runtime, video_id)
    assert candidate is not None
    assert candidate.ready is True
    assert [item["id"] for item in await _feed(client)] == [video_id]

    # a new title reaches the card
    await client.patch(f"/api/v1/videos/{video_id}", headers=host.headers, json={"title": "新标题"})
    assert [item["title"] for item in await _feed(client)] == ["新标题"]

    # its figures follow the viewers' views, completions, likes, comments and shares
    viewer = await sign_up(client)
    watched = await client.post(
        f"/api/v1/videos/{video_id}/watch",
        headers=viewer.headers,
        json={"watched_ms": 3000, "ended": True},
    )
    assert watched.json()["completion_counted"] is True
    await client.put(f"/api/v1/videos/{video_id}/like", headers=viewer.headers)
    await client.post(
        f"/api/v1/videos/{video_id}/comments", headers=viewer.headers, json={"body": "好看"}
    )
    await client.post(f"/api/v1/videos/{video_id}/share")
    candidate = await _candidate(runtime, video_id)
    assert candidate is not None
    assert (
        candidate.views,
        candidate.completions,
        candidate.likes,
        candidate.comments,
        candidate.shares,
    ) == (1, 1, 1, 1, 1)
    await client.delete(f"/api/v1/videos/{video_id}/like", headers=viewer.headers)
    candidate = await _candidate(runtime, video_id)
    assert candidate is not None
    assert candidate.likes == 0

    # unpublished: out of the feed; published again: back, with its figures
    await client.post(f"/api/v1/videos/{video_id}/unpublish", headers=host.headers)
    assert await _feed(client) == []
    await _publish(client, host, video_id)
    assert [item["id"] for item in await _feed(client)] == [video_id]
    candidate = await _candidate(runtime, video_id)
    assert candidate is not None
    assert (candidate.views, candidate.completions) == (1, 1)

    # discarded: gone for good
    assert (
        await client.delete(f"/api/v1/videos/{video_id}", headers=host.headers)
    ).status_code == 204
    assert await _feed(client) == []


async def test_a_card_taken_before_a_removal_does_not_bring_the_video_back(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    """Events may run out of order after a retry: the newest card or removal wins."""
    from datetime import timedelta

    from livecommerce.kit.clock import utcnow
    from livecommerce.traffic.video_candidates import video_candidate_service

    host, room_id = await host_with_room(client)
    video = await ready_video(client, runtime, host, tmp_path, seconds=2)
    await _publish(client, host, video["id"])
    candidate = await _candidate(runtime, video["id"])
    assert candidate is not None
    published_at = candidate.card_at
    await client.post(f"/api/v1/videos/{video['id']}/unpublish", headers=host.headers)
    stale = {
        "video_id": video["id"],
        "owner_id": host.id,
        "room_id": room_id,
        "kind": "upload",
        "title": "old",
        "tags": [],
        "product_ids": [],
        "visible_at": published_at,
        "at": published_at - timedelta(seconds=1),
    }
    async with runtime.db.transaction() as session:
        await video_candidate_service.do_store_card(session, stale)
    assert await _feed(client) == []
    async with runtime.db.transaction() as session:
        await video_candidate_service.do_store_card(session, {**stale, "at": utcnow()})
    assert [item["title"] for item in await _feed(client)] == ["old"]
