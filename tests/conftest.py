"""Shared fixtures: a migrated database per test, the app, an HTTP client, a live server.

By default each test gets a fresh SQLite file and the in-process broker. With
``LIVECOMMERCE_TEST_DATABASE_URL`` (PostgreSQL) and ``LIVECOMMERCE_TEST_REDIS_URL``
the same tests run against those servers; under ``CI=true`` an unreachable
server fails the run instead of skipping.

Under pytest-xdist each worker (``gw0``, ``gw1``, …) gets a database and a Redis
database of its own: ``test`` becomes ``test_gw0``, Redis db 9 becomes 9 + the
worker's number, so workers never truncate or flush each other's data.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.base import Base
from livecommerce.kit.clock import clock
from livecommerce.kit.migrate import upgrade
from livecommerce.kit.runtime import Runtime
from livecommerce.realtime.fanout import UVICORN_WS

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database_url(url: str | None) -> str | None:
    if not url or not XDIST_WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{XDIST_WORKER}").render_as_string(
        hide_password=False
    )


def _worker_redis_url(url: str | None) -> str | None:
    if not url or not XDIST_WORKER:
        return url
    base, _, number = url.rstrip("/").rpartition("/")
    index = int(number) if number.isdigit() else 0
    return f"{base}/{index + int(XDIST_WORKER.removeprefix('gw'))}"


BASE_DATABASE_URL = os.environ.get("LIVECOMMERCE_TEST_DATABASE_URL")
TEST_DATABASE_URL = _worker_database_url(BASE_DATABASE_URL)
TEST_REDIS_URL = _worker_redis_url(os.environ.get("LIVECOMMERCE_TEST_REDIS_URL"))


def _create_worker_database(base_url: str, url: str) -> None:
    """Create this worker's PostgreSQL database beside the base one when missing."""

    async def _create() -> None:
        name = make_url(url).database
        engine = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(_create())


def _reset_postgres_schema(url: str) -> None:
    async def _reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(_reset())


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per test run: a template SQLite file, or the PostgreSQL database."""
    if TEST_DATABASE_URL:
        if BASE_DATABASE_URL and BASE_DATABASE_URL != TEST_DATABASE_URL:
            _create_worker_database(BASE_DATABASE_URL, TEST_DATABASE_URL)
        _reset_postgres_schema(TEST_DATABASE_URL)
        upgrade(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    template = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{template}")
    return str(template)


_EMPTYING: list[str] = []


async def _empty_postgres(url: str) -> None:
    """Every table emptied and every sequence back at 1, as after ``TRUNCATE … RESTART
    IDENTITY``, in one round trip: a ``DELETE`` of tables that hold a few rows costs a
    tenth of truncating all of them (which makes new files for every table and index).
    Foreign keys are not checked meanwhile (``session_replication_role``), so the order
    of the deletes does not matter."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            if not _EMPTYING:
                sequences = await connection.scalars(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                )
                _EMPTYING.append(
                    "SET LOCAL session_replication_role = replica;"
                    + "".join(
                        f' DELETE FROM "{table.name}";' for table in Base.metadata.tables.values()
                    )
                    + "".join(f" SELECT setval('\"{name}\"', 1, false);" for name in sequences)
                )
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute(_EMPTYING[0])
    finally:
        await engine.dispose()


async def _flush_redis(url: str) -> None:
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.Redis.from_url(url)
    await client.flushdb()
    await client.aclose()


async def fresh_settings(database_template: str, root: Path) -> Settings:
    """Settings over an empty migrated database (and an empty Redis database), with the
    data directory under ``root``."""
    if TEST_DATABASE_URL:
        await _empty_postgres(TEST_DATABASE_URL)
        database_url = TEST_DATABASE_URL
    else:
        database_file = root / "test.db"
        shutil.copy(database_template, database_file)
        database_url = f"sqlite+aiosqlite:///{database_file}"
    if TEST_REDIS_URL:
        await _flush_redis(TEST_REDIS_URL)
    return Settings(
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        data_dir=root / "data",
        secret_key="test-secret",
        public_url="http://testserver",
        worker_poll_s=0.05,
        rtmp_enabled=False,  # the media tests turn the ingest on, on a free port
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def settings(database_template: str, tmp_path: Path) -> Settings:
    return await fresh_settings(database_template, tmp_path)


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    value: Runtime = app.state.runtime
    return value


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, app: FastAPI, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"


@pytest.fixture
def uvicorn_ws() -> str:
    """The WebSocket protocol of test servers: the one `livecommerce serve` runs
    (parametrize with "auto" for uvicorn's own, where the hub sends through ASGI)."""
    return UVICORN_WS


@pytest.fixture
async def live_server(settings: Settings, uvicorn_ws: str) -> AsyncIterator[LiveServer]:
    """A real uvicorn server on a free port, in this test's event loop."""
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    application = create_app(settings)
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws=uvicorn_ws,
        ws_per_message_deflate=settings.ws_per_message_deflate,  # as `livecommerce serve`
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(application, port)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium (a failure, not a skip, under CI when it is missing)."""
    from tests.browser import launch_chromium

    async with launch_chromium() as launched:
        yield launched
