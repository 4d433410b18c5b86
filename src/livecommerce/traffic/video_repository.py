"""Traffic's queries of short videos: its own candidate rows (kept from the videos domain's
events) and the visits of videos opened from the feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import VideoCandidate

COUNTERS = ("views", "completions", "likes", "comments", "shares", "orders")


class VideoCandidateRepository:
    async def upsert(self, session: AsyncSession, values: dict[str, Any]) -> None:
        """Insert the video's row, or overwrite it with a card taken later than the one
        (or the removal) it holds: events may arrive out of order after a retry."""
        changes = {key: value for key, value in values.items() if key != "video_id"}
        if session.get_bind().dialect.name == "postgresql":
            statement: Any = postgresql_insert(VideoCandidate).values(**values)
        else:
            statement = sqlite_insert(VideoCandidate).values(**values)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["video_id"],
                set_=changes,
                where=VideoCandidate.card_at <= statement.excluded.card_at,
            ).execution_options(synchronize_session=False)
        )

    async def unlist(self, session: AsyncSession, video_id: str, at: datetime) -> None:
        """The video left the feed at ``at`` (unless a later card put it back)."""
        await session.execute(
            update(VideoCandidate)
            .where(VideoCandidate.video_id == video_id, VideoCandidate.card_at <= at)
            .values(listed=False, card_at=at)
            .execution_options(synchronize_session=False)
        )

    async def add_to_counters(self, session: AsyncSession, video_id: str, **deltas: int) -> bool:
        """Move the figures of a video the feed holds (``False``: it holds none)."""
        values = {
            name: getattr(VideoCandidate, name) + delta
            for name, delta in deltas.items()
            if delta and name in COUNTERS
        }
        if not values:
            return False
        result = await session.execute(
            update(VideoCandidate)
            .where(VideoCandidate.video_id == video_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def visible(
        self, session: AsyncSession, now: datetime, limit: int
    ) -> list[VideoCandidate]:
        """Ready videos in a room whose time has come, newest first."""
        rows = await session.scalars(
            select(VideoCandidate)
            .where(
                VideoCandidate.listed.is_(True),
                VideoCandidate.ready.is_(True),
                VideoCandidate.visible_at <= now,
                VideoCandidate.room_id.is_not(None),
            )
            .order_by(VideoCandidate.visible_at.desc(), VideoCandidate.video_id)
            .limit(limit)
        )
        return list(rows.all())

    async def get(self, session: AsyncSession, video_id: str) -> VideoCandidate | None:
        return await session.get(VideoCandidate, video_id)


video_candidate_repository = VideoCandidateRepository()
