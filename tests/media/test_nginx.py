"""nginx + nginx-rtmp doing ingest and HLS, with its callbacks pointed at the app."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from livecommerce.config import Settings
from livecommerce.media.nginx import DEBIAN_MODULE, NginxLayout, write_nginx_config
from tests.browser import require
from tests.conftest import LiveServer, free_port
from tests.media.helpers import decode, host_with_session, publish, stop, wait_for_status

NGINX_MISSING = (
    shutil.which("nginx") is None
    and not Path("/usr/sbin/nginx").exists()
    or not Path(DEBIAN_MODULE).exists()
)


class Nginx:
    def __init__(self, rtmp_port: int, http_port: int) -> None:
        self.rtmp_url = f"rtmp://127.0.0.1:{rtmp_port}/live"
        self.http_url = f"http://127.0.0.1:{http_port}"


@pytest.fixture
async def nginx(live_server: LiveServer, tmp_path: Path) -> AsyncIterator[Nginx]:
    require(not NGINX_MISSING, "nginx with libnginx-mod-rtmp")
    settings: Settings = live_server.app.state.runtime.settings
    layout = NginxLayout(
        app_url=live_server.url,
        rtmp_port=free_port(),
        http_port=free_port(),
        prefix=tmp_path / "nginx",
        user="root",
    )
    config = write_nginx_config(settings, layout)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = await asyncio.create_subprocess_exec(
        binary,
        "-p",
        str(layout.prefix),
        "-c",
        str(config),
        "-g",
        "daemon off;",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", layout.rtmp_port)
            writer.close()
            break
        except OSError:
            if process.returncode is not None or time.monotonic() > deadline:
                assert process.stderr is not None
                raise AssertionError((await process.stderr.read()).decode()) from None
            await asyncio.sleep(0.1)
    try:
        yield Nginx(layout.rtmp_port, layout.http_port)
    finally:
        process.terminate()
        await process.wait()


async def test_nginx_rtmp_authenticates_keys_and_flips_session_state(
    live_server: LiveServer, nginx: Nginx
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        wrong = await publish(f"{nginx.rtmp_url}/lc_{'0' * 40}", seconds=5)
        assert await asyncio.wait_for(wrong.wait(), 15) != 0
        assert (await client.get(f"/api/v1/live-sessions/{session_id}")).json()[
            "status"
        ] == "scheduled"

        process = await publish(f"{nginx.rtmp_url}/{key}", gop=25)
        try:
            await wait_for_status(client, session_id, "live")
            async with httpx.AsyncClient(base_url=nginx.http_url) as edge:
                playlist = await _wait_for_playlist(edge, session_id)
                assert key not in playlist
                segment_name = [line for line in playlist.splitlines() if line.endswith(".ts")][0]
                segment = await edge.get(f"/hls/{session_id}/{segment_name}")
                assert segment.status_code == 200
                decoded = decode(segment.content, "mpegts")
                assert decoded["width"] == 320
                assert decoded["video_frames"] >= 25
                # everything else is the app, proxied
                proxied = await edge.get(f"/api/v1/live-sessions/{session_id}")
                assert proxied.json()["status"] == "live"
        finally:
            await stop(process)
        await wait_for_status(client, session_id, "interrupted")

        # back on air through nginx; ending the session drops the publisher at nginx
        again = await publish(f"{nginx.rtmp_url}/{key}", gop=25)
        try:
            await wait_for_status(client, session_id, "live")
            ended = await client.post(
                f"/api/v1/live-sessions/{session_id}/end", headers=host.headers
            )
            assert ended.status_code == 200
            assert await asyncio.wait_for(again.wait(), 15) is not None
        finally:
            await stop(again)
        assert (await client.get(f"/api/v1/live-sessions/{session_id}")).json()["status"] == "ended"

        # nginx recorded both broadcasts into the app's recordings: the replay plays them.
        replay = await client.get(f"/replay/{session_id}/video")
        assert replay.status_code == 200, replay.text
        assert replay.headers["content-type"] == "video/mp4"
        recorded = decode(replay.content, "mp4")
        assert recorded["width"] == 320
        assert recorded["video_frames"] >= 50

        forged = await client.post(
            "/api/v1/media/nginx/on-publish-done",
            params={"token": "wrong"},
            data={"name": session_id, "app": "live"},
        )
        assert forged.status_code == 403
        assert forged.json()["code"] == "bad_callback_token"


async def _wait_for_playlist(edge: httpx.AsyncClient, session_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = await edge.get(f"/hls/{session_id}/index.m3u8")
        if response.status_code == 200 and ".ts" in response.text:
            assert response.headers["content-type"] == "application/vnd.apple.mpegurl"
            return response.text
        await asyncio.sleep(0.3)
    raise AssertionError("nginx never wrote the HLS playlist")


def test_cli_writes_the_config(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from livecommerce.cli import app

    result = CliRunner().invoke(
        app,
        [
            "media",
            "nginx-config",
            "--app-url",
            "http://10.0.0.5:8000",
            "--rtmp-port",
            "1936",
            "--http-port",
            "8081",
            "--prefix",
            str(tmp_path / "edge"),
        ],
    )
    assert result.exit_code == 0, result.output
    config = (tmp_path / "edge" / "nginx.conf").read_text()
    assert "listen 1936;" in config
    assert "listen 8081;" in config
    assert "on_publish http://10.0.0.5:8000/api/v1/media/nginx/on-publish?token=" in config
    assert "&rtmp_port=1936&control_port=8081;" in config
    assert "rtmp_control all;" in config
    assert "proxy_pass http://10.0.0.5:8000;" in config
    assert (tmp_path / "edge" / "hls").is_dir()
