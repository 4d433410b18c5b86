"""The demo room's live video: a synthetic stream pushed through the real RTMP ingest."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from livecommerce.demo.world import DemoWorld, bearer
from livecommerce.kit.runtime import Runtime
from livecommerce.media.publisher import start_publisher_process

log = logging.getLogger(__name__)


async def run_demo_video(base_url: str, runtime: Runtime, world: DemoWorld) -> None:
    """Publish 640x360 at 20 fps (a moving pattern, a clock, a tone) until cancelled;
    restart the publisher if it drops, as long as the demo session is on air."""
    media = runtime.extras.get("media")
    port = getattr(media, "rtmp_port", None)
    if port is None:
        log.warning("the RTMP ingest is not running; the demo room has no video")
        return
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.get(
            f"/api/v1/rooms/{world.room_id}/stream-key", headers=bearer(world.tokens["host"])
        )
        response.raise_for_status()
        key = response.json()["stream_key"]
        publisher: asyncio.subprocess.Process | None = None
        try:
            while True:
                if publisher is None or publisher.returncode is not None:
                    status = (await http.get(f"/api/v1/live-sessions/{world.session_id}")).json()
                    if status.get("status") not in ("live", "interrupted"):
                        return
                    publisher = await start_publisher_process(
                        f"rtmp://127.0.0.1:{port}/live/{key}", label="livecommerce demo"
                    )
                await asyncio.sleep(3)
        finally:
            if publisher is not None and publisher.returncode is None:
                publisher.terminate()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(publisher.wait(), 5)
