"""Short videos in the demo: last night's session cut into 讲解 clips and published, a video
from the host who is live now (its "直播中" badge leads into the room), and an order a
viewer placed from a video's buy sheet, so the host's video figures are not empty."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from livecommerce.demo.world import DemoWorld, bearer
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import (
    LiveSession,
    LiveSessionStatus,
    PinEvent,
    StreamKey,
    StreamPublication,
)
from livecommerce.videos.processing import make_test_video
from livecommerce.videos.runner import workers_of
from livecommerce.videos.service import video_service
from livecommerce.worker.loop import WorkerLoop

log = logging.getLogger(__name__)

RECORDING_S = 48
PIN_AT_S = (3.0, 17.5, 31.0)  # three products explained, each until the next pin


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"demo videos: {response.request.method} {response.request.url.path} "
            f"→ {response.status_code} {response.text}"
        )
    return response.json() if response.content else None


async def _ended_session(
    http: httpx.AsyncClient, runtime: Runtime, host: dict[str, str], world: DemoWorld,
    product_ids: list[str],
) -> str:  # fmt: skip
    """Yesterday's session of the demo room: its showcase, pins and recording."""
    started = utcnow() - timedelta(days=1)
    planned = utcnow() + timedelta(hours=1)
    session = _ok(
        await http.post(
            f"/api/v1/rooms/{world.room_id}/sessions",
            headers=host,
            json={"title": "昨晚回放 · 明前龙井专场", "planned_start_at": planned.isoformat()},
        )
    )
    session_id: str = session["id"]
    item_ids = []
    for product_id in product_ids[: len(PIN_AT_S)]:
        item = _ok(
            await http.post(
                f"/api/v1/live-sessions/{session_id}/showcase",
                headers=host,
                json={"product_id": product_id},
            )
        )
        item_ids.append(item["id"])
    recordings = runtime.settings.data_dir / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(
        make_test_video,
        recordings / f"{session_id}.mp4",
        seconds=RECORDING_S,
        width=640,
        height=360,
        fps=20,
        keyframe_interval=40,
    )
    # The session happened yesterday: its state and pin timeline are written as the
    # live and media services would have left them.
    async with runtime.db.transaction() as db:
        live_session = await db.get(LiveSession, session_id)
        assert live_session is not None
        live_session.status = LiveSessionStatus.ENDED
        live_session.planned_start_at = started
        live_session.started_at = started
        live_session.ended_at = started + timedelta(seconds=RECORDING_S)
        key = StreamKey(room_id=world.room_id, key=f"lc_demo_{session_id}", created_at=started)
        key.revoked_at = started
        db.add(key)
        await db.flush()
        db.add(
            StreamPublication(
                session_id=session_id,
                stream_key_id=key.id,
                via="embedded",
                client="demo",
                started_at=started,
                stopped_at=live_session.ended_at,
                bytes_in=0,
            )
        )
        for offset, item_id in zip(PIN_AT_S, item_ids, strict=False):
            db.add(
                PinEvent(
                    session_id=session_id,
                    showcase_item_id=item_id,
                    at=started + timedelta(seconds=offset),
                )
            )
    async with runtime.db.transaction() as db:
        await video_service.do_create_session_clips(db, session_id)
    return session_id


async def _wait_ready(
    http: httpx.AsyncClient, runtime: Runtime, host: dict[str, str], count: int
) -> list[Any]:
    for _ in range(600):
        # Run the due jobs here too: the app's worker loop may be off (it would do the same).
        await WorkerLoop(runtime).run_once()
        await workers_of(runtime).join()
        mine = _ok(await http.get("/api/v1/videos/mine", headers=host))["items"]
        if len(mine) >= count and all(v["status"] != "processing" for v in mine):
            return list(mine)
        await asyncio.sleep(0.2)
    raise RuntimeError("demo videos: processing took too long")


async def seed_videos(
    http: httpx.AsyncClient, runtime: Runtime, world: DemoWorld, product_ids: list[str]
) -> None:
    host = bearer(world.tokens["host"])
    if _ok(await http.get("/api/v1/videos/mine", headers=host))["items"]:
        return  # seeded by an earlier run
    await _ended_session(http, runtime, host, world, product_ids)
    # A vertical video the host uploads today, linking the first product.
    with tempfile.TemporaryDirectory() as folder:
        path = await asyncio.to_thread(
            make_test_video, Path(folder) / "今日茶园.mp4", seconds=8, width=360, height=640, fps=20
        )
        with path.open("rb") as handle:
            uploaded = _ok(
                await http.post(
                    "/api/v1/videos",
                    headers=host,
                    files={"file": ("今日茶园.mp4", handle, "video/mp4")},
                )
            )
    _ok(
        await http.patch(
            f"/api/v1/videos/{uploaded['id']}",
            headers=host,
            json={
                "title": "清晨的茶园：今天采的明前龙井",
                "tags": ["龙井", "茶园", "源头好物"],
                "product_ids": product_ids[:1],
            },
        )
    )
    videos = await _wait_ready(http, runtime, host, 1 + len(PIN_AT_S))
    for video in sorted(videos, key=lambda v: v["created_at"]):
        if video["status"] == "ready":
            _ok(await http.post(f"/api/v1/videos/{video['id']}/publish", headers=host, json={}))
    # A viewer watched the host's video to the end, liked it and bought from it.
    viewer = bearer(world.tokens["viewer"])
    video_id = uploaded["id"]
    _ok(
        await http.post(
            f"/api/v1/videos/{video_id}/watch",
            headers=viewer,
            json={"watched_ms": 8000, "ended": True},
        )
    )
    _ok(await http.put(f"/api/v1/videos/{video_id}/like", headers=viewer))
    product = _ok(await http.get(f"/api/v1/products/{product_ids[0]}"))
    address = _ok(await http.get("/api/v1/addresses", headers=viewer))["items"][0]
    order = _ok(
        await http.post(
            "/api/v1/orders",
            headers={**viewer, "Idempotency-Key": f"demo-video-{video_id}"},
            json={
                "sku_id": product["skus"][0]["id"],
                "quantity": 1,
                "address_id": address["id"],
                "video_id": video_id,
            },
        )
    )
    payment = _ok(await http.post(f"/api/v1/orders/{order['id']}/pay", headers=viewer))
    _ok(
        await http.post(
            f"/api/v1/payments/{payment['payment_id']}/sandbox-confirm",
            headers=viewer,
            json={"outcome": "succeed"},
        )
    )
