"""Clips cut at the pins of an ended session; the feed, once-per-viewer counts, a buy."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from livecommerce.config import Settings
from livecommerce.kit import clock
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import StreamKey, StreamPublication
from livecommerce.videos.processing import keyframe_times, make_test_video
from tests.factories import sign_up
from tests.orders.shop import buyer_with_address, create_listing, open_stage, pay
from tests.videos.helpers import process_all

KEYFRAME_S = 1.0


async def _ended_session_with_pins(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> tuple[object, list[float], list[str]]:
    first = await create_listing(client, title="羊毛围巾", price_cents=9900)
    second = await create_listing(client, title="真丝睡衣", price_cents=19900)
    stage = await open_stage(client, [first, second])
    t0 = utcnow()
    clock.clock.freeze(t0)
    async with runtime.db.transaction() as session:
        key = StreamKey(room_id=stage.room_id, key="lc_test_key", created_at=t0)
        session.add(key)
        await session.flush()
        session.add(
            StreamPublication(
                session_id=stage.session_id,
                stream_key_id=key.id,
                via="embedded",
                client="test",
                started_at=t0,
                bytes_in=0,
            )
        )
    showcase = (await client.get(f"/api/v1/live-sessions/{stage.session_id}/showcase")).json()
    items = showcase["items"] if isinstance(showcase, dict) else showcase
    pins = [(2.4, items[0]["id"]), (7.5, items[1]["id"]), (12.3, None), (14.2, items[0]["id"])]
    for offset, item_id in pins:
        clock.clock.freeze(t0 + timedelta(seconds=offset))
        pinned = await client.post(
            f"/api/v1/live-sessions/{stage.session_id}/pin",
            json={"item_id": item_id},
            headers=stage.host.headers,
        )
        assert pinned.status_code == 200, pinned.text
    # the recording: 18 s with a keyframe every second
    recordings = settings.data_dir / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    make_test_video(
        recordings / f"{stage.session_id}.mp4", seconds=18, fps=10, keyframe_interval=10
    )
    clock.clock.freeze(t0 + timedelta(seconds=18))
    ended = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/end", headers=stage.host.headers
    )
    assert ended.status_code == 200, ended.text
    clock.clock.freeze(t0 + timedelta(seconds=30))  # the cutting job is due
    await process_all(runtime)
    return stage, [offset for offset, _ in pins], [first.product_id, second.product_id]


async def test_an_ended_session_gets_a_clip_per_explanation_at_the_pins(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    stage, _, products = await _ended_session_with_pins(client, runtime, settings)
    host = stage.host  # type: ignore[attr-defined]
    mine = (await client.get("/api/v1/videos/mine", headers=host.headers)).json()["items"]
    clips = sorted(mine, key=lambda v: v["clip_start_s"])
    assert [(c["title"], c["clip_start_s"], c["clip_end_s"]) for c in clips] == [
        ("羊毛围巾", 2.4, 7.5),
        ("真丝睡衣", 7.5, 12.3),  # the unpin ends the explanation
        ("羊毛围巾", 14.2, 18.0),  # the last runs to the end of the recording
    ]
    assert [c["product_ids"] for c in clips] == [[products[0]], [products[1]], [products[0]]]
    for clip in clips:
        assert clip["status"] == "ready", clip
        assert clip["cut_mode"] == "copy"  # the recording is H.264/AAC: no re-encoding
        assert clip["published_at"] is None  # the host decides
        # copied from the keyframe at or before the pin to the one at or after the next:
        # both ends are within one keyframe interval of the timeline
        asked = clip["clip_end_s"] - clip["clip_start_s"]
        assert asked <= clip["duration_s"] <= asked + 2 * KEYFRAME_S + 0.01
        path = settings.videos_dir / clip["id"] / "video.mp4"
        assert keyframe_times(path)[0] == 0.0
    # the host trims the first and publishes it; discards the second
    first, second = clips[0], clips[1]
    trimmed = await client.post(
        f"/api/v1/videos/{first['id']}/trim",
        json={"start_s": 3.0, "end_s": 5.0},
        headers=host.headers,
    )
    assert trimmed.status_code == 200, trimmed.text
    await process_all(runtime)
    again = (await client.get(f"/api/v1/videos/{first['id']}", headers=host.headers)).json()
    assert again["status"] == "ready"
    assert again["duration_s"] == pytest.approx(2.0, abs=0.01)  # 3.0 and 5.0 are keyframes
    published = await client.post(
        f"/api/v1/videos/{first['id']}/publish", json={}, headers=host.headers
    )
    assert published.status_code == 200
    gone = await client.delete(f"/api/v1/videos/{second['id']}", headers=host.headers)
    assert gone.status_code == 204
    assert not (settings.videos_dir / second["id"]).exists()
    feed = (await client.get("/api/v1/feed/videos")).json()["items"]
    assert [item["id"] for item in feed] == [first["id"]]
    assert feed[0]["live_session_id"] is None  # the session is over
    # cutting again is idempotent: the session has its clips
    clock.clock.advance(timedelta(minutes=1))
    await process_all(runtime)
    assert len((await client.get("/api/v1/videos/mine", headers=host.headers)).json()["items"]) == 2


async def test_feed_counts_once_per_viewer_and_attributes_orders(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    listing = await create_listing(client, title="羊毛围巾", price_cents=9900)
    stage = await open_stage(client, [listing])  # the host is live now
    host = stage.host
    source = make_test_video(tmp_path / "a.mp4", seconds=2)
    with source.open("rb") as handle:
        uploaded = await client.post(
            "/api/v1/videos",
            headers=host.headers,
            files={"file": ("a.mp4", handle, "video/mp4")},
        )
    video_id = uploaded.json()["id"]
    updated = await client.patch(
        f"/api/v1/videos/{video_id}",
        json={
            "title": "围巾怎么搭",
            "tags": ["#穿搭", "冬季"],
            "product_ids": [listing.product_id],
        },
        headers=host.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["tags"] == ["穿搭", "冬季"]
    later = (utcnow() + timedelta(hours=1)).isoformat()
    await client.post(
        f"/api/v1/videos/{video_id}/publish", json={"publish_at": later}, headers=host.headers
    )
    await process_all(runtime)
    assert (await client.get("/api/v1/feed/videos")).json()["items"] == []  # scheduled
    clock.clock.freeze(utcnow() + timedelta(hours=1, seconds=1))
    feed = (await client.get("/api/v1/feed/videos")).json()["items"]
    assert [item["id"] for item in feed] == [video_id]
    assert feed[0]["live_session_id"] == stage.session_id
    assert feed[0]["products"][0]["id"] == listing.product_id

    viewer = await sign_up(client)
    reports = [
        {"watched_ms": 1000, "ended": False},
        {"watched_ms": 1000, "ended": True},  # completes
        {"watched_ms": 2000, "ended": True},  # watched again: no new view, no new completion
    ]
    outcomes = []
    for report in reports:
        reply = await client.post(
            f"/api/v1/videos/{video_id}/watch", json=report, headers=viewer.headers
        )
        assert reply.status_code == 200, reply.text
        outcomes.append((reply.json()["view_counted"], reply.json()["completion_counted"]))
    assert outcomes == [(True, False), (False, True), (False, False)]
    # an anonymous browser is one more viewer, kept by its cookie
    anonymous = await client.post(
        f"/api/v1/videos/{video_id}/watch", json={"watched_ms": 500, "ended": False}
    )
    assert anonymous.json()["view_counted"] is True
    again = await client.post(
        f"/api/v1/videos/{video_id}/watch", json={"watched_ms": 500, "ended": False}
    )
    assert again.json()["view_counted"] is False
    client.cookies.clear()

    liked = await client.put(f"/api/v1/videos/{video_id}/like", headers=viewer.headers)
    assert liked.json() == {"video_id": video_id, "liked": True, "likes": 1}
    twice = await client.put(f"/api/v1/videos/{video_id}/like", headers=viewer.headers)
    assert twice.json()["likes"] == 1
    comment = await client.post(
        f"/api/v1/videos/{video_id}/comments", json={"body": "好看"}, headers=viewer.headers
    )
    assert comment.status_code == 201
    shared = await client.post(f"/api/v1/videos/{video_id}/share")
    assert shared.json()["shares"] == 1
    click = await client.post(f"/api/v1/videos/{video_id}/room-click", headers=viewer.headers)
    assert click.json()["url"] == f"/live/{stage.session_id}?from_video={video_id}"

    buyer, address_id = await buyer_with_address(client)
    order = await client.post(
        "/api/v1/orders",
        json={
            "sku_id": listing.sku_id,
            "quantity": 2,
            "address_id": address_id,
            "video_id": video_id,
        },
        headers=buyer.headers,
    )
    assert order.status_code == 201, order.text
    assert order.json()["video_id"] == video_id
    await pay(client, buyer, order.json()["id"])

    figures = (await client.get(f"/api/v1/videos/{video_id}", headers=host.headers)).json()
    assert {
        key: figures[key]
        for key in (
            "views",
            "completions",
            "completion_rate",
            "likes",
            "comments",
            "shares",
            "room_clicks",
            "orders",
            "gmv_cents",
        )
    } == {
        "views": 2,
        "completions": 1,
        "completion_rate": 0.5,
        "likes": 1,
        "comments": 1,
        "shares": 1,
        "room_clicks": 1,
        "orders": 1,
        "gmv_cents": 2 * 9900,
    }
    # once the session is over the badge is gone and a click is refused
    await client.post(f"/api/v1/live-sessions/{stage.session_id}/end", headers=host.headers)
    late = await client.post(f"/api/v1/videos/{video_id}/room-click")
    assert late.status_code == 409
    assert late.json()["code"] == "host_not_live"
