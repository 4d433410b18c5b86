"""A recording survives an app restart during the broadcast."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn

from livecommerce.app import create_app
from livecommerce.config import Settings
from tests.conftest import free_port
from tests.media.helpers import decode, host_with_session, publish, stop, wait_for_status


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    app = create_app(settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_recording_survives_a_restart_mid_broadcast(settings: Settings) -> None:
    rtmp = f"rtmp://127.0.0.1:{settings.rtmp_port}/live"
    async with running(settings) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        first = await publish(f"{rtmp}/{key}")
        await wait_for_status(client, session_id, "live")
        await asyncio.sleep(3)
        await stop(first)
        await wait_for_status(client, session_id, "interrupted")
    recording = settings.data_dir / "recordings" / f"{session_id}.flv"
    before_restart = decode(recording.read_bytes())
    assert 50 <= before_restart["video_frames"] <= 100
    # the process died in the middle of writing a tag
    with recording.open("ab") as file:
        file.write(b"\x09\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x17\x01")
    assert decode(recording.read_bytes())["video_frames"] == before_restart["video_frames"]

    async with running(settings) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        second = await publish(f"{rtmp}/{key}")
        try:
            await wait_for_status(client, session_id, "live")
            await asyncio.sleep(2)
        finally:
            await stop(second)
        ended = await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host.headers)
        assert ended.status_code == 200
        video = await client.get(f"/replay/{session_id}/video")
        assert video.status_code == 200
    replayed = decode(video.content, "mp4")
    assert replayed["first_is_key"] is True
    assert replayed["video_frames"] >= before_restart["video_frames"] + 25
