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
``rowcount`` and ``lastrowid`` come back together; everything else (transactions,
server-side cursors for streamed results, errors, pooling) is the stock adapter's.
"""

from __future__ import annotations

import collections
import sqlite3
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
        self._trip(operation, parameters, False)
        return None

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        self._trip(operation, seq_of_parameters, True)
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the stock one


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        stock = super().connect(*arg, **kw)
        return OneTripConnection(self, stock._connection)


class SQLiteDialect_lcaiosqlite(SQLiteDialect_aiosqlite):  # noqa: N801 (SQLAlchemy's naming)
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


dialect = SQLiteDialect_lcaiosqlite

registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_lcaiosqlite")
