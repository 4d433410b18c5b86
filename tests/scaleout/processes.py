"""Real ``livecommerce serve`` processes on free ports, sharing one database and Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from livecommerce.config import Settings
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, LiveServer, free_port

# Several processes on one SQLite file is not the scale-out configuration.
only_with_postgres_and_redis = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="multi-process scale-out runs in the PostgreSQL + Redis pass",
)


class ServeProcess:
    """One app worker: ``python -m livecommerce serve`` in its own process."""

    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.extra_env = env or {}
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"serve-{self.port}.log"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LIVE")}
        env.update(
            LIVECOMMERCE_DATABASE_URL=self.settings.database_url,
            LIVECOMMERCE_REDIS_URL=self.settings.redis_url or "",
            LIVECOMMERCE_DATA_DIR=str(self.settings.data_dir),
            LIVECOMMERCE_SECRET_KEY=self.settings.secret_key,
            LIVECOMMERCE_PUBLIC_URL=self.url,
            LIVECOMMERCE_RTMP_ENABLED="false",
            LIVECOMMERCE_WORKER_POLL_S="0.2",
            LIVECOMMERCE_ONLINE_TTL_S="3",
        )
        env.update(self.extra_env)
        return env

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled
            [sys.executable, "-m", "livecommerce", "serve", "--port", str(self.port)]
            + ["--no-migrate"],
            env=self.environment(),
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = asyncio.get_running_loop().time() + 30
        async with httpx.AsyncClient(timeout=1.0) as http:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"serve exited: {self.log_path.read_text()[-2000:]}")
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"serve did not start: {self.log_path.read_text()}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, sockets and shares left as they are."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def server(self) -> LiveServer:
        """The shape the realtime helpers take (no in-process app)."""
        server = LiveServer.__new__(LiveServer)
        server.port = self.port
        server.url = self.url
        server.ws_url = self.ws_url
        return server


@asynccontextmanager
async def serve_processes(
    settings: Settings, workdir: Path, count: int = 2, env: dict[str, str] | None = None
) -> AsyncIterator[list[ServeProcess]]:
    processes = [ServeProcess(settings, workdir, env=env) for _ in range(count)]
    try:
        await asyncio.gather(*(process.start() for process in processes))
        yield processes
    finally:
        for process in processes:
            process.stop()
