"""The processes an HTTP benchmark measures: the ceiling and the platform.

The ceiling is a bare ASGI app (``ceiling_app``, one fixed JSON reply) under uvicorn
with uvloop and httptools, access log off, in its own process: what one server
process on this machine can answer at all. The platform is ``livecommerce serve``
(access log off, as the ceiling) in its own process. Both are started by the
benchmark in the same run, so their ratio compares two servers under the same load
generator, never the load generator with itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecommerce.bench.loadgen import Connection, HttpError, build_request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

_CEILING_BODY = b'{"status":"ok"}'
_CEILING_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_CEILING_BODY)).encode()),
]


async def ceiling_app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """The bare ASGI app: every request gets the same small JSON reply."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _CEILING_HEADERS})
    await send({"type": "http.response.body", "body": _CEILING_BODY})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    host = "127.0.0.1"

    def request(self, method: str, path: str, **kwargs: Any) -> bytes:
        return build_request(method, path, host=f"{self.host}:{self.port}", **kwargs)


async def api(
    connection: Connection,
    server: Server,
    method: str,
    path: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    expect: int = 200,
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = await connection.request(
        server.request(method, path, headers=headers, json_body=json_body)
    )
    if reply.status != expect:
        raise RuntimeError(f"{method} {path}: {reply.status} {reply.body[:500]!r}")
    return reply.json() if reply.body else None


async def _wait_ready(server: Server) -> None:
    connection = Connection(server.host, server.port)
    try:
        for _ in range(600):
            if server.process.poll() is not None:
                tail = server.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the {server.name} server exited while starting:\n{tail}")
            try:
                reply = await connection.request(server.request("GET", "/healthz"), within_s=2)
                if reply.status == 200:
                    return
            except HttpError:
                connection.close()
            await asyncio.sleep(0.1)
    finally:
        connection.close()
    raise RuntimeError(f"the {server.name} server did not start")


def _spawn(name: str, command: list[str], env: dict[str, str], port: int) -> Server:
    log = Path(tempfile.mkstemp(prefix=f"lc-bench-{name}-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, process, log)


def _stop(server: Server) -> None:
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    server.log.unlink(missing_ok=True)


@asynccontextmanager
async def _serve(
    name: str, command: list[str], env: dict[str, str], port: int
) -> AsyncIterator[Server]:
    server = _spawn(name, command, env, port)
    try:
        await _wait_ready(server)
        yield server
    finally:
        _stop(server)


@asynccontextmanager
async def ceiling_server(*, workers: int = 1) -> AsyncIterator[Server]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "livecommerce.bench.servers:ceiling_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    async with _serve("ceiling", command, dict(os.environ), port) as server:
        yield server


def platform_env(
    *, database_url: str, data_dir: Path, port: int, redis_url: str | None
) -> dict[str, str]:
    env = {
        **os.environ,
        "LIVECOMMERCE_DATABASE_URL": database_url,
        "LIVECOMMERCE_DATA_DIR": str(data_dir),
        "LIVECOMMERCE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LIVECOMMERCE_BENCH_ENDPOINTS": "true",
        "LIVECOMMERCE_RTMP_ENABLED": "false",
        "LIVECOMMERCE_FLASH_SALE_PAYMENT_TIMEOUT_S": "3600",
        "LIVECOMMERCE_MODE": "development",  # a local benchmark server
        # A flash sale's deployment opens its pool before the sale (PostgreSQL only).
        "LIVECOMMERCE_DB_WARM_CONNECTIONS": "40",
    }
    env.pop("LIVECOMMERCE_REDIS_URL", None)
    if redis_url:
        env["LIVECOMMERCE_REDIS_URL"] = redis_url
    return env


@asynccontextmanager
async def platform_server(
    *,
    database_url: str,
    data_dir: Path,
    redis_url: str | None = None,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[Server]:
    """``livecommerce serve`` on a free port (the schema is already migrated); ``settings``
    are more ``LIVECOMMERCE_*`` variables."""
    port = free_port()
    env = platform_env(database_url=database_url, data_dir=data_dir, port=port, redis_url=redis_url)
    env.update(settings or {})
    command = [
        sys.executable,
        "-m",
        "livecommerce",
        "serve",
        "--port",
        str(port),
        "--no-migrate",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    async with _serve("platform", command, env, port) as server:
        yield server


def run_client(coroutine: Awaitable[Any]) -> Any:
    """Run the load generator on uvloop (as the servers are)."""
    import uvloop

    async def _main() -> Any:
        return await coroutine

    return uvloop.run(_main())
