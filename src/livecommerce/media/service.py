"""Stream keys, publications (who is pushing video into which session), health and replay."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.config import Settings
from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import Conflict, Forbidden, NotFound
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.media.recording import Recordings
from livecommerce.media.repository import media_repository
from livecommerce.media.schemas import (
    ObsSettings,
    ReplayOut,
    StreamHealthOut,
    StreamKeyOut,
    TimelineEntry,
)
from livecommerce.models import LiveSession, LiveSessionStatus, StreamKey, StreamPublication, User
from livecommerce.worker.service import job_service

STREAM_TIMEOUT_JOB = "media.stream_timeout"
RTMP_APP = "live"
KEYFRAME_WARNING_S = 2.0
ON_AIR = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)


@dataclass(frozen=True)
class PublicationStarted:
    publication_id: str
    session_id: str
    room_id: str
    recording_started_at: datetime


def ingest_server_url(settings: Settings) -> str:
    if settings.rtmp_public_url:
        return settings.rtmp_public_url.rstrip("/")
    host = urlsplit(settings.public_url).hostname or "127.0.0.1"
    port = "" if settings.rtmp_port == 1935 else f":{settings.rtmp_port}"
    return f"rtmp://{host}{port}/{RTMP_APP}"


class MediaPlane(Protocol):
    """This process's media plane as the service sees it: ``media.streams.MediaRuntime``
    (``runtime.extras["media"]``), which calls the service and is never imported by it."""

    streams: dict[str, Any]  # the live streams (``media.streams.LiveStream``) by session id
    recordings: Recordings

    async def finish_session(self, session_id: str) -> None: ...


def media_runtime(session: AsyncSession) -> MediaPlane | None:
    return cast("MediaPlane | None", runtime_of(session).extras.get("media"))


async def live_repository_session(session: AsyncSession, session_id: str) -> LiveSession | None:
    if len(session_id) != 32:
        return None
    try:
        return await live_service.get_session(session, session_id)
    except NotFound:
        return None


class MediaService:
    # ---- stream keys -----------------------------------------------------------------

    async def get_stream_key(self, session: AsyncSession, user: User, room_id: str) -> StreamKeyOut:
        """The room's key (issued on first request); only its host or an admin sees it."""
        room = await live_service.get_room(session, room_id)
        live_service.check_can_manage_room(user, room)
        key = await media_repository.get_active_key_of_room(session, room.id)
        if key is None:
            key = await self._issue_key(session, room.id)
        return self.key_out(session, key)

    async def do_rotate_key(self, session: AsyncSession, user: User, room_id: str) -> StreamKeyOut:
        """A new key; the old one stops working at once (a running publisher keeps going)."""
        room = await live_service.get_room(session, room_id)
        live_service.check_can_manage_room(user, room)
        await media_repository.revoke_keys_of_room(session, room.id, utcnow())
        key = await self._issue_key(session, room.id)
        return self.key_out(session, key)

    async def _issue_key(self, session: AsyncSession, room_id: str) -> StreamKey:
        key = StreamKey(room_id=room_id, key=f"lc_{secrets.token_hex(20)}", created_at=utcnow())
        session.add(key)
        await session.flush()
        return key

    def key_out(self, session: AsyncSession, key: StreamKey) -> StreamKeyOut:
        server = ingest_server_url(runtime_of(session).settings)
        return StreamKeyOut(
            room_id=key.room_id,
            server_url=server,
            stream_key=key.key,
            ingest_url=f"{server}/{key.key}",
            created_at=key.created_at,
            obs=ObsSettings(),
        )

    # ---- publications ------------------------------------------------------------------

    async def do_start_publication(
        self, session: AsyncSession, stream_key: str, *, via: str, client: str
    ) -> PublicationStarted:
        """A publisher with ``stream_key`` connected: the room's session goes (back) live."""
        key = await media_repository.get_key(session, stream_key) if stream_key else None
        if key is None or key.revoked_at is not None:
            raise Forbidden("Unknown or revoked stream key.", code="stream_key_invalid")
        live_session = await self._session_for_room(session, key.room_id)
        now = utcnow()
        await media_repository.close_open_publications(session, live_session.id, now)
        if live_session.status != LiveSessionStatus.LIVE:
            await live_service.do_resume(session, live_session)
        publication = StreamPublication(
            session_id=live_session.id,
            stream_key_id=key.id,
            via=via,
            client=client[:80],
            started_at=now,
            bytes_in=0,
        )
        session.add(publication)
        await session.flush()
        first = await media_repository.first_started_at(session, live_session.id)
        return PublicationStarted(
            publication_id=publication.id,
            session_id=live_session.id,
            room_id=key.room_id,
            recording_started_at=first or now,
        )

    async def _session_for_room(self, session: AsyncSession, room_id: str) -> LiveSession:
        """The session on air, else the next scheduled one."""
        on_air = await live_service.list_sessions(
            session, status=LiveSessionStatus.LIVE, room_id=room_id, limit=1
        )
        if on_air:
            return on_air[0]
        scheduled = await live_service.list_sessions(
            session, status=LiveSessionStatus.SCHEDULED, room_id=room_id, limit=1
        )
        if scheduled:
            return scheduled[0]
        raise Conflict(
            "The room has no scheduled session to go live with; schedule one first.",
            code="no_session_to_publish",
        )

    async def do_stop_publication(
        self, session: AsyncSession, publication_id: str | None, session_id: str, bytes_in: int
    ) -> None:
        """The publisher left: a live session becomes interrupted and will time out."""
        now = utcnow()
        if publication_id is not None:
            if not await media_repository.stop_publication(session, publication_id, now, bytes_in):
                return  # already stopped (a newer publisher replaced it)
        else:
            await media_repository.close_open_publications(session, session_id, now)
        if await media_repository.get_open_publication(session, session_id) is not None:
            return
        live_session = await live_service.get_session(session, session_id)
        if live_session.status != LiveSessionStatus.LIVE:
            return
        await live_service.do_mark_interrupted(session, live_session)
        timeout = runtime_of(session).settings.media_reconnect_timeout_s
        job_service.do_schedule(
            session,
            STREAM_TIMEOUT_JOB,
            run_at=now + timedelta(seconds=timeout),
            payload={"session_id": session_id},
        )

    def nginx_callback_token(self, settings: Settings) -> str:
        """The shared secret nginx-rtmp puts in its callback URLs (derived from secret_key)."""
        digest = hmac.new(settings.secret_key.encode(), b"nginx-rtmp-callbacks", hashlib.sha256)
        return digest.hexdigest()[:32]

    def check_nginx_token(self, session: AsyncSession, token: str) -> None:
        expected = self.nginx_callback_token(runtime_of(session).settings)
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise Forbidden("Bad nginx callback token.", code="bad_callback_token")

    async def do_nginx_publish_done(self, session: AsyncSession, name: str) -> str | None:
        """nginx-rtmp reports its publisher gone. ``name`` is the session id the stream was
        renamed to by on_publish (or the key, for an nginx that did not rename it)."""
        live_session = await live_repository_session(session, name)
        if live_session is None:
            key = await media_repository.get_key(session, name) if name else None
            if key is None:
                raise NotFound("Unknown stream.", code="stream_not_found")
            on_air = await live_service.list_sessions(
                session, status=LiveSessionStatus.LIVE, room_id=key.room_id, limit=1
            )
            if not on_air:
                return None
            live_session = on_air[0]
        publication = await media_repository.get_open_publication(session, live_session.id, "nginx")
        if publication is None:
            return None
        await self.do_stop_publication(session, publication.id, live_session.id, 0)
        return live_session.id

    async def do_end_if_abandoned(self, session: AsyncSession, session_id: str) -> bool:
        """An interrupted session whose host has not come back in time ends."""
        live_session = await live_service.get_session(session, session_id)
        if live_session.status != LiveSessionStatus.INTERRUPTED:
            return False
        if await media_repository.get_open_publication(session, session_id) is not None:
            return False
        stopped = await media_repository.last_stopped_at(session, session_id)
        timeout = timedelta(seconds=runtime_of(session).settings.media_reconnect_timeout_s)
        if stopped is not None and utcnow() - stopped < timeout - timedelta(seconds=1):
            return False  # the host came back and dropped again; a later job decides
        await live_service.do_finish(session, live_session)
        media = media_runtime(session)
        if media is not None:
            after_commit(session, lambda: media.finish_session(session_id))
        return True

    # ---- health and replay -------------------------------------------------------------

    async def get_stream_health(
        self, session: AsyncSession, user: User, session_id: str
    ) -> StreamHealthOut:
        live_session = await live_service.get_session_for_edit(session, user, session_id)
        media = media_runtime(session)
        stream = None if media is None else media.streams.get(live_session.id)
        open_publication = await media_repository.get_open_publication(session, live_session.id)
        viewers = 0 if stream is None else len(stream.subscribers)
        if stream is None or not stream.publishing:
            return StreamHealthOut(
                session_id=live_session.id,
                publishing=open_publication is not None,
                via=None if open_publication is None else open_publication.via,
                bitrate_kbps=0.0,
                fps=0.0,
                keyframe_interval_s=None,
                seconds_since_last_packet=None,
                video_codec=None,
                audio_codec=None,
                width=None,
                height=None,
                viewers=viewers,
                warnings=[] if open_publication is not None else ["not_publishing"],
            )
        stats = stream.stats.snapshot()
        warnings = []
        interval = stats.keyframe_interval_s
        if interval is not None and interval > KEYFRAME_WARNING_S:
            warnings.append("keyframe_interval_too_long")
        if stats.seconds_since_last_packet is not None and stats.seconds_since_last_packet > 3:
            warnings.append("no_recent_packets")
        if stats.unsupported_audio:
            warnings.append("unsupported_audio_codec")
        return StreamHealthOut(
            session_id=live_session.id,
            publishing=True,
            via="embedded",
            bitrate_kbps=stats.bitrate_kbps,
            fps=stats.fps,
            keyframe_interval_s=interval,
            seconds_since_last_packet=stats.seconds_since_last_packet,
            video_codec=stats.video_codec,
            audio_codec=stats.audio_codec,
            width=stats.width,
            height=stats.height,
            viewers=viewers,
            warnings=warnings,
        )

    async def get_replay(self, session: AsyncSession, session_id: str) -> ReplayOut:
        live_session = await live_service.get_session(session, session_id)
        room = await live_service.get_room(session, live_session.room_id)
        media = media_runtime(session)
        recording_started = await media_repository.first_started_at(session, live_session.id)
        available = (
            live_session.status == LiveSessionStatus.ENDED
            and media is not None
            and media.recordings.has_recording(live_session.id)
        )
        showcase = await live_service.list_showcase(session, live_session)
        by_id = {item.id: item for item in showcase}
        timeline = []
        if recording_started is not None:
            for event in await media_repository.list_pin_events(session, live_session.id):
                item = None if event.showcase_item_id is None else by_id.get(event.showcase_item_id)
                if event.showcase_item_id is not None and item is None:
                    continue  # the item was removed from the showcase later
                timeline.append(
                    TimelineEntry(
                        at=event.at,
                        offset_s=round(max(0.0, (event.at - recording_started).total_seconds()), 3),
                        item=item,
                    )
                )
        return ReplayOut(
            session_id=live_session.id,
            title=live_session.title,
            status=str(live_session.status),
            room_id=room.id,
            room_name=room.name,
            available=available,
            video_url=f"/replay/{live_session.id}/video" if available else None,
            recording_started_at=recording_started,
            timeline=timeline,
            showcase=showcase,
        )

    async def check_replay_available(self, session: AsyncSession, session_id: str) -> None:
        live_session = await live_service.get_session(session, session_id)
        if live_session.status != LiveSessionStatus.ENDED:
            raise Conflict(
                "The replay is available once the session has ended.", code="replay_not_ready"
            )

    async def get_live_session(self, session: AsyncSession, session_id: str) -> LiveSession:
        return await live_service.get_session(session, session_id)

    async def check_watchable(self, session: AsyncSession, session_id: str) -> LiveSession:
        """Live video exists only for a session on air."""
        live_session = await live_service.get_session(session, session_id)
        if live_session.status == LiveSessionStatus.ENDED:
            raise NotFound("This session has ended; watch the replay.", code="session_ended")
        if live_session.status not in ON_AIR:
            raise NotFound("This session is not live yet.", code="stream_not_live")
        return live_session


media_service = MediaService()
