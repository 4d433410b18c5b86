"""Database engine and the unit of work.

A unit of work is one transaction: services add and change rows, register
after-commit callbacks (realtime events, jobs), and the boundary — a request
or a job — commits once, then runs the callbacks. A rolled-back unit of work
runs none of them, so nothing is announced that did not happen.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
# Run on each connection ``Database.warm`` opens, in a unit of work rolled back after:
# statements executed there are prepared on that connection before the first request.
Primer = Callable[[AsyncSession], Awaitable[object]]
_AFTER_COMMIT_KEY = "livecommerce.after_commit"


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once this session's transaction has committed."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:  # a failed notification must not undo a committed purchase
            log.exception("after-commit callback failed")


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


@asynccontextmanager
async def open_session(
    maker: async_sessionmaker[AsyncSession],
    *,
    bind: AsyncConnection | None = None,
    free_to_return: bool = False,
) -> AsyncIterator[AsyncSession]:
    """A session of ``maker``, closed on leaving, without costing the event loop turns.

    SQLAlchemy's own ``async with session`` closes in a task of its own, shielded, so a
    cancellation cannot cut the connection's return in half — two turns of the event
    loop for every unit of work, which a busy process pays in full on every request.
    The shield matters only while the session still holds a transaction whose end is a
    round trip. A committed or rolled-back session holds none, and ``free_to_return``
    says the transaction's end costs nothing (PostgreSQL's reading units run in
    autocommit): those close at once. Any other is closed the shielded way."""
    session = maker() if bind is None else maker(bind=bind)
    try:
        yield session
    finally:
        if session.in_transaction() and not free_to_return:
            await session.__aexit__(None, None, None)
        else:
            await session.close()


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


READ_ONLY = "livecommerce_read_only"  # execution option of ``Database.reading`` sessions
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class WriteInReadingUnit(RuntimeError):
    """A unit of work begun for reading wrote: a bug in the route's declaration."""


def is_reading(session: AsyncSession) -> bool:
    """Whether ``session`` is a reading unit of work (``Database.reading`` or a
    request whose route only reads)."""
    bind = session.bind
    if bind is None:
        return False
    options = bind.sync_engine.get_execution_options() if isinstance(bind, AsyncEngine) else {}
    return bool(options.get(READ_ONLY))


# Connections of one SQLite engine (the writers', and the readers' of a file database):
# as many as the stock pool's most (5 kept + 10 overflow), all kept.
SQLITE_POOL_SIZE = 15
# Connections of one process to PostgreSQL.
POSTGRESQL_POOL_SIZE = 40
# A pooled PostgreSQL connection is pinged before it is used only when it has been idle
# this long. A connection used moments ago is alive, or its server went away moments
# ago; pinging each checkout cost every unit of work one round trip more.
PING_IDLE_S = 5.0


def sqlite_engine_url(url: str) -> str | URL:
    """The URL the engine is made with: the aiosqlite driver becomes the one-trip dialect
    (``kit/sqlite_driver.py``: a statement is one hand-off to the connection's thread)."""
    parsed = make_url(url)
    if parsed.get_driver_name() != "aiosqlite":
        return url
    from livecommerce.kit import sqlite_driver

    return parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")


def prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _refuse_writes_in_readers(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _refuse(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY) and _WRITES.match(statement):
            raise WriteInReadingUnit(
                "a reading unit of work tried to write (declare the route with WRITES): "
                + statement.split("\n", 1)[0][:120]
            )


def _ping_after_idle(engine: AsyncEngine, idle_s: float) -> None:
    """SQLAlchemy's pre-ping, only for a connection idle at least ``idle_s``: a failed
    ping makes the pool replace the connection."""
    idle_key = "livecommerce_idle_since"

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[idle_key] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(idle_key)
        if idle_since is None or time.monotonic() - idle_since < idle_s:
            return  # new, or used moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as failed:
            raise DisconnectionError("the pooled connection is gone") from failed
        if not alive:
            raise DisconnectionError("the pooled connection is gone")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # A page cache of up to 64 MiB (SQLite's default is 2 MiB), grown only as pages
        # are read: the behaviour events' and the rollups' indexes take inserts all over,
        # and with a sliver of them cached every insert read its pages back from the OS.
        cursor.execute("PRAGMA cache_size=-65536")
        # Checkpoint the write-ahead log at 80 MiB (20,000 pages), not SQLite's 4 MiB:
        # a rollup's unit of work dirties thousands of pages spread over the viewers'
        # index, and checkpointing after every commit copied each page back at once (with
        # an fsync); a page changed by several commits is now copied once. A larger log
        # would make the commit that checkpoints it stall longer. Commits stay exactly as
        # durable (``synchronous`` decides that, not the checkpoints).
        cursor.execute("PRAGMA wal_autocheckpoint=20000")
        cursor.close()

    # A deferred reader that writes would need SQLite's write lock after reading a
    # snapshot: under contention SQLite refuses that at once ("database is locked"),
    # so such a write would fail only sometimes. Refuse it always, where it is made.
    _refuse_writes_in_readers(engine)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # A reader (``Database.reading``) needs no lock: under WAL it reads a
            # snapshot while writers go on.
            connection.exec_driver_sql("BEGIN")
            return
        # IMMEDIATE takes the write lock up front, so two transactions never
        # deadlock upgrading from read to write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = is_sqlite_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        engine_url: str | URL = url
        if self.is_sqlite:
            prepare_sqlite_file(url)
            kwargs["connect_args"] = {"timeout": 30}
            engine_url = sqlite_engine_url(url)
            if make_url(url).database not in (None, "", ":memory:"):
                # Connections are kept, never opened and closed with the load: each is a
                # thread, a file handle and its pragmas (an overflow of the stock pool was
                # closed whenever it came back, and opened again in the next burst).
                kwargs.update(pool_size=SQLITE_POOL_SIZE, max_overflow=0)
        else:
            # As many as before (20 kept + 20 overflow), all kept once opened: an overflow
            # connection was closed whenever it came back, so every burst of more than 20
            # at once opened (and PostgreSQL forked) new ones.
            kwargs.update(pool_size=POSTGRESQL_POOL_SIZE, max_overflow=0)
        self.engine = create_async_engine(engine_url, **kwargs)
        if not self.is_sqlite:
            _ping_after_idle(self.engine, PING_IDLE_S)
        # On a SQLite file, readers get an engine (a pool of connections) of their own:
        # a writer waiting for SQLite's one write lock then never also waits behind a
        # crowd of readers for a pooled connection, nor a reader behind writers.
        self.reader_engine = self.engine
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            if make_url(url).database not in (None, "", ":memory:"):
                self.reader_engine = create_async_engine(engine_url, **kwargs)
                _configure_sqlite(self.reader_engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        reader_options: dict[str, Any] = {READ_ONLY: True}
        if not self.is_sqlite:
            # On PostgreSQL a reading unit's statements run without BEGIN and ROLLBACK
            # around them (two round trips fewer per unit). Under READ COMMITTED each
            # statement reads its own snapshot either way; writes are refused, as on
            # SQLite, so nothing is committed by a unit begun for reading.
            reader_options["isolation_level"] = "AUTOCOMMIT"
            _refuse_writes_in_readers(self.engine)
        self.reader_sessionmaker = async_sessionmaker(
            self.reader_engine.execution_options(**reader_options), expire_on_commit=False
        )

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine of this database (writers', and readers' where it is another)."""
        if self.reader_engine is self.engine:
            return (self.engine,)
        return (self.engine, self.reader_engine)

    async def warm(
        self, primers: Sequence[Primer] = (), connections: int = POSTGRESQL_POOL_SIZE
    ) -> None:
        """Open ``connections`` of the pool's connections now (at most all of them; 0:
        none), and on each run ``primers`` (in a unit of work rolled back after), so
        that a fresh process's first burst neither opens connections nor prepares its
        hot statements on each of them. On PostgreSQL that is the writers' and readers'
        pool (PostgreSQL forks a backend for each connection, and asyncpg prepares a
        statement once per connection, a round trip more the first time); on a SQLite
        file, the readers' pool (each connection is a thread and a file handle with its
        pragmas), with the primers run as reading units there — that engine compiles
        and caches its statements on its own. A primer that fails is logged and
        skipped. Nothing to do for an in-memory SQLite database."""
        if connections <= 0:
            return
        if self.is_sqlite:
            if self.reader_engine is self.engine:
                return
            engine, maker, size = self.reader_engine, self.reader_sessionmaker, SQLITE_POOL_SIZE
        else:
            engine, maker, size = self.engine, self.sessionmaker, POSTGRESQL_POOL_SIZE
        async with AsyncExitStack() as held:
            # Held all at once, so the pool opens as many as it keeps. A server that
            # refuses more (max_connections) ends the warming, never the start.
            opened: list[AsyncConnection] = []
            for _ in range(min(connections, size)):
                try:
                    opened.append(await held.enter_async_context(engine.connect()))
                except Exception:
                    log.warning("warming stopped after %d connections", len(opened), exc_info=True)
                    break
            for connection in opened:
                for primer in primers:
                    async with maker(bind=connection) as session:
                        try:
                            await primer(session)
                        except Exception:
                            log.warning("warming a connection: a primer failed", exc_info=True)
                        finally:
                            await session.rollback()

    @asynccontextmanager
    async def held_connection(
        self, *, autocommit: bool = False
    ) -> AsyncIterator[AsyncConnection | None]:
        """A connection of the pool kept for several units of work in a row
        (``transaction(connection=…)``): checked out once, not once per unit (no pool
        round, no ping after idling). None on SQLite, where a unit of work's connection
        is cheap to check out and the write lock is what is waited for.
        ``autocommit``: each statement commits on its own, with no BEGIN and COMMIT
        round trips around it — only for units of work that are one statement."""
        if self.is_sqlite:
            yield None
            return
        async with self.engine.connect() as connection:
            if autocommit:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @asynccontextmanager
    async def transaction(
        self, *, connection: AsyncConnection | None = None
    ) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error, then after-commit.
        ``connection``: one from ``held_connection``, to run the unit of work on (it
        stays checked out after); otherwise one of the pool's."""
        async with open_session(self.sessionmaker, bind=connection) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                discard_after_commit(session)
                await session.rollback()
                raise
        await run_after_commit(session)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: on SQLite it takes no write lock, so readers
        never queue behind writers or each other. Never write through it (it is rolled
        back, and on SQLite a write would fail rather than wait)."""
        async with open_session(
            self.reader_sessionmaker, free_to_return=not self.is_sqlite
        ) as session:
            try:
                yield session
            finally:
                # Closing (not rolling back) ends the transaction without expiring what
                # was read: the objects stay usable, detached, after the block.
                discard_after_commit(session)

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()
