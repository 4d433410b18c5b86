"""Real RTMP publishing with ffmpeg into the embedded ingest; HTTP-FLV decoded with PyAV."""

from __future__ import annotations

import asyncio
import os
import socket

import httpx

from tests.conftest import LiveServer
from tests.live.helpers import ChannelListener
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


def _rtmp_port(live_server: LiveServer) -> int:
    port: int = live_server.app.state.runtime.extras["media"].rtmp_port
    return port


async def test_wrong_or_revoked_key_is_refused(live_server: LiveServer) -> None:
    port = _rtmp_port(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        wrong = await publish(f"rtmp://127.0.0.1:{port}/live/lc_{'0' * 40}", seconds=5)
        assert await asyncio.wait_for(wrong.wait(), 15) != 0
        rotated = await client.post(
            f"/api/v1/rooms/{live_session['room_id']}/stream-key/rotate", headers=host.headers
        )
        assert rotated.status_code == 200
        revoked = await publish(f"rtmp://127.0.0.1:{port}/live/{key}", seconds=5)
        assert await asyncio.wait_for(revoked.wait(), 15) != 0
        other_app = await publish(
            f"rtmp://127.0.0.1:{port}/other/{rotated.json()['stream_key']}", seconds=5
        )
        assert await asyncio.wait_for(other_app.wait(), 15) != 0
        detail = await client.get(f"/api/v1/live-sessions/{live_session['id']}")
        assert detail.json()["status"] == "scheduled"
        flv = await client.get(f"/live/{live_session['id']}.flv")
        assert flv.status_code == 404
        assert flv.json()["code"] == "stream_not_live"


async def _garbage(port: int, payload: bytes, *, handshake: bool) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if handshake:
            writer.write(b"\x03" + os.urandom(1536))
            await writer.drain()
            await reader.readexactly(1 + 1536 * 2)
            writer.write(os.urandom(1536))
        writer.write(payload)
        await writer.drain()
        await asyncio.wait_for(reader.read(65536), 5)
    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
        pass
    finally:
        writer.close()


async def test_garbage_and_cut_connections_never_hurt_other_rooms(
    live_server: LiveServer,
) -> None:
    port = _rtmp_port(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _, good_session, good_key = await host_with_session(client)
        _, bad_session, bad_key = await host_with_session(client)
        good = await publish(f"rtmp://127.0.0.1:{port}/live/{good_key}")
        try:
            await wait_for_status(client, good_session["id"], "live")
            await _garbage(port, os.urandom(5000), handshake=False)
            await _garbage(port, b"\x03" + b"\x00" * 10, handshake=False)  # cut in the handshake
            await _garbage(port, os.urandom(20000), handshake=True)
            # a chunk header announcing a huge message, then nothing
            await _garbage(
                port, b"\x03" + b"\x00\x00\x00\xff\xff\xff\x14" + b"\x00" * 4, handshake=True
            )
            # wrong codec: Sorenson H.263 instead of H.264
            wrong_codec = await publish(
                f"rtmp://127.0.0.1:{port}/live/{bad_key}", seconds=10, video_codec="flv1"
            )
            assert await asyncio.wait_for(wrong_codec.wait(), 20) != 0
            await wait_for_status(client, bad_session["id"], "interrupted")
            # a publisher killed in the middle of a frame
            killed = await publish(f"rtmp://127.0.0.1:{port}/live/{bad_key}")
            await wait_for_status(client, bad_session["id"], "live")
            await asyncio.sleep(0.5)
            killed.kill()
            await killed.wait()
            await wait_for_status(client, bad_session["id"], "interrupted")
            data = await read_flv(live_server.url, good_session["id"], 1.5)
        finally:
            await stop(good)
        decoded = decode(data)
        assert decoded["first_is_key"] is True
        assert decoded["video_frames"] >= 20
        health = await client.get("/healthz")
        assert health.status_code == 200


async def test_host_reconnects_then_the_session_times_out(live_server: LiveServer) -> None:
    port = _rtmp_port(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        url = f"rtmp://127.0.0.1:{port}/live/{key}"
        async with ChannelListener(live_server.app.state.runtime, session_id) as listener:
            first = await publish(url)
            await wait_for_status(client, session_id, "live")
            await asyncio.sleep(1)
            await stop(first)
            await wait_for_status(client, session_id, "interrupted")
            second = await publish(url)
            try:
                await wait_for_status(client, session_id, "live")
                data = await read_flv(live_server.url, session_id, 1.0)
            finally:
                await stop(second)
            assert decode(data)["video_frames"] >= 10
            await wait_for_status(client, session_id, "interrupted")
            # media_reconnect_timeout_s is 3 in these tests
            await wait_for_status(client, session_id, "ended", within=15)
            states = [m["status"] for m in listener.of_type("session_state")]
        assert states == ["live", "interrupted", "live", "interrupted", "ended"]
        gone = await client.get(f"/live/{session_id}.flv")
        assert gone.status_code == 404
        assert gone.json()["code"] == "session_ended"
        unknown = await client.get(f"/live/{'0' * 32}.flv")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "live_session_not_found"


async def test_a_second_publisher_for_the_same_room_is_refused(live_server: LiveServer) -> None:
    port = _rtmp_port(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        first = await publish(f"rtmp://127.0.0.1:{port}/live/{key}")
        try:
            await wait_for_status(client, live_session["id"], "live")
            second = await publish(f"rtmp://127.0.0.1:{port}/live/{key}", seconds=5)
            assert await asyncio.wait_for(second.wait(), 15) != 0
            assert first.returncode is None
            health = await client.get(
                f"/api/v1/live-sessions/{live_session['id']}/stream-health", headers=host.headers
            )
            assert health.json()["publishing"] is True
        finally:
            await stop(first)


async def test_a_viewer_that_stops_reading_is_dropped_and_others_keep_playing(
    live_server: LiveServer,
) -> None:
    runtime = live_server.app.state.runtime
    runtime.settings.media_viewer_queue = 16  # the smallest allowed: fills in a moment
    port = _rtmp_port(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        process = await publish(f"rtmp://127.0.0.1:{port}/live/{key}", size="1280x720")
        try:
            await wait_for_status(client, session_id, "live")
            await asyncio.sleep(0.5)
            # a viewer that asks for the stream and then never reads a byte
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", live_server.port))
            sock.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=sock)
            writer.write(f"GET /live/{session_id}.flv HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await writer.drain()
            stream = runtime.extras["media"].streams[session_id]
            counts = []
            for _ in range(300):
                counts.append(len(stream.subscribers))
                if counts[-1] == 0 and 1 in counts:
                    break
                await asyncio.sleep(0.1)
            assert counts[-1] == 0
            assert 1 in counts  # it was a viewer, then it was dropped
            data = await read_flv(live_server.url, session_id, 2.0)
            writer.close()
        finally:
            await stop(process)
        decoded = decode(data)
        assert decoded["video_frames"] >= 25
        assert decoded["width"] == 1280
