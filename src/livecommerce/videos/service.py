"""Short videos: uploads and live clips, processing state, the feed, viewers' actions, figures.

Processing is a stored job (``videos.process``): claiming it gives the video a lease
and an attempt number and starts the file work in this process (``videos.runner``);
the processor reports progress and renews the lease in short units of work, and
writes its outcome only while it still holds its attempt. A process that dies
leaves the lease to run out: the watchdog job scheduled with every claim finds it
expired and claims the video again, in whichever process runs it.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.config import Settings
from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import PageRequest, encode_cursor
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.media.service import media_service
from livecommerce.models import (
    LiveSessionStatus,
    ProductStatus,
    Role,
    User,
    Video,
    VideoComment,
    VideoKind,
    VideoStatus,
    VideoView,
)
from livecommerce.traffic.video_candidates import video_candidate_service
from livecommerce.videos import processing
from livecommerce.videos.events import (
    VideoChanged,
    VideoCompleted,
    VideoEngaged,
    VideoOrderAttributed,
    VideoPublished,
    VideoRoomClicked,
    VideoUnpublished,
    VideoViewed,
)
from livecommerce.videos.repository import video_repository
from livecommerce.videos.schemas import (
    CommentOut,
    CommentsOut,
    FeedItem,
    FeedOut,
    FeedProduct,
    FeedSku,
    LikeOut,
    RoomClickOut,
    ShareOut,
    VideoListOut,
    VideoOut,
    VideoStatsOut,
    VideoUpdate,
    WatchOut,
)
from livecommerce.worker.events import publish
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

PROCESS_JOB = "videos.process"
CUT_CLIPS_JOB = "videos.cut_clips"
MAX_ATTEMPTS = 3
ACCEPTED_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm")
ACCEPTED_FORMATS = ("mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm")
MIN_CLIP_S = 1.0
CLIPS_AFTER_END_S = 5  # the recorder closes its file as the session ends
COMPLETION_SHARE = 0.9  # watching 90 % of a video counts as completing it
FEED_LIMIT = 10
# Sorts before every published video: the cursor of a page that held only the shared video.
_FEED_START = datetime(9999, 12, 31, tzinfo=UTC)
# Names the uploader gave the file: shown nowhere as a path, but refused when they try to be one.
_BAD_NAME = re.compile(r"[/\\\x00-\x1f]|^\.|\.\.")


@dataclass(frozen=True)
class Claim:
    video_id: str
    attempt: int


def video_dir(settings: Settings, video_id: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", video_id):
        raise NotFound("No such video.", code="video_not_found")
    return settings.videos_dir / video_id


def source_path(settings: Settings, video_id: str) -> Path:
    return video_dir(settings, video_id) / "source"


def video_path(settings: Settings, video_id: str) -> Path:
    return video_dir(settings, video_id) / "video.mp4"


def poster_path(settings: Settings, video_id: str) -> Path:
    return video_dir(settings, video_id) / "poster.jpg"


def hls_dir(settings: Settings, video_id: str) -> Path:
    """A long video's HLS rendition: ``index.m3u8`` and its ``seg_NNNNN.ts`` segments."""
    return video_dir(settings, video_id) / "hls"


def _rejected(error: processing.VideoRejected) -> ValidationFailed:
    sentences = {
        "video_unreadable": "This file is not a video that can be played, or it is damaged.",
        "video_too_short": "The video is too short.",
        "video_too_long": "The video is longer than allowed.",
        "video_bad_size": "The video's picture is too small.",
        "video_format": "Upload an MP4, MOV or WebM video.",
    }
    return ValidationFailed(
        sentences.get(error.code, "This video cannot be used."), code=error.code
    )


