"""The migrations produce exactly the schema the models describe, on this test's backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from livecommerce.kit.base import Base
from livecommerce.kit.runtime import Runtime


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_models(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == []
