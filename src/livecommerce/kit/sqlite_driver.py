"""SQLite under asyncio with one trip to the connection's thread per statement.

aiosqlite runs each SQLite connection in a thread of its own; every call to it is a
hand-off to that thread and back to the event loop (a queue put, the thread's wake-up,
a ``call_soon_threadsafe``, each time contending for the GIL with the loop). SQLAlchemy's
stock adapter makes four such trips for every statement — open a cursor, execute,
fetch the rows, close the cursor — so a reading unit of two point reads made twelve
trips, and on a busy server the loop spent more time handing work to these threads
than running the statements.

This dialect (``sqlite+lcaiosqlite``, chosen by ``kit/db.py`` for a ``sqlite+aiosqlite``
URL) is SQLAlchemy's aiosqlite dialect with one change: a statement's cursor is opened,
executed, fetched and closed in the connection's thread in one call. Rows, description,
``rowcount`` and ``lastrowid`` come back together; everything else (server-side
cursors for streamed results, errors, pooling) is the stock adapter's.

And a process's write transactions on one file take turns in the order they asked
(``_WriteTurns``): SQLite's own wait for its write lock is a busy loop of sleeps (up to
100 ms each), so a transaction that asked first could lose the lock again and again to
one that asked later, while it slept (a rollup starved by a flood of inserts).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

DRIVER = "lcaiosqlite"

# The statement ``kit/db.py`` begins a writing unit of work with (a reader begins with
# a plain ``BEGIN``, which takes no lock).
BEGIN_WRITE = "BEGIN IMMEDIATE"
# How long a write transaction waits for its turn before it asks SQLite directly (as it
# did before the turns: then SQLite's busy timeout decides). A task that begins a write
# while it holds another on the same file would otherwise wait for itself for ever.
TURN_TIMEOUT_S = 30.0


class _WriteTurns:
    """One FIFO lock per event loop and database file: the process's write transactions
    on that file queue for SQLite's write lock in the order they began."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def lock(self, database: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        per_file = self._locks.setdefault(loop, {})
        found = per_file.get(database)
        if found is None:
            found = per_file[database] = asyncio.Lock()
        return found


_turns = _WriteTurns()


def _is_file(database: str) -> bool:
    return bool(database) and database != ":memory:" and "mode=memory" not in database


# (description, rows or None, rowcount, lastrowid) of one statement.
_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """One statement, whole, in the connection's own thread."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement is one call into the connection's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here (that would be a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing is open in the thread after a statement

    def close(self) -> None:
        self._rows.clear()

    def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._connection
        try:
            raw = connection._conn  # aiosqlite's sqlite3 connection
            outcome: _Outcome = await_(connection._execute(_run, raw, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if operation == BEGIN_WRITE:
            adapt = self._adapt_connection
            assert isinstance(adapt, OneTripConnection)
            adapt.take_turn()
            try:
                self._trip(operation, parameters, False)
            except BaseException:
                adapt.end_turn()
                raise
            return None
        self._trip(operation, parameters, False)
        return None

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        self._trip(operation, seq_of_parameters, True)
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_database", "_turn")
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the stock one

    def __init__(self, dbapi: Any, connection: Any, database: str) -> None:
        super().__init__(dbapi, connection)
        self._database = database
        self._turn: asyncio.Lock | None = None

    def take_turn(self) -> None:
        """Wait until this process's earlier write transactions on the file have ended."""
        if self._turn is not None or not _is_file(self._database):
            return
        lock = _turns.lock(self._database)
        try:
            await_(asyncio.wait_for(lock.acquire(), TURN_TIMEOUT_S))
        except TimeoutError:
            return  # SQLite's busy timeout decides, as without the turns
        self._turn = lock

    def end_turn(self) -> None:
        lock, self._turn = self._turn, None
        if lock is not None and lock.locked():
            lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()

    def terminate(self) -> None:
        # How the pool drops a connection it cannot close in order (its task cancelled in
        # the middle of a statement, or the connection invalidated or garbage-collected):
        # not through ``close``. Its turn ends with it, or every later write transaction
        # of the process would wait ``TURN_TIMEOUT_S`` for a turn nobody will give back.
        try:
            super().terminate()
        finally:
            self.end_turn()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        stock = super().connect(*arg, **kw)
        database = arg[0] if arg else kw.get("database", "")
        return OneTripConnection(self, stock._connection, str(database))


class SQLiteDialect_lcaiosqlite(SQLiteDialect_aiosqlite):  # noqa: N801 (SQLAlchemy's naming)
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


dialect = SQLiteDialect_lcaiosqlite

registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_lcaiosqlite")
