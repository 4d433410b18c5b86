"""Queries of short videos: the feed's keyset, per-viewer views, likes, counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, desc, fetch_page
from livecommerce.models import (
    User,
    Video,
    VideoComment,
    VideoLike,
    VideoStatus,
    VideoView,
)


class VideoRepository:
    async def get(self, session: AsyncSession, video_id: str) -> Video | None:
        if not video_id or len(video_id) > 32:
            return None
        return await session.get(Video, video_id)

    async def get_for_update(self, session: AsyncSession, video_id: str) -> Video | None:
        result = await session.execute(
            select(Video)
            .where(Video.id == video_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    def add(self, session: AsyncSession, video: Video) -> None:
        session.add(video)

    async def set_values(self, session: AsyncSession, video_id: str, **values: Any) -> None:
        await session.execute(update(Video).where(Video.id == video_id).values(**values))

    async def set_values_if_attempt(
        self, session: AsyncSession, video_id: str, attempt: int, **values: Any
    ) -> bool:
        """Only the processor holding ``attempt`` may write (a stale one after a retry may not)."""
        result = await session.execute(
            update(Video)
            .where(
                Video.id == video_id,
                Video.attempts == attempt,
                Video.status == VideoStatus.PROCESSING,
            )
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def add_to_counters(self, session: AsyncSession, video_id: str, **deltas: int) -> None:
        values = {name: getattr(Video, name) + delta for name, delta in deltas.items()}
        await session.execute(update(Video).where(Video.id == video_id).values(**values))

    async def used_bytes(self, session: AsyncSession, owner_id: str) -> int:
        result = await session.execute(
            select(func.coalesce(func.sum(Video.size_bytes), 0)).where(
                Video.owner_id == owner_id, Video.status != VideoStatus.DISCARDED
            )
        )
        return int(result.scalar_one())

    async def page_of_owner(
        self, session: AsyncSession, owner_id: str, page: PageRequest
    ) -> Page[Video]:
        query = select(Video).where(
            Video.owner_id == owner_id, Video.status != VideoStatus.DISCARDED
        )
        return await fetch_page(session, query, (desc(Video.created_at), desc(Video.id)), page)

    async def clips_of_session(self, session: AsyncSession, session_id: str) -> list[Video]:
        result = await session.execute(
            select(Video).where(Video.session_id == session_id).order_by(Video.clip_start_s)
        )
        return list(result.scalars())

    async def feed(self, session: AsyncSession, now: datetime, page: PageRequest) -> Page[Video]:
        query = select(Video).where(
            Video.status == VideoStatus.READY,
            Video.published_at.is_not(None),
            Video.published_at <= now,
        )
        return await fetch_page(session, query, (desc(Video.published_at), desc(Video.id)), page)

    # ---- viewers ---------------------------------------------------------------------

    async def get_view(
        self, session: AsyncSession, video_id: str, viewer_key: str
    ) -> VideoView | None:
        result = await session.execute(
            select(VideoView).where(
                VideoView.video_id == video_id, VideoView.viewer_key == viewer_key
            )
        )
        return result.scalar_one_or_none()

    async def add_view(self, session: AsyncSession, view: VideoView) -> bool:
        """False when this viewer's row exists already (a concurrent first report)."""
        try:
            async with session.begin_nested():
                session.add(view)
                await session.flush()
        except IntegrityError:
            return False
        return True

    async def add_watch(self, session: AsyncSession, view_id: str, watched_ms: int) -> None:
        await session.execute(
            update(VideoView)
            .where(VideoView.id == view_id)
            .values(watched_ms=VideoView.watched_ms + watched_ms)
        )

    async def mark_completed(self, session: AsyncSession, view_id: str) -> bool:
        result = await session.execute(
            update(VideoView)
            .where(VideoView.id == view_id, VideoView.completed.is_(False))
            .values(completed=True)
        )
        return bool(getattr(result, "rowcount", 0))

    async def add_like(self, session: AsyncSession, video_id: str, user_id: str) -> bool:
        try:
            async with session.begin_nested():
                session.add(VideoLike(video_id=video_id, user_id=user_id))
                await session.flush()
        except IntegrityError:
            return False
        return True

    async def remove_like(self, session: AsyncSession, video_id: str, user_id: str) -> bool:
        result = await session.execute(
            delete(VideoLike).where(VideoLike.video_id == video_id, VideoLike.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def liked_ids(
        self, session: AsyncSession, user_id: str, video_ids: list[str]
    ) -> set[str]:
        if not video_ids:
            return set()
        result = await session.execute(
            select(VideoLike.video_id).where(
                VideoLike.user_id == user_id, VideoLike.video_id.in_(video_ids)
            )
        )
        return set(result.scalars())

    def add_comment(self, session: AsyncSession, comment: VideoComment) -> None:
        session.add(comment)

    async def page_comments(
        self, session: AsyncSession, video_id: str, page: PageRequest
    ) -> Page[tuple[VideoComment, str]]:
        query = (
            select(VideoComment, User.display_name)
            .join(User, User.id == VideoComment.user_id)
            .where(VideoComment.video_id == video_id)
        )
        rows = cast("Select[tuple[VideoComment, str]]", query)  # whole rows, below
        found = await fetch_page(
            session,
            rows,
            (desc(VideoComment.created_at), desc(VideoComment.id)),
            page,
            key=lambda row: (row[0].created_at, row[0].id),
            whole_rows=True,
        )
        return Page(items=[(row[0], row[1]) for row in found.items], next_cursor=found.next_cursor)


video_repository = VideoRepository()
