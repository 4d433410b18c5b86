"""What traffic does when other domains' facts arrive: short videos become (and stop being)
home-feed candidates, and their figures move (see ``traffic/video_candidates.py``); a
session going on or off air, scheduled, retitled or cancelled starts a new prepared
catalog in every process at once (as a video's card stored or removed does, in
``video_candidates``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.live.events import SessionChanged, SessionEnded, SessionStarted
from livecommerce.traffic.service import traffic_service
from livecommerce.traffic.video_candidates import video_candidate_service
from livecommerce.videos.events import (
    VideoChanged,
    VideoCompleted,
    VideoEngaged,
    VideoOrderAttributed,
    VideoPublished,
    VideoUnpublished,
    VideoViewed,
)


@subscribe(VideoPublished, "traffic.video_published")
async def video_published(session: AsyncSession, event: VideoPublished) -> None:
    await video_candidate_service.do_store_card(session, event.model_dump())


@subscribe(VideoChanged, "traffic.video_changed")
async def video_changed(session: AsyncSession, event: VideoChanged) -> None:
    await video_candidate_service.do_store_card(session, event.model_dump())


@subscribe(VideoUnpublished, "traffic.video_unpublished")
async def video_unpublished(session: AsyncSession, event: VideoUnpublished) -> None:
    await video_candidate_service.do_remove(session, event.video_id, event.at)


@subscribe(VideoViewed, "traffic.video_viewed")
async def video_viewed(session: AsyncSession, event: VideoViewed) -> None:
    await video_candidate_service.do_count(session, event.video_id, views=1)


@subscribe(VideoCompleted, "traffic.video_completed")
async def video_completed(session: AsyncSession, event: VideoCompleted) -> None:
    await video_candidate_service.do_count(session, event.video_id, completions=1)


@subscribe(VideoEngaged, "traffic.video_engaged")
async def video_engaged(session: AsyncSession, event: VideoEngaged) -> None:
    await video_candidate_service.do_count(
        session, event.video_id, likes=event.likes, comments=event.comments, shares=event.shares
    )


@subscribe(VideoOrderAttributed, "traffic.video_order")
async def video_order(session: AsyncSession, event: VideoOrderAttributed) -> None:
    await video_candidate_service.do_count(session, event.video_id, orders=1)


@subscribe(SessionStarted, "traffic.catalog_session_started")
async def session_started(session: AsyncSession, event: SessionStarted) -> None:
    await traffic_service.invalidate_catalog(session)


@subscribe(SessionEnded, "traffic.catalog_session_ended")
async def session_ended(session: AsyncSession, event: SessionEnded) -> None:
    await traffic_service.invalidate_catalog(session)


@subscribe(SessionChanged, "traffic.catalog_session_changed")
async def session_changed(session: AsyncSession, event: SessionChanged) -> None:
    await traffic_service.invalidate_catalog(session)
