"""What a running platform holds: settings, database, broker.

Every database session carries its runtime in ``session.info`` so services
can reach settings and the broker without importing the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.config import Settings
from livecommerce.kit.broker import Broker
from livecommerce.kit.db import Database, after_commit

_RUNTIME_KEY = "livecommerce.runtime"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    broker: Broker
    # Long-lived helpers of other domains (the realtime hub…) keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db.sessionmaker.configure(info={_RUNTIME_KEY: self})
        self.db.reader_sessionmaker.configure(info={_RUNTIME_KEY: self})


def runtime_of(session: AsyncSession) -> Runtime:
    runtime = session.info.get(_RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("database session was not opened through a Runtime")
    return runtime


def publish_after_commit(session: AsyncSession, channel: str, message: dict[str, Any]) -> None:
    """Publish ``message`` on ``channel`` once the current transaction commits."""
    broker = runtime_of(session).broker

    async def _publish() -> None:
        await broker.publish(channel, message)

    after_commit(session, _publish)
