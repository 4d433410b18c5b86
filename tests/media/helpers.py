"""Publishing with the real ffmpeg CLI, reading HTTP-FLV and decoding it with PyAV."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from typing import Any

import av
import httpx

from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule

FFMPEG = "/usr/bin/ffmpeg"


async def host_with_session(client: httpx.AsyncClient) -> tuple[Account, dict[str, Any], str]:
    """A host, their room's scheduled session and the room's stream key."""
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live_session = await schedule(client, host, room["id"])
    response = await client.get(f"/api/v1/rooms/{room['id']}/stream-key", headers=host.headers)
    assert response.status_code == 200, response.text
    return host, live_session, response.json()["stream_key"]


async def publish(
    url: str,
    *,
    seconds: float = 30,
    gop: int = 25,
    size: str = "320x240",
    video_codec: str = "libx264",
) -> asyncio.subprocess.Process:
    """ffmpeg -re pushing a test pattern and a tone to ``url`` (stopped by the caller)."""
    return await asyncio.create_subprocess_exec(
        FFMPEG,
        "-hide_banner",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate=25:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=44100:duration={seconds}",
        "-c:v",
        video_codec,
        *(["-preset", "ultrafast", "-tune", "zerolatency"] if video_codec == "libx264" else []),
        "-g",
        str(gop),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-f",
        "flv",
        url,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it may have exited already
            process.kill()
    await process.wait()


async def wait_for_status(
    client: httpx.AsyncClient, session_id: str, status: str, within: float = 10
) -> None:
    deadline = time.monotonic() + within
    current = None
    while time.monotonic() < deadline:
        response = await client.get(f"/api/v1/live-sessions/{session_id}")
        current = response.json()["status"]
        if current == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"session stayed {current}, expected {status}")


async def read_flv(base_url: str, session_id: str, seconds: float) -> bytes:
    """Read the HTTP-FLV delivery for ``seconds`` (waiting for it to exist first)."""
    data = bytearray()
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        deadline = time.monotonic() + 10
        while True:
            async with http.stream("GET", f"/live/{session_id}.flv") as response:
                if response.status_code == 200:
                    assert response.headers["content-type"] == "video/x-flv"
                    end = time.monotonic() + seconds
                    async for chunk in response.aiter_bytes():
                        data += chunk
                        if time.monotonic() >= end:
                            break
                    return bytes(data)
                await response.aread()
            if time.monotonic() > deadline:
                raise AssertionError("the FLV stream never became available")
            await asyncio.sleep(0.1)


def decode(data: bytes, fmt: str = "flv") -> dict[str, Any]:
    """Decode everything PyAV can from ``data``: frame counts and the picture size."""
    video_frames = audio_frames = 0
    width = height = 0
    first_is_key = None
    with av.open(io.BytesIO(data), "r", format=fmt) as container:
        for packet in container.demux():
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    if first_is_key is None:
                        first_is_key = bool(frame.key_frame)
                    video_frames += 1
                    width, height = frame.width, frame.height
                elif isinstance(frame, av.AudioFrame):
                    audio_frames += 1
    return {
        "video_frames": video_frames,
        "audio_frames": audio_frames,
        "width": width,
        "height": height,
        "first_is_key": first_is_key,
    }
