"""Real RTMP publishing with ffmpeg into the embedded ingest; HTTP-FLV decoded with PyAV."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer
from tests.media.helpers import (
    decode,
    host_with_session,
    publish,
    read_flv,
    stop,
    wait_for_status,
)


async def test_publish_goes_live_and_viewers_decode_the_flv(live_server: LiveServer) -> None:
    rtmp_port = live_server.app.state.runtime.extras["media"].rtmp_port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        process = await publish(f"rtmp://127.0.0.1:{rtmp_port}/live/{key}")
        try:
            await wait_for_status(client, session_id, "live")
            data = await read_flv(live_server.url, session_id, 2.0)
        finally:
            await stop(process)
        assert data[:3] == b"FLV"
        decoded = decode(data)
        assert decoded["width"] == 320
        assert decoded["height"] == 240
        assert decoded["first_is_key"] is True
        assert decoded["video_frames"] >= 25
        assert decoded["audio_frames"] >= 20
        await wait_for_status(client, session_id, "interrupted")