class VideoService:
    # ---- uploads ---------------------------------------------------------------------

    def check_filename(self, filename: str | None) -> str:
        name = (filename or "").strip()
        if not name or len(name) > 200 or _BAD_NAME.search(name):
            raise ValidationFailed(
                "The file name must be a plain name, without folders.", code="bad_filename"
            )
        if not name.lower().endswith(ACCEPTED_SUFFIXES):
            raise ValidationFailed("Upload an MP4, MOV or WebM video.", code="video_format")
        return name

    async def do_upload(
        self, session: AsyncSession, user: User, file: BinaryIO, filename: str | None
    ) -> Video:
        """Store the upload, check it decodes, and queue its transcoding."""
        import asyncio

        account_service.check_role(user, Role.HOST, Role.MERCHANT)
        name = self.check_filename(filename)
        settings = runtime_of(session).settings
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
        if size == 0:
            raise ValidationFailed("The file is empty.", code="video_unreadable")
        if size > settings.video_quota_bytes:
            raise self._quota_error()
        # The file work comes before the first query: a writing request holds SQLite's
        # write lock from its first statement, and no one should wait for a copy.
        video_id = new_id()
        directory = video_dir(settings, video_id)
        directory.mkdir(parents=True, exist_ok=True)
        source = source_path(settings, video_id)
        part = source.with_name("source.part")
        try:
            await asyncio.to_thread(_copy_to, file, part)
            probe = await asyncio.to_thread(
                _probe_upload, part, float(settings.video_max_duration_s)
            )
            part.replace(source)
        except processing.VideoRejected as error:
            shutil.rmtree(directory, ignore_errors=True)
            raise _rejected(error) from None
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        used = await video_repository.used_bytes(session, user.id)
        if used + size > settings.video_quota_bytes:
            shutil.rmtree(directory, ignore_errors=True)
            raise self._quota_error()
        room = await self._room_id_of(session, user)
        video = Video(
            id=video_id,
            owner_id=user.id,
            room_id=room,
            kind=VideoKind.UPLOAD,
            status=VideoStatus.PROCESSING,
            title=Path(name).stem[:120],
            tags=[],
            product_ids=[],
            duration_s=round(probe.duration_s, 3),
            width=probe.width,
            height=probe.height,
            has_audio=probe.has_audio,
            size_bytes=size,
            progress=0,
            attempts=0,
            created_at=utcnow(),
        )
        video_repository.add(session, video)
        await session.flush()
        self._schedule_processing(session, video.id, utcnow())

        return video

    def _quota_error(self) -> TooLarge:
        return TooLarge(
            "Your video storage is full; discard some videos first.",
            code="video_quota_exceeded",
        )

    async def _room_id_of(self, session: AsyncSession, user: User) -> str | None:
        try:
            return (await live_service.get_room_of_host(session, user)).id
        except NotFound:
            return None

    def _schedule_processing(self, session: AsyncSession, video_id: str, at: datetime) -> None:
        job_service.do_schedule(session, PROCESS_JOB, run_at=at, payload={"video_id": video_id})

    # ---- processing (the worker's side) -------------------------------------------------

    async def do_claim_processing(self, session: AsyncSession, video_id: str) -> Claim | None:
        """Called by the ``videos.process`` job: take the video unless a live processor holds
        it. Schedules the watchdog that takes it back if this processor stops reporting."""
        video = await video_repository.get_for_update(session, video_id)
        if video is None or video.status != VideoStatus.PROCESSING:
            return None
        now = utcnow()
        settings = runtime_of(session).settings
        if video.lease_until is not None and video.lease_until > now:
            # Someone is at it: look again when its lease would have run out.
            self._schedule_processing(session, video.id, video.lease_until + timedelta(seconds=1))
            return None
        if video.attempts >= MAX_ATTEMPTS:
            video.status = VideoStatus.FAILED
            video.error_code = "video_processing_failed"
            video.lease_until = None
            self._remove_outputs(settings, video)
            await self._left_feed(session, video)
            return None
        video.attempts += 1
        video.progress = 0
        video.lease_until = now + timedelta(seconds=settings.video_lease_s)
        self._schedule_processing(session, video.id, video.lease_until + timedelta(seconds=1))
        return Claim(video.id, video.attempts)

    async def do_report_progress(
        self, session: AsyncSession, claim: Claim, fraction: float
    ) -> bool:
        settings = runtime_of(session).settings
        return await video_repository.set_values_if_attempt(
            session,
            claim.video_id,
            claim.attempt,
            progress=max(0, min(99, int(fraction * 100))),
            lease_until=utcnow() + timedelta(seconds=settings.video_lease_s),
        )

    async def do_finish_processing(
        self, session: AsyncSession, claim: Claim, result: processing.Result
    ) -> bool:
        settings = runtime_of(session).settings
        poster = poster_path(settings, claim.video_id)
        size = (
            result.size_bytes + result.hls_bytes + (poster.stat().st_size if poster.exists() else 0)
        )
        done = await video_repository.set_values_if_attempt(
            session,
            claim.video_id,
            claim.attempt,
            status=VideoStatus.READY,
            progress=100,
            lease_until=None,
            error_code=None,
            duration_s=result.duration_s,
            width=result.width,
            height=result.height,
            has_audio=result.has_audio,
            has_hls=result.hls_bytes > 0,
            size_bytes=size,
            ready_at=utcnow(),
            cut_mode=None if result.mode == "transcode" else result.mode,
        )
        if done:
            source = source_path(settings, claim.video_id)

            async def _drop_source() -> None:
                source.unlink(missing_ok=True)

            after_commit(session, _drop_source)
            video = await video_repository.get(session, claim.video_id)
            if video is not None:
                await session.refresh(video)
                if video.published_at is not None:
                    await self._card_changed(session, video)  # now playable in feeds
        else:
            video = await video_repository.get(session, claim.video_id)
            if video is not None and video.status == VideoStatus.DISCARDED:
                # Thrown away while it was processed: what the processor wrote goes too.
                self._remove_outputs(settings, video)
        return done

    async def do_fail_processing(self, session: AsyncSession, claim: Claim, code: str) -> bool:
        settings = runtime_of(session).settings
        done = await video_repository.set_values_if_attempt(
            session,
            claim.video_id,
            claim.attempt,
            status=VideoStatus.FAILED,
            lease_until=None,
            error_code=code[:40],
        )
        if done:
            video = await video_repository.get(session, claim.video_id)
            if video is not None:
                await session.refresh(video)
                self._remove_outputs(settings, video)
                video.size_bytes = 0
                await self._left_feed(session, video)
        return done

    def _remove_outputs(self, settings: Settings, video: Video) -> None:
        shutil.rmtree(video_dir(settings, video.id), ignore_errors=True)

    async def get_processing_plan(self, session: AsyncSession, video_id: str) -> Video:
        video = await video_repository.get(session, video_id)
        if video is None:
            raise NotFound("No such video.", code="video_not_found")
        return video

    # ---- clips from a session (直播切片) ---------------------------------------------------

    def do_plan_clips_later(self, session: AsyncSession, session_id: str) -> None:
        job_service.do_schedule(
            session,
            CUT_CLIPS_JOB,
            run_at=utcnow() + timedelta(seconds=CLIPS_AFTER_END_S),
            payload={"session_id": session_id},
        )

    async def do_create_session_clips(
        self, session: AsyncSession, session_id: str, *, recording_s: float | None = None
    ) -> list[Video]:
        """One clip per product explanation: from each pin to the next pin (or unpin, or the
        end of the recording), titled with the product. Idempotent: a session that has clips
        gets no more."""
        import asyncio

        if await video_repository.clips_of_session(session, session_id):
            return []
        live_session = await live_service.get_session(session, session_id)
        if live_session.status != LiveSessionStatus.ENDED:
            return []
        settings = runtime_of(session).settings
        recordings_dir = settings.data_dir / "recordings"
        if recording_s is None:
            recording = await asyncio.to_thread(_recording_mp4, recordings_dir, session_id)
            if recording is None:
                log.info("session %s has no recording: no clips", session_id)
                return []
            recording_s = await asyncio.to_thread(_duration_of, recording)
        replay = await media_service.get_replay(session, session_id)
        room = await live_service.get_room(session, replay.room_id)
        entries = [entry for entry in replay.timeline]
        clips: list[Video] = []
        now = utcnow()
        for index, entry in enumerate(entries):
            if entry.item is None:
                continue
            start = entry.offset_s
            end = entries[index + 1].offset_s if index + 1 < len(entries) else recording_s
            end = min(end, recording_s)
            if end - start < MIN_CLIP_S:
                continue
            video = Video(
                id=new_id(),
                owner_id=room.host_id,
                room_id=room.id,
                kind=VideoKind.CLIP,
                status=VideoStatus.PROCESSING,
                title=entry.item.title[:120],
                tags=[],
                product_ids=[entry.item.product_id],
                session_id=session_id,
                clip_start_s=round(start, 3),
                clip_end_s=round(end, 3),
                duration_s=round(end - start, 3),
                attempts=0,
                progress=0,
                created_at=now,
            )
            video_repository.add(session, video)
            clips.append(video)
        await session.flush()
        for video in clips:
            self._schedule_processing(session, video.id, now)
        return clips

    # ---- the host's edits -------------------------------------------------------------

    async def get_own_video(
        self, session: AsyncSession, user: User, video_id: str, *, lock: bool = False
    ) -> Video:
        """The caller's video. ``lock``: held until commit, for an edit whose feed card must
        not cross the processor's "ready" (each then sees the other's committed state)."""
        if lock and len(video_id) <= 32:
            video = await video_repository.get_for_update(session, video_id)
        else:
            video = await video_repository.get(session, video_id)
        if video is None or video.status == VideoStatus.DISCARDED:
            raise NotFound("No such video.", code="video_not_found")
        if video.owner_id != user.id and user.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the video's host may do this.", code="not_video_owner")
        return video

    async def do_update(
        self, session: AsyncSession, user: User, video_id: str, data: VideoUpdate
    ) -> Video:
        video = await self.get_own_video(session, user, video_id, lock=True)
        if data.title is not None:
            if _BAD_NAME.search(data.title.replace(".", "")):
                raise ValidationFailed("Titles hold no control characters.", code="bad_title")
            video.title = data.title
        if data.tags is not None:
            video.tags = data.tags
        if data.product_ids is not None:
            ids: list[str] = []
            for product_id in data.product_ids:
                product = await catalog_service.get_product(session, product_id)
                if product.status != ProductStatus.ON_SALE:
                    raise Conflict("This product is not on sale.", code="product_not_on_sale")
                if product.id not in ids:
                    ids.append(product.id)
            video.product_ids = ids
        await session.flush()
        if video.published_at is not None:
            await self._card_changed(session, video)
        return video

    async def do_publish(
        self, session: AsyncSession, user: User, video_id: str, publish_at: datetime | None
    ) -> Video:
        video = await self.get_own_video(session, user, video_id, lock=True)
        if video.status == VideoStatus.FAILED:
            raise Conflict("This video could not be processed.", code="video_failed")
        now = utcnow()
        if publish_at is not None and publish_at.tzinfo is None:
            raise ValidationFailed("Give the time with its zone.", code="naive_datetime")
        at = now if publish_at is None or publish_at < now else publish_at
        video.published_at = at
        await session.flush()
        await publish(session, VideoPublished.model_validate(self._card(video)))
        return video

    async def do_unpublish(self, session: AsyncSession, user: User, video_id: str) -> Video:
        video = await self.get_own_video(session, user, video_id, lock=True)
        await self._left_feed(session, video)
        video.published_at = None
        await session.flush()
        return video

    def _card(self, video: Video) -> dict[str, object]:
        """The fields of a card event (``VideoPublished``, ``VideoChanged``): what a feed
        needs to show and rank the video."""
        assert video.published_at is not None
        return {
            "video_id": video.id,
            "owner_id": video.owner_id,
            "room_id": video.room_id,
            "kind": str(video.kind),
            "product_ids": [str(p) for p in video.product_ids],
            "tags": [str(t) for t in video.tags],
            "visible_at": video.published_at,
            "title": video.title,
            "poster_url": f"/videos/{video.id}/poster.jpg",
            "page_url": f"/videos?v={video.id}",
            "duration_s": video.duration_s,
            "width": video.width,
            "height": video.height,
            "ready": video.status == VideoStatus.READY,
            "views": video.views,
            "completions": video.completions,
            "likes": video.likes,
            "comments": video.comments,
            "shares": video.shares,
            "orders": video.orders,
            "at": utcnow(),
        }

    async def _card_changed(self, session: AsyncSession, video: Video) -> None:
        await publish(session, VideoChanged.model_validate(self._card(video)))

    async def _left_feed(self, session: AsyncSession, video: Video) -> None:
        """Tell the feeds a video they may hold is gone (it was published)."""
        if video.published_at is not None:
            await publish(
                session, VideoUnpublished(video_id=video.id, owner_id=video.owner_id, at=utcnow())
            )

    async def do_trim(
        self, session: AsyncSession, user: User, video_id: str, start_s: float, end_s: float
    ) -> Video:
        """Cut a clip again with new bounds (within its session's recording)."""
        video = await self.get_own_video(session, user, video_id, lock=True)
        if video.kind != VideoKind.CLIP:
            raise Conflict("Only clips of a live session can be trimmed.", code="not_a_clip")
        if video.status == VideoStatus.PROCESSING:
            raise Conflict("The clip is still being cut.", code="video_processing")
        if end_s - start_s < MIN_CLIP_S:
            raise ValidationFailed("A clip lasts at least a second.", code="clip_too_short")
        video.clip_start_s = round(start_s, 3)
        video.clip_end_s = round(end_s, 3)
        video.status = VideoStatus.PROCESSING
        video.attempts = 0
        video.progress = 0
        video.lease_until = None
        video.error_code = None
        await session.flush()
        self._schedule_processing(session, video.id, utcnow())
        if video.published_at is not None:
            await self._card_changed(session, video)  # out of feeds until it is cut again
        return video

    async def do_discard(self, session: AsyncSession, user: User, video_id: str) -> None:
        video = await self.get_own_video(session, user, video_id, lock=True)
        await self._left_feed(session, video)
        video.status = VideoStatus.DISCARDED
        video.published_at = None
        video.size_bytes = 0
        video.lease_until = None
        await session.flush()
        directory = video_dir(runtime_of(session).settings, video.id)

        async def _remove() -> None:
            shutil.rmtree(directory, ignore_errors=True)

        after_commit(session, _remove)

    async def list_mine(self, session: AsyncSession, user: User, page: PageRequest) -> VideoListOut:
        found = await video_repository.page_of_owner(session, user.id, page)
        used = await video_repository.used_bytes(session, user.id)
        feed = await video_candidate_service.feed_figures(session, [v.id for v in found.items])
        return VideoListOut(
            items=[self.stats_out(video, feed.get(video.id, (0, 0))) for video in found.items],
            next_cursor=found.next_cursor,
            used_bytes=used,
            quota_bytes=runtime_of(session).settings.video_quota_bytes,
        )

    def video_out(self, video: Video) -> VideoOut:
        ready = video.status == VideoStatus.READY
        return VideoOut(
            id=video.id,
            kind=video.kind,
            status=video.status,
            title=video.title,
            tags=[str(t) for t in video.tags],
            product_ids=[str(p) for p in video.product_ids],
            owner_id=video.owner_id,
            room_id=video.room_id,
            session_id=video.session_id,
            clip_start_s=video.clip_start_s,
            clip_end_s=video.clip_end_s,
            cut_mode=video.cut_mode,
            duration_s=video.duration_s,
            width=video.width,
            height=video.height,
            has_audio=video.has_audio,
            size_bytes=video.size_bytes,
            progress=video.progress,
            error_code=video.error_code,
            created_at=video.created_at,
            published_at=video.published_at,
            video_url=f"/videos/{video.id}/video.mp4" if ready else None,
            hls_url=hls_url(video) if ready else None,
            poster_url=f"/videos/{video.id}/poster.jpg" if ready else None,
        )

    async def get_own_stats(
        self, session: AsyncSession, user: User, video_id: str
    ) -> VideoStatsOut:
        video = await self.get_own_video(session, user, video_id)
        feed = await video_candidate_service.feed_figures(session, [video.id])
        return self.stats_out(video, feed.get(video.id, (0, 0)))

    def stats_out(self, video: Video, feed: tuple[int, int] = (0, 0)) -> VideoStatsOut:
        """The video with its figures; ``feed``: (home-feed exposures, clicks)."""
        rate = video.completions / video.views if video.views else 0.0
        return VideoStatsOut(
            **self.video_out(video).model_dump(),
            views=video.views,
            completions=video.completions,
            completion_rate=round(rate, 4),
            watch_s=round(video.watch_ms / 1000, 1),
            likes=video.likes,
            comments=video.comments,
            shares=video.shares,
            room_clicks=video.room_clicks,
            orders=video.orders,
            gmv_cents=video.gmv_cents,
            feed_exposures=feed[0],
            feed_clicks=feed[1],
        )

    # ---- the feed and viewers ---------------------------------------------------------

    async def get_published(self, session: AsyncSession, video_id: str) -> Video:
        video = await video_repository.get(session, video_id)
        if (
            video is None
            or video.status != VideoStatus.READY
            or video.published_at is None
            or video.published_at > utcnow()
        ):
            raise NotFound("No such video.", code="video_not_found")
        return video

    async def get_file(self, session: AsyncSession, video_id: str, name: str) -> Path:
        """A ready video's file: published ones for everyone (drafts: served by id only)."""
        video = await video_repository.get(session, video_id)
        if video is None or video.status != VideoStatus.READY:
            raise NotFound("No such video.", code="video_not_found")
        settings = runtime_of(session).settings
        path = (
            video_path(settings, video.id)
            if name == "video.mp4"
            else poster_path(settings, video.id)
        )
        if not path.exists():
            raise NotFound("No such video.", code="video_not_found")
        return path

    async def get_hls_file(self, session: AsyncSession, video_id: str, name: str) -> Path:
        """The playlist or a segment of a ready video's HLS rendition."""
        if name != processing.HLS_PLAYLIST and not processing.HLS_SEGMENT.fullmatch(name):
            raise NotFound("No such video.", code="video_not_found")
        video = await video_repository.get(session, video_id)
        if video is None or video.status != VideoStatus.READY or not video.has_hls:
            raise NotFound("No such video.", code="video_not_found")
        path = hls_dir(runtime_of(session).settings, video.id) / name
        if not path.is_file():
            raise NotFound("No such video.", code="video_not_found")
        return path

    async def get_feed(
        self,
        session: AsyncSession,
        viewer: User | None,
        page: PageRequest,
        *,
        first_id: str | None = None,
    ) -> FeedOut:
        """Published videos, newest first (``FEED_LIMIT`` by default). On the first page a
        shared video (``first_id``) comes first and takes one of the page's places."""
        page = page.or_default(FEED_LIMIT)
        first: Video | None = None
        if first_id and page.after is None:
            try:
                first = await self.get_published(session, first_id)
            except NotFound:
                pass  # a shared link to a video taken down since: the feed as usual
        if first is None:
            found = await video_repository.feed(session, utcnow(), page)
            videos, next_cursor = found.items, found.next_cursor
        elif page.size == 1:
            videos, next_cursor = [first], encode_cursor([_FEED_START, ""])
        else:
            found = await video_repository.feed(session, utcnow(), PageRequest(page.size - 1, None))
            videos = [first, *[v for v in found.items if v.id != first.id]]
            next_cursor = found.next_cursor
        liked = (
            await video_repository.liked_ids(session, viewer.id, [v.id for v in videos])
            if viewer is not None
            else set()
        )
        items = [await self._feed_item(session, video, video.id in liked) for video in videos]
        return FeedOut(items=items, next_cursor=next_cursor)

    async def _live_session_of(self, session: AsyncSession, room_id: str | None) -> str | None:
        if room_id is None:
            return None
        on_air = await live_service.list_sessions(
            session, status=LiveSessionStatus.LIVE, room_id=room_id, limit=1
        )
        return on_air[0].id if on_air else None

    async def _feed_item(self, session: AsyncSession, video: Video, liked: bool) -> FeedItem:
        products: list[FeedProduct] = []
        for product_id in video.product_ids:
            try:
                product = await catalog_service.get_product(session, str(product_id))
            except NotFound:
                continue
            if product.status != ProductStatus.ON_SALE:
                continue
            out = catalog_service.product_out(product)
            products.append(
                FeedProduct(
                    id=out.id,
                    title=out.title,
                    currency=out.currency,
                    price_cents=out.price_cents,
                    cover_url=out.cover_url,
                    skus=[
                        FeedSku(id=s.id, spec=s.spec, price_cents=s.price_cents, stock=s.stock)
                        for s in out.skus
                    ],
                )
            )
        owner = await account_service.get_user(session, video.owner_id)
        host_name = owner.display_name
        if video.room_id is not None:
            try:
                host_name = (await live_service.get_room(session, video.room_id)).name
            except NotFound:
                pass
        return FeedItem(
            id=video.id,
            title=video.title,
            tags=[str(t) for t in video.tags],
            video_url=f"/videos/{video.id}/video.mp4",
            hls_url=hls_url(video),
            poster_url=f"/videos/{video.id}/poster.jpg",
            duration_s=video.duration_s,
            width=video.width,
            height=video.height,
            host_name=host_name,
            room_id=video.room_id,
            live_session_id=await self._live_session_of(session, video.room_id),
            likes=video.likes,
            comments=video.comments,
            shares=video.shares,
            liked=liked,
            products=products,
        )

    async def do_record_watch(
        self,
        session: AsyncSession,
        video_id: str,
        *,
        viewer_key: str,
        user: User | None,
        watched_ms: int,
        ended: bool,
    ) -> WatchOut:
        """A player's report: the first counts a view, reaching the end (or 90 % watched)
        counts a completion; both once per viewer, whatever is reported after."""
        video = await self.get_published(session, video_id)
        now = utcnow()
        cap_ms = int(video.duration_s * 1000) + 1000
        watched_ms = min(watched_ms, cap_ms)
        view = await video_repository.get_view(session, video.id, viewer_key)
        view_counted = False
        if view is None:
            candidate = VideoView(
                id=new_id(),
                video_id=video.id,
                viewer_key=viewer_key,
                user_id=None if user is None else user.id,
                watched_ms=0,
                completed=False,
                created_at=now,
            )
            if await video_repository.add_view(session, candidate):
                view, view_counted = candidate, True
            else:
                view = await video_repository.get_view(session, video.id, viewer_key)
                assert view is not None
        previously_watched = view.watched_ms
        await video_repository.add_watch(session, view.id, watched_ms)
        total_watched = previously_watched + watched_ms
        completion_counted = False
        reached = ended or total_watched >= COMPLETION_SHARE * video.duration_s * 1000
        if reached and await video_repository.mark_completed(session, view.id):
            completion_counted = True
        await video_repository.add_to_counters(
            session,
            video.id,
            views=int(view_counted),
            completions=int(completion_counted),
            watch_ms=watched_ms,
        )
        user_id = None if user is None else user.id
        if view_counted:
            await publish(
                session,
                VideoViewed(
                    video_id=video.id,
                    owner_id=video.owner_id,
                    viewer_key=viewer_key,
                    user_id=user_id,
                    at=now,
                ),
            )
        if completion_counted:
            await publish(
                session,
                VideoCompleted(
                    video_id=video.id,
                    owner_id=video.owner_id,
                    viewer_key=viewer_key,
                    user_id=user_id,
                    watched_ms=total_watched,
                    duration_s=video.duration_s,
                    at=now,
                ),
            )
        await session.refresh(video)
        return WatchOut(
            video_id=video.id,
            view_counted=view_counted,
            completion_counted=completion_counted,
            views=video.views,
            completions=video.completions,
        )

    async def do_like(
        self, session: AsyncSession, user: User, video_id: str, *, like: bool
    ) -> LikeOut:
        video = await self.get_published(session, video_id)
        if like:
            changed = await video_repository.add_like(session, video.id, user.id)
            delta = 1 if changed else 0
        else:
            changed = await video_repository.remove_like(session, video.id, user.id)
            delta = -1 if changed else 0
        if delta:
            await video_repository.add_to_counters(session, video.id, likes=delta)
            await session.refresh(video)
            await publish(session, VideoEngaged(video_id=video.id, likes=delta, at=utcnow()))
        return LikeOut(video_id=video.id, liked=like, likes=video.likes)

    async def do_comment(
        self, session: AsyncSession, user: User, video_id: str, body: str
    ) -> CommentOut:
        video = await self.get_published(session, video_id)
        comment = VideoComment(id=new_id(), video_id=video.id, user_id=user.id, body=body)
        comment.created_at = utcnow()
        video_repository.add_comment(session, comment)
        await video_repository.add_to_counters(session, video.id, comments=1)
        await session.flush()
        await publish(session, VideoEngaged(video_id=video.id, comments=1, at=utcnow()))
        return CommentOut(
            id=comment.id, user_name=user.display_name, body=body, created_at=comment.created_at
        )

    async def list_comments(
        self, session: AsyncSession, video_id: str, page: PageRequest
    ) -> CommentsOut:
        video = await self.get_published(session, video_id)
        found = await video_repository.page_comments(session, video.id, page)
        return CommentsOut(
            items=[
                CommentOut(id=c.id, user_name=name, body=c.body, created_at=c.created_at)
                for c, name in found.items
            ],
            next_cursor=found.next_cursor,
            comments=video.comments,
        )

    async def do_share(self, session: AsyncSession, video_id: str) -> ShareOut:
        video = await self.get_published(session, video_id)
        await video_repository.add_to_counters(session, video.id, shares=1)
        await session.refresh(video)
        await publish(session, VideoEngaged(video_id=video.id, shares=1, at=utcnow()))
        base = runtime_of(session).settings.public_url.rstrip("/")
        return ShareOut(video_id=video.id, shares=video.shares, url=f"{base}/videos?v={video.id}")

    async def do_room_click(
        self, session: AsyncSession, user: User | None, video_id: str
    ) -> RoomClickOut:
        """The "直播中" badge: where to go, counted as the video's click into the room."""
        video = await self.get_published(session, video_id)
        live_session_id = await self._live_session_of(session, video.room_id)
        if live_session_id is None or video.room_id is None:
            raise Conflict("The host is not live now.", code="host_not_live")
        await video_repository.add_to_counters(session, video.id, room_clicks=1)
        await publish(
            session,
            VideoRoomClicked(
                video_id=video.id,
                room_id=video.room_id,
                session_id=live_session_id,
                user_id=None if user is None else user.id,
                at=utcnow(),
            ),
        )
        return RoomClickOut(
            video_id=video.id,
            live_session_id=live_session_id,
            url=f"/live/{live_session_id}?from_video={video.id}",
        )

    async def do_count_order(
        self,
        session: AsyncSession,
        *,
        video_id: str,
        order_id: str,
        buyer_id: str,
        product_id: str | None,
        total_cents: int,
        currency: str,
    ) -> bool:
        """A paid order bought from a video: counted when the video links the product."""
        video = await video_repository.get(session, video_id)
        if video is None or (product_id is not None and product_id not in video.product_ids):
            return False
        await video_repository.add_to_counters(session, video.id, orders=1, gmv_cents=total_cents)
        await publish(
            session,
            VideoOrderAttributed(
                video_id=video.id,
                owner_id=video.owner_id,
                order_id=order_id,
                buyer_id=buyer_id,
                total_cents=total_cents,
                currency=currency,
                at=utcnow(),
            ),
        )
        return True


def hls_url(video: Video) -> str | None:
    """Where a player streams a long video (HLS); ``None``: progressive MP4 only."""
    return f"/videos/{video.id}/hls/{processing.HLS_PLAYLIST}" if video.has_hls else None


def _copy_to(file: BinaryIO, target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(file, out, 1024 * 1024)


def _probe_upload(path: Path, max_duration_s: float) -> processing.Probe:
    import av

    probe = processing.probe(path, max_duration_s=max_duration_s)
    with av.open(str(path), "r") as container:
        names = set(container.format.name.split(","))
    if not names & set(ACCEPTED_FORMATS):
        raise processing.VideoRejected("video_format", ",".join(sorted(names)))
    return probe


def _recording_mp4(recordings_dir: Path, session_id: str) -> Path | None:
    from livecommerce.media.recording import Recordings

    return Recordings(recordings_dir).make_mp4(session_id)


def _duration_of(path: Path) -> float:
    return processing.probe(path).duration_s


video_service = VideoService()
