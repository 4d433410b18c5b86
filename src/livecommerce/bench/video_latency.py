"""Glass-to-glass video latency: embedded HTTP-FLV, embedded HLS, nginx-rtmp's default HLS.

It serves the platform (``livecommerce serve``) on free ports with a fresh SQLite
database, creates two rooms through the public API, and runs two synthetic publishers
(``python -m livecommerce.media.publisher --stamp``): one into the embedded RTMP ingest,
one into an nginx + nginx-rtmp started from ``livecommerce media nginx-config`` with
nginx-rtmp's default HLS settings. Every frame carries the wall-clock time it was
captured, drawn as blocks in the picture; subscribers read the same URLs a browser uses
(``/live/{id}.flv``; the HLS playlist and segments, fetched as soon as they are listed),
decode with PyAV and read the stamp back: latency = decoded at − captured at.

Then 50 viewers read one 2 Mbit/s stream over HTTP-FLV and the app's CPU time (from
/proc) is compared with the same stream and no viewers: cpu_ms_per_viewer_per_s.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from livecommerce.bench.registry import register
from livecommerce.media import flv
from livecommerce.media.publisher import read_stamp

FAN_OUT_VIEWERS = 50
TARGET_LOW_LATENCY_P50_S = 1.5
TARGET_HLS_P50_S = 4.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


@dataclass
class PathResult:
    latencies: list[float] = field(default_factory=list)
    skipped: str | None = None

    def summary(self) -> dict[str, Any]:
        values = sorted(self.latencies)
        if not values:
            result: dict[str, Any] = {"p50_s": None, "p95_s": None, "frames": 0}
        else:
            p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
            result = {
                "p50_s": round(statistics.median(values), 3),
                "p95_s": round(p95, 3),
                "frames": len(values),
            }
        if self.skipped:
            result["skipped"] = self.skipped
        return result


class _FlvDecoder:
    """Decodes H.264 from FLV video tags as they arrive (AVCC packets + the AVC config)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.header_done = False
        self.codec: Any = None

    def feed(self, data: bytes) -> list[Any]:
        import av

        self.buffer += data
        frames: list[Any] = []
        if not self.header_done:
            if len(self.buffer) < flv.FLV_HEADER_SIZE + 4:
                return frames
            del self.buffer[: flv.FLV_HEADER_SIZE + 4]
            self.header_done = True
        while len(self.buffer) >= flv.TAG_HEADER_SIZE:
            size = int.from_bytes(self.buffer[1:4], "big")
            end = flv.TAG_HEADER_SIZE + size + 4
            if len(self.buffer) < end:
                break
            tag_type = self.buffer[0] & 0x1F
            payload = bytes(self.buffer[flv.TAG_HEADER_SIZE : flv.TAG_HEADER_SIZE + size])
            del self.buffer[:end]
            if tag_type != flv.TAG_VIDEO or len(payload) < 5:
                continue
            if flv.is_avc_sequence_header(payload):
                self.codec = av.CodecContext.create("h264", "r")
                self.codec.extradata = payload[5:]
                continue
            if self.codec is None:
                continue
            try:
                frames.extend(self.codec.decode(av.Packet(payload[5:])))
            except av.error.FFmpegError:
                continue
        return frames


def _stamp_latency(frame: Any, now: float) -> float | None:
    millis = read_stamp(frame.to_image())
    if millis is None:
        return None
    return now - millis / 1000


async def _watch_flv(base_url: str, session_id: str, seconds: float, warmup: float) -> PathResult:
    result = PathResult()
    decoder = _FlvDecoder()
    start = time.monotonic()
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        http.stream("GET", f"/live/{session_id}.flv") as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_raw():
            now = time.time()
            for frame in decoder.feed(chunk):
                latency = _stamp_latency(frame, now)
                if latency is not None and time.monotonic() - start >= warmup:
                    result.latencies.append(latency)
            if time.monotonic() - start >= warmup + seconds:
                break
    return result


async def _watch_hls(
    base_url: str, playlist_path: str, seconds: float, warmup: float
) -> PathResult:
    """Poll the playlist like a player at the live edge; decode each new segment at once."""
    import av

    result = PathResult()
    seen: set[str] = set()
    start = time.monotonic()
    directory = playlist_path.rsplit("/", 1)[0]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        while time.monotonic() - start < warmup + seconds:
            try:
                response = await http.get(playlist_path)
            except httpx.HTTPError:
                response = httpx.Response(503)
            if response.status_code != 200:
                await asyncio.sleep(0.1)
                continue
            names = [line for line in response.text.splitlines() if line.endswith(".ts")]
            fresh = [name for name in names if name not in seen]
            if not seen and len(fresh) > 1:
                seen.update(fresh[:-1])  # start at the live edge, as a player would
                fresh = fresh[-1:]
            for name in fresh:
                seen.add(name)
                try:
                    segment = await http.get(f"{directory}/{name}")
                except httpx.HTTPError:
                    continue
                if segment.status_code != 200:
                    continue
                now = time.time()
                try:
                    with av.open(io.BytesIO(segment.content), "r", format="mpegts") as container:
                        for frame in container.decode(video=0):
                            latency = _stamp_latency(frame, now)
                            if latency is not None and time.monotonic() - start >= warmup:
                                result.latencies.append(latency)
                except av.error.FFmpegError:
                    continue
            await asyncio.sleep(0.1)
    return result


async def _fan_out(base_url: str, session_id: str, viewers: int, seconds: float) -> int:
    """``viewers`` HTTP-FLV readers that read and drop the bytes; total bytes read."""
    received = 0

    async def _viewer(http: httpx.AsyncClient) -> None:
        nonlocal received
        end = time.monotonic() + seconds
        async with http.stream("GET", f"/live/{session_id}.flv") as response:
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if time.monotonic() >= end:
                    return

    limits = httpx.Limits(max_connections=viewers + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
        await asyncio.gather(*(_viewer(http) for _ in range(viewers)))
    return received


class _Platform:
    def __init__(self, workdir: Path, smoke: bool) -> None:
        self.workdir = workdir
        self.smoke = smoke
        self.http_port = _free_port()
        self.rtmp_port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self.env = {
            **os.environ,
            "LIVECOMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "LIVECOMMERCE_DATA_DIR": str(workdir / "data"),
            "LIVECOMMERCE_PUBLIC_URL": self.base_url,
            "LIVECOMMERCE_RTMP_HOST": "127.0.0.1",
            "LIVECOMMERCE_RTMP_PORT": str(self.rtmp_port),
            "LIVECOMMERCE_REDIS_URL": "",
            "LIVECOMMERCE_MODE": "development",  # a local benchmark server
        }
        self.env.pop("LIVECOMMERCE_REDIS_URL")
        self.processes: list[subprocess.Popen[bytes]] = []

    def spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        with (self.workdir / log).open("wb") as out:
            process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    async def start_app(self) -> subprocess.Popen[bytes]:
        process = self.spawn(
            [sys.executable, "-m", "livecommerce", "serve", "--port", str(self.http_port)],
            "app.log",
        )
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as http:
            for _ in range(300):
                if process.poll() is not None:
                    raise RuntimeError("the benchmark app exited while starting; see app.log")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        return process
                await asyncio.sleep(0.1)
        raise RuntimeError("the benchmark app did not start")

    async def room_with_key(self, http: httpx.AsyncClient, number: int) -> tuple[str, str]:
        """A host's room with a session starting now; (session id, stream key)."""
        signup = await http.post(
            "/api/v1/auth/signup",
            json={
                "email": f"bench-host-{number}@example.com",
                "password": "bench-password-123",
                "display_name": f"Bench host {number}",
                "role": "host",
            },
        )
        signup.raise_for_status()
        headers = {"Authorization": f"Bearer {signup.json()['token']}"}
        http.cookies.clear()
        room = await http.post("/api/v1/rooms", json={"name": f"Bench {number}"}, headers=headers)
        room.raise_for_status()
        room_id = room.json()["id"]
        planned = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        created = await http.post(
            f"/api/v1/rooms/{room_id}/sessions",
            json={"title": f"Latency {number}", "planned_start_at": planned},
            headers=headers,
        )
        created.raise_for_status()
        key = await http.get(f"/api/v1/rooms/{room_id}/stream-key", headers=headers)
        key.raise_for_status()
        return created.json()["id"], key.json()["stream_key"]

    def publish(self, url: str, log: str, bitrate: int) -> subprocess.Popen[bytes]:
        return self.spawn(
            [
                sys.executable,
                "-m",
                "livecommerce.media.publisher",
                url,
                "--stamp",
                "--fps",
                "25",
                "--bitrate",
                str(bitrate),
                "--label",
                "latency benchmark",
            ],
            log,
        )

    def start_nginx(self) -> tuple[int, int] | None:
        from livecommerce.config import Settings
        from livecommerce.media.nginx import DEBIAN_MODULE, NginxLayout, write_nginx_config

        binary = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if binary is None or not Path(DEBIAN_MODULE).exists():
            return None
        rtmp_port, http_port = _free_port(), _free_port()
        layout = NginxLayout(
            app_url=self.base_url,
            rtmp_port=rtmp_port,
            http_port=http_port,
            prefix=self.workdir / "nginx",
            user="root" if os.geteuid() == 0 else None,
        )
        settings = Settings(_env_file=None)
        config = write_nginx_config(settings, layout)
        self.spawn(
            [binary, "-p", str(layout.prefix), "-c", str(config), "-g", "daemon off;"], "nginx.log"
        )
        return rtmp_port, http_port


async def _wait_for_rtmp(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on RTMP port {port}")


async def _wait_live(http: httpx.AsyncClient, session_id: str) -> None:
    for _ in range(200):
        detail = (await http.get(f"/api/v1/live-sessions/{session_id}")).json()
        if detail["status"] == "live":
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"session {session_id} never went live")


async def _measure(smoke: bool, workdir: Path) -> dict[str, Any]:
    platform = _Platform(workdir, smoke)
    seconds = 3.0 if smoke else 20.0
    warmup = 1.0 if smoke else 3.0
    fan_seconds = 2.0 if smoke else 10.0
    viewers = 5 if smoke else FAN_OUT_VIEWERS
    try:
        app = await platform.start_app()
        async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:
            embedded_session, embedded_key = await platform.room_with_key(http, 1)
            await _wait_for_rtmp(platform.rtmp_port)
            platform.publish(
                f"rtmp://127.0.0.1:{platform.rtmp_port}/live/{embedded_key}",
                "publisher-embedded.log",
                2_000_000,
            )
            nginx_ports = None if smoke else platform.start_nginx()
            nginx_session = None
            if nginx_ports is not None:
                nginx_session, nginx_key = await platform.room_with_key(http, 2)
                await _wait_for_rtmp(nginx_ports[0])
                platform.publish(
                    f"rtmp://127.0.0.1:{nginx_ports[0]}/live/{nginx_key}",
                    "publisher-nginx.log",
                    2_000_000,
                )
            await _wait_live(http, embedded_session)
            tasks = [
                _watch_flv(platform.base_url, embedded_session, seconds, warmup),
                _watch_hls(
                    platform.base_url, f"/hls/{embedded_session}/index.m3u8", seconds, warmup + 2
                ),
            ]
            if nginx_ports is not None and nginx_session is not None:
                await _wait_live(http, nginx_session)
                tasks.append(
                    _watch_hls(
                        f"http://127.0.0.1:{nginx_ports[1]}",
                        f"/hls/{nginx_session}/index.m3u8",
                        seconds + 15,
                        warmup + 12,
                    )
                )
            results = await asyncio.gather(*tasks)
            low_latency, hls = results[0], results[1]
            nginx_hls = results[2] if len(results) > 2 else PathResult(skipped="nginx not run")
            if smoke:
                nginx_hls.skipped = "smoke run"
            elif nginx_ports is None:
                nginx_hls.skipped = "nginx or libnginx-mod-rtmp not installed"

            # Fan-out: the app's CPU with the stream and no viewers, then with N viewers.
            cpu_before = _cpu_seconds(app.pid)
            await asyncio.sleep(fan_seconds)
            baseline_cpu = _cpu_seconds(app.pid) - cpu_before
            cpu_before = _cpu_seconds(app.pid)
            started = time.monotonic()
            received = await _fan_out(platform.base_url, embedded_session, viewers, fan_seconds)
            elapsed = time.monotonic() - started
            loaded_cpu = _cpu_seconds(app.pid) - cpu_before
    finally:
        platform.stop_all()
    per_viewer = max(0.0, loaded_cpu / elapsed - baseline_cpu / fan_seconds) / viewers * 1000
    return {
        "benchmark": "video-latency",
        "smoke": smoke,
        "paths": {
            "low_latency": low_latency.summary(),
            "hls": hls.summary(),
            "nginx_hls": nginx_hls.summary(),
        },
        "cpu_ms_per_viewer_per_s": round(per_viewer, 3),
        "fan_out": {
            "viewers": viewers,
            "seconds": round(elapsed, 2),
            "stream_kbps_per_viewer": round(received * 8 / 1000 / max(elapsed, 0.001) / viewers),
            "app_cpu_s_without_viewers": round(baseline_cpu, 3),
            "app_cpu_s_with_viewers": round(loaded_cpu, 3),
        },
        "targets": {
            "low_latency_p50_s": TARGET_LOW_LATENCY_P50_S,
            "hls_p50_s": TARGET_HLS_P50_S,
        },
        "method": (
            "frames stamped with the wall clock at capture; subscribers read /live/{id}.flv "
            "and the HLS playlist/segments (fetched as soon as listed), decode with PyAV and "
            "read the stamp; latency excludes a browser's own playback buffer"
        ),
    }


@register(
    "video-latency",
    "Glass-to-glass latency: embedded HTTP-FLV and HLS vs nginx-rtmp default HLS; "
    "CPU per viewer for 50 viewers of a 2 Mbit/s stream",
)
def run(smoke: bool = False) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="lc-video-bench-"))
    try:
        return asyncio.run(_measure(smoke, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
