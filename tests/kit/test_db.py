"""Units of work: readers never wait on a writer, and never write."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from livecommerce.kit.db import WriteInReadingUnit
from livecommerce.kit.runtime import Runtime
from livecommerce.kit.sqlite_driver import BEGIN_WRITE
from livecommerce.models import StockGate
from tests.conftest import TEST_DATABASE_URL
from tests.factories import sign_up


def row(name: str) -> StockGate:
    return StockGate(name=name, units_total=1, per_buyer_limit=1)


async def names(runtime: Runtime) -> list[str]:
    async with runtime.db.reading() as session:
        found = await session.scalars(select(StockGate.name).order_by(StockGate.name))
        return list(found.all())


async def test_a_reader_reads_the_committed_state_while_a_writer_holds_its_transaction(
    runtime: Runtime,
) -> None:
    async with runtime.db.transaction() as writer:
        writer.add(row("a-committed"))
    async with runtime.db.transaction() as writer:
        writer.add(row("b-uncommitted"))
        await writer.flush()  # on SQLite this transaction now holds the write lock
        # A reader neither waits for the writer nor sees its uncommitted row. (A bound on
        # the wait, so a reader that did queue fails here instead of hanging.)
        assert await asyncio.wait_for(names(runtime), 10) == ["a-committed"]
    assert await names(runtime) == ["a-committed", "b-uncommitted"]


async def test_a_reader_that_writes_is_refused_where_it_writes(runtime: Runtime) -> None:
    """On SQLite a deferred reader that writes would fail only under contention; on
    PostgreSQL a reader runs without a transaction around it, so a write would stay.
    Both refuse it, at the write, every time."""
    async with runtime.db.reading() as session:
        session.add(row("written-by-a-reader"))
        with pytest.raises(WriteInReadingUnit, match="INSERT INTO stock_gates"):
            await session.flush()
    assert await names(runtime) == []


async def test_a_reader_reads_without_a_transaction_on_postgresql(runtime: Runtime) -> None:
    """Each statement of a PostgreSQL reader reads its own snapshot, as it would under
    READ COMMITTED inside a transaction, without BEGIN and ROLLBACK round trips."""
    if not TEST_DATABASE_URL:
        return
    async with runtime.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(StockGate)) == 0
        raw = await (await session.connection()).get_raw_connection()
        assert raw.driver_connection is not None
        assert not raw.driver_connection.is_in_transaction()  # asyncpg's own view
    async with runtime.db.transaction() as writer:
        assert await writer.scalar(select(func.count()).select_from(StockGate)) == 0
        raw = await (await writer.connection()).get_raw_connection()
        assert raw.driver_connection is not None
        assert raw.driver_connection.is_in_transaction()


async def test_a_get_route_that_writes_declares_it(client: httpx.AsyncClient) -> None:
    """The host's first look at its stream key issues one: a GET that writes, declared."""
    host = await sign_up(client, role="host")
    room = await client.post("/api/v1/rooms", json={"name": "直播间"}, headers=host.headers)
    assert room.status_code == 201, room.text
    first = await client.get(f"/api/v1/rooms/{room.json()['id']}/stream-key", headers=host.headers)
    assert first.status_code == 200, first.text
    again = await client.get(f"/api/v1/rooms/{room.json()['id']}/stream-key", headers=host.headers)
    assert again.json()["stream_key"] == first.json()["stream_key"]


