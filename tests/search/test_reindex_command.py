"""`livecommerce search reindex` rebuilds the index from the database, on either backend."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
from sqlalchemy import text

from livecommerce.config import Settings
from livecommerce.kit.runtime import Runtime
from livecommerce.search.repository import FTS_TABLE, search_repository
from tests.catalog.helpers import create_product
from tests.factories import sign_up
from tests.live.helpers import create_room
from tests.search.helpers import Finder, index_settled, titles


def _reindex(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIVECOMMERCE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "livecommerce", "search", "reindex"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


async def test_reindex_command_rebuilds_a_lost_index(
    client: httpx.AsyncClient, find: Finder, runtime: Runtime, settings: Settings
) -> None:
    merchant = await sign_up(client, "merchant")
    await create_product(client, merchant, title="Longjing green tea")
    await create_product(client, merchant, title="Draft tea", status="draft")
    host = await sign_up(client, "host", name="Tea master")
    await create_room(client, host, name="Tea garden")
    await index_settled(runtime)
    async with runtime.db.transaction() as session:
        await search_repository.clear(session)
        if runtime.db.is_sqlite:  # the engine's table itself lost, too
            await session.execute(text(f"DROP TABLE {FTS_TABLE}"))
    result = await asyncio.to_thread(_reindex, settings.database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "search reindex: 1 rooms, 1 hosts, 1 products"
    found = await find("tea")
    assert sorted((item["kind"], item["title"]) for item in found["items"]) == [
        ("host", "Tea master"),
        ("product", "Longjing green tea"),
        ("room", "Tea garden"),
    ]
    assert titles(await find("draft")) == []
