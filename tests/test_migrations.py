"""The migrations produce exactly the schema the models describe, on this test's backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from livecommerce.kit.base import Base
from livecommerce.kit.runtime import Runtime
from livecommerce.search.repository import FTS_TABLES, engine_owned


def _diff(connection: Connection) -> list[object]:
    # SQLite's full-text table of search (FTS5, a virtual table and its shadow tables) is
    # created at start-up, not by the migration: no model can describe a virtual table.
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": engine_owned}
    )
    return list(compare_metadata(context, Base.metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrated_schema_matches_models(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as connection:
        differences = await connection.run_sync(_diff)
        tables = await connection.run_sync(_table_names)
    assert differences == []
    if runtime.db.is_sqlite:  # the app's start-up created the search engine's table
        assert tables & FTS_TABLES == FTS_TABLES
    else:
        assert tables & FTS_TABLES == set()