async def test_a_postgresql_connection_is_pinged_only_after_idling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pooled connection used moments ago goes out without a ping (a round trip
    less per unit of work); one idle for ``PING_IDLE_S`` is pinged first, and one that
    died meanwhile is replaced before the unit of work gets it."""
    if not TEST_DATABASE_URL:
        return
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from livecommerce.kit import db as kit_db

    async def backend_pid(database: kit_db.Database) -> int:
        async with database.transaction() as session:
            return int(await session.scalar(text("SELECT pg_backend_pid()")))

    killer = create_async_engine(TEST_DATABASE_URL, poolclass=NullPool)
    pings: list[bool] = []
    try:
        for idle_s in (3600.0, 0.0):
            monkeypatch.setattr(kit_db, "PING_IDLE_S", idle_s)
            database = kit_db.Database(TEST_DATABASE_URL)
            dialect = database.engine.dialect
            real_ping = dialect.do_ping

            def counting_ping(connection: object, real_ping: object = real_ping) -> bool:
                pings.append(True)
                return bool(real_ping(connection))  # type: ignore[operator]

            monkeypatch.setattr(dialect, "do_ping", counting_ping)
            pings.clear()
            try:
                first = await backend_pid(database)
                if idle_s:  # used moments ago: out again at once, the same connection
                    assert await backend_pid(database) == first
                    assert pings == []
                    continue
                # Idle (for 0 s): the server ends it meanwhile; the ping finds out.
                async with killer.connect() as connection:
                    await connection.execute(text(f"SELECT pg_terminate_backend({first})"))
                assert await backend_pid(database) != first
                assert pings == [True]  # the dead one's; its replacement is new
            finally:
                await database.dispose()
    finally:
        await killer.dispose()


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="SQLite's one write lock")
async def test_write_transactions_of_a_process_take_turns_in_the_order_they_began(
    runtime: Runtime,
) -> None:
    """Two writers in a loop, each holding its turn until the other has asked for one:
    the turns alternate. (SQLite's busy handler alone let the writer that had just
    committed take the lock again at once, while the one that asked first slept.)"""
    # Set when a writer asks for a turn (or has no more to ask for).
    asking = {"a": asyncio.Event(), "b": asyncio.Event()}
    writers: dict[asyncio.Task[None], str] = {}
    turns: list[str] = []

    def ask(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == BEGIN_WRITE:
            task = asyncio.current_task()
            if task in writers:
                asking[writers[task]].set()

    async def writer(name: str, other: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        writers[task] = name
        for number in range(20):
            async with runtime.db.transaction() as session:
                session.add(row(f"{name}-{number:02d}"))
                await session.flush()  # the write lock is this writer's now
                asking[name].clear()
                turns.append(name)
                # Holding the lock, wait until the other writer asks (bounded, so a
                # writer that never asks fails the order below instead of hanging).
                await asyncio.wait_for(asking[other].wait(), 10)
        asking[name].set()

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", ask)
    try:
        await asyncio.gather(writer("a", "b"), writer("b", "a"))
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", ask)
    order = "".join(turns)
    assert order in ("ab" * 20, "ba" * 20), turns
    assert len(await names(runtime)) == 40


async def test_warming_opens_every_pooled_connection_with_the_primers_prepared(
    tmp_path: Path,
) -> None:
    """``Database.warm`` on PostgreSQL: the pool holds all its connections, checked in,
    and each has the primer's statement prepared (a fresh process's first burst
    neither opens connections nor prepares its hot statements on each). On a SQLite
    file the readers' pool holds all its connections, each primed; the writers' pool
    opens none."""
    from sqlalchemy import text

    from livecommerce.kit import db as kit_db

    url = TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'warm.db'}"
    database = kit_db.Database(url)
    primed: list[bool] = []

    async def primer(session: Any) -> None:
        primed.append(True)
        await session.execute(text("SELECT 1 AS warm_probe WHERE :n = 0"), {"n": 1})

    try:
        await database.warm([primer])
        pool: Any = database.engine.sync_engine.pool
        if database.is_sqlite:
            readers: Any = database.reader_engine.sync_engine.pool
            assert primed == [True] * kit_db.SQLITE_POOL_SIZE
            assert (readers.checkedin(), readers.checkedout()) == (kit_db.SQLITE_POOL_SIZE, 0)
            assert pool.checkedin() == 0
            return
        assert primed == [True] * kit_db.POSTGRESQL_POOL_SIZE
        assert (pool.checkedin(), pool.checkedout()) == (kit_db.POSTGRESQL_POOL_SIZE, 0)
        prepared = text(
            # (the pattern split, so that this statement does not count itself)
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%warm' || '_probe%'"
        )
        async with AsyncExitStack() as held:  # every pooled connection, all at once
            connections = [
                await held.enter_async_context(database.engine.connect())
                for _ in range(kit_db.POSTGRESQL_POOL_SIZE)
            ]
            assert pool.checkedin() == 0  # none had to be opened for these
            for connection in connections:
                assert await connection.scalar(prepared) == 1
    finally:
        await database.dispose()


async def test_warming_opens_as_many_connections_as_asked(tmp_path: Path) -> None:
    """A served process opens ``db_warm_connections`` (0 by default: none; at most the
    pool's size), so several workers can be fitted to the server's max_connections.
    An in-memory SQLite database opens none."""
    from livecommerce.kit import db as kit_db

    url = TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'warm.db'}"
    size = kit_db.SQLITE_POOL_SIZE if url.startswith("sqlite") else kit_db.POSTGRESQL_POOL_SIZE
    for asked, opened in ((0, 0), (3, 3), (1_000, size)):
        database = kit_db.Database(url)
        try:
            await database.warm([], asked)
            pool: Any = database.reader_engine.sync_engine.pool
            assert pool.checkedin() == opened
        finally:
            await database.dispose()
    memory = kit_db.Database("sqlite+aiosqlite:///:memory:")
    primed: list[object] = []

    async def primer(session: object) -> None:
        primed.append(session)

    try:
        await memory.warm([primer], 3)
        assert primed == []
    finally:
        await memory.dispose()


async def test_a_terminated_connection_gives_its_write_turn_back(tmp_path: Path) -> None:
    """A connection the pool drops without closing it in order (its task cancelled in
    the middle of a statement, or invalidated) ends its write turn with it: the next
    write transaction of the process gets the turn at once instead of waiting
    ``TURN_TIMEOUT_S`` for a turn nobody gives back."""
    from livecommerce.kit import db as kit_db
    from livecommerce.kit import sqlite_driver

    path = tmp_path / "turns.db"
    database = kit_db.Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: StockGate.__table__.create(sync))
        turn = sqlite_driver._turns.lock(str(path))
        connection = await database.engine.connect()
        await connection.begin()  # a write transaction (BEGIN IMMEDIATE): the turn is held
        await connection.execute(select(func.count()).select_from(StockGate))
        assert turn.locked()
        raw = await connection.get_raw_connection()
        adapted = raw.dbapi_connection
        assert isinstance(adapted, sqlite_driver.OneTripConnection)
        await connection.run_sync(lambda _sync: adapted.terminate())
        assert not turn.locked()
        await connection.invalidate()
        await connection.close()
        async with database.transaction() as session:  # the next writer has its turn
            session.add(row("after"))
        assert not turn.locked()
    finally:
        await database.dispose()
