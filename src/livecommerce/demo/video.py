"""The demo room's live video: a synthetic stream pushed through the real RTMP ingest."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from livecommerce.demo.traffic import feed_live_streams
from livecommerce.demo.world import DemoWorld, bearer
from livecommerce.kit.runtime import Runtime
from livecommerce.media.publisher import start_publisher_process

log = logging.getLogger(__name__)


async def run_demo_video(base_url: str, runtime: Runtime, world: DemoWorld) -> None:
    """Publish the demo room at 640x360, 20 fps (a moving pattern, a clock, a tone), and
    each feed host's live session at a smaller size, until cancelled; a publisher that
    drops is restarted as long as its session is on air. Every room shown live has video."""
    media = runtime.extras.get("media")
    port = getattr(media, "rtmp_port", None)
    if port is None:
        log.warning("the RTMP ingest is not running; the demo rooms have no video")
        return
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        streams = [
            _keep_publishing(
                http, port, world.tokens["host"], world.room_id, world.session_id, 640, 360, 20
            )
        ]
        for token, room_id, session_id in await feed_live_streams(http):
            streams.append(_keep_publishing(http, port, token, room_id, session_id, 320, 180, 10))
        await asyncio.gather(*streams)


async def _keep_publishing(
    http: httpx.AsyncClient,
    port: int,
    token: str,
    room_id: str,
    session_id: str,
    width: int,
    height: int,
    fps: int,
) -> None:
    response = await http.get(f"/api/v1/rooms/{room_id}/stream-key", headers=bearer(token))
    response.raise_for_status()
    key = response.json()["stream_key"]
    publisher: asyncio.subprocess.Process | None = None
    try:
        while True:
            if publisher is None or publisher.returncode is not None:
                status = (await http.get(f"/api/v1/live-sessions/{session_id}")).json()
                if status.get("status") not in ("live", "interrupted"):
                    return
                publisher = await start_publisher_process(
                    f"rtmp://127.0.0.1:{port}/live/{key}",
                    width=width,
                    height=height,
                    fps=fps,
                    bitrate=800_000 if width >= 640 else 250_000,
                    label="livecommerce demo",
                )
            await asyncio.sleep(3)
    finally:
        if publisher is not None and publisher.returncode is None:
            publisher.terminate()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(publisher.wait(), 5)
