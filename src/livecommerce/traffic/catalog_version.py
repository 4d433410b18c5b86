"""The feed catalog's version, shared by every process through the broker (Redis at scale).

Feed requests of a process share one prepared catalog per refresh tick (``traffic/service``,
``prepared_catalog``); a change that must reach the feed at once bumps this version, and
each process's next feed request, reading another version, prepares a new catalog.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.db import after_commit
from livecommerce.kit.runtime import runtime_of

CATALOG_VERSION_KEY = "traffic:catalog_version"


async def current(session: AsyncSession) -> int:
    return await runtime_of(session).broker.get_int(CATALOG_VERSION_KEY) or 0


async def invalidate(session: AsyncSession) -> None:
    """Every process prepares a new catalog for its next feed request. Call once the change
    is committed: a request preparing one meanwhile keeps it under the version it read."""
    await runtime_of(session).broker.incr(CATALOG_VERSION_KEY)


def invalidate_after_commit(session: AsyncSession) -> None:
    async def _invalidate() -> None:
        await invalidate(session)

    after_commit(session, _invalidate)
