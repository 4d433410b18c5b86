"""Queries for stream keys and publications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import PinEvent, StreamKey, StreamPublication


class MediaRepository:
    async def get_active_key_of_room(self, session: AsyncSession, room_id: str) -> StreamKey | None:
        result = await session.execute(
            select(StreamKey)
            .where(StreamKey.room_id == room_id, StreamKey.revoked_at.is_(None))
            .order_by(StreamKey.created_at.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def get_key(self, session: AsyncSession, key: str) -> StreamKey | None:
        result = await session.execute(select(StreamKey).where(StreamKey.key == key))
        return result.scalar_one_or_none()

    async def revoke_keys_of_room(self, session: AsyncSession, room_id: str, now: datetime) -> None:
        await session.execute(
            update(StreamKey)
            .where(StreamKey.room_id == room_id, StreamKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def close_open_publications(
        self, session: AsyncSession, session_id: str, now: datetime
    ) -> int:
        """Stop publications left open (a publisher the app lost track of, e.g. a restart)."""
        result = await session.execute(
            update(StreamPublication)
            .where(
                StreamPublication.session_id == session_id, StreamPublication.stopped_at.is_(None)
            )
            .values(stopped_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def stop_publication(
        self, session: AsyncSession, publication_id: str, now: datetime, bytes_in: int
    ) -> bool:
        result = await session.execute(
            update(StreamPublication)
            .where(StreamPublication.id == publication_id, StreamPublication.stopped_at.is_(None))
            .values(stopped_at=now, bytes_in=bytes_in)
        )
        return bool(getattr(result, "rowcount", 0))

    async def get_open_publication(
        self, session: AsyncSession, session_id: str, via: str | None = None
    ) -> StreamPublication | None:
        query = select(StreamPublication).where(
            StreamPublication.session_id == session_id, StreamPublication.stopped_at.is_(None)
        )
        if via is not None:
            query = query.where(StreamPublication.via == via)
        result = await session.execute(query.order_by(StreamPublication.started_at.desc()).limit(1))
        return result.scalars().first()

    async def last_stopped_at(self, session: AsyncSession, session_id: str) -> datetime | None:
        result = await session.execute(
            select(func.max(StreamPublication.stopped_at)).where(
                StreamPublication.session_id == session_id
            )
        )
        value: datetime | None = result.scalar_one_or_none()
        return value

    async def first_started_at(self, session: AsyncSession, session_id: str) -> datetime | None:
        result = await session.execute(
            select(StreamPublication.started_at)
            .where(StreamPublication.session_id == session_id)
            .order_by(StreamPublication.started_at)
            .limit(1)
        )
        return result.scalars().first()

    async def list_pin_events(self, session: AsyncSession, session_id: str) -> list[PinEvent]:
        result = await session.execute(
            select(PinEvent).where(PinEvent.session_id == session_id).order_by(PinEvent.at)
        )
        return list(result.scalars())


media_repository = MediaRepository()
