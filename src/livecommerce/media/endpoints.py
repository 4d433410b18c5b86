"""Stream keys, stream health, replay data, HTTP-FLV and HLS delivery, nginx-rtmp callbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.kit.errors import Forbidden, LiveCommerceError, NotFound
from livecommerce.kit.http import WRITES, DbSession, RuntimeDep
from livecommerce.kit.runtime import Runtime
from livecommerce.media.schemas import (
    NginxCallbackReply,
    ReplayOut,
    StreamHealthOut,
    StreamKeyOut,
    VideoAvailabilityOut,
)
from livecommerce.media.service import RTMP_APP, media_service
from livecommerce.media.streams import MediaRuntime, Subscriber

router = APIRouter(tags=["media"])

NO_STORE = {"Cache-Control": "no-store"}


def _media(runtime: Runtime) -> MediaRuntime:
    media = runtime.extras.get("media")
    if not isinstance(media, MediaRuntime):
        raise NotFound("Live video is not available on this server.", code="media_disabled")
    return media


# ---- keys and health (host console) ------------------------------------------------------


# Issues the room's first key when it has none.
@router.get("/api/v1/rooms/{room_id}/stream-key", dependencies=[WRITES])
async def get_stream_key(room_id: str, user: CurrentUser, session: DbSession) -> StreamKeyOut:
    """Ingest URL, stream key and OBS settings; only the room's host (or an admin)."""
    return await media_service.get_stream_key(session, user, room_id)


@router.post("/api/v1/rooms/{room_id}/stream-key/rotate")
async def rotate_stream_key(room_id: str, user: CurrentUser, session: DbSession) -> StreamKeyOut:
    """Issue a new key; the old one is refused from now on."""
    return await media_service.do_rotate_key(session, user, room_id)


@router.get("/api/v1/live-sessions/{session_id}/stream-health")
async def stream_health(session_id: str, user: CurrentUser, session: DbSession) -> StreamHealthOut:
    return await media_service.get_stream_health(session, user, session_id)


@router.get("/api/v1/live-sessions/{session_id}/replay")
async def replay(session_id: str, session: DbSession) -> ReplayOut:
    """The recording and the commerce timeline (which product was pinned when)."""
    return await media_service.get_replay(session, session_id)


@router.get("/replay/{session_id}/video")
async def replay_video(session_id: str, session: DbSession, runtime: RuntimeDep) -> Response:
    await media_service.check_replay_available(session, session_id)
    media = _media(runtime)
    import asyncio

    path = await asyncio.to_thread(media.recordings.make_mp4, session_id)
    if path is None:
        raise NotFound("This session was not recorded.", code="recording_not_found")
    return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": "no-cache"})


# ---- live delivery -----------------------------------------------------------------------


@router.get("/api/v1/live-sessions/{session_id}/video")
async def video_availability(
    session_id: str, session: DbSession, runtime: RuntimeDep
) -> VideoAvailabilityOut:
    """Which deliveries carry the host's video now (public; the room's player polls it)."""
    live_session = await media_service.get_live_session(session, session_id)
    media = runtime.extras.get("media")
    flv = hls = False
    if isinstance(media, MediaRuntime):
        stream = media.streams.get(session_id)
        flv = stream is not None and not stream.ended
        hls = media.hls_file(session_id, "index.m3u8") is not None
    return VideoAvailabilityOut(
        session_id=live_session.id, status=live_session.status, flv=flv, hls=hls
    )


@router.get("/live/{session_id}.flv")
async def live_flv(session_id: str, session: DbSession, runtime: RuntimeDep) -> Response:
    """HTTP-FLV for mpegts.js: header, codec setup, the GOP from the latest keyframe, then live."""
    await media_service.check_watchable(session, session_id)
    media = _media(runtime)
    stream = media.streams.get(session_id)
    if stream is None or stream.ended:
        raise NotFound("The host's video has not started yet.", code="stream_not_live")
    subscriber, first = stream.subscribe()

    async def body(subscriber: Subscriber = subscriber) -> AsyncIterator[bytes]:
        try:
            yield first
            while True:
                data = await subscriber.queue.get()
                if data is None or subscriber.dropped:
                    return
                chunks = [data]
                while not subscriber.queue.empty() and len(chunks) < 64:
                    more = subscriber.queue.get_nowait()
                    if more is None:
                        yield b"".join(chunks)
                        return
                    chunks.append(more)
                yield b"".join(chunks)
        finally:
            stream.unsubscribe(subscriber)

    return StreamingResponse(body(), media_type="video/x-flv", headers=NO_STORE)


@router.get("/hls/{session_id}/{name}")
async def hls_file(session_id: str, name: str, session: DbSession, runtime: RuntimeDep) -> Response:
    await media_service.check_watchable(session, session_id)
    path = _media(runtime).hls_file(session_id, name)
    if path is None:
        raise NotFound("The host's video has not started yet.", code="stream_not_live")
    if name.endswith(".m3u8"):
        # Read whole: the muxer replaces the playlist every segment.
        try:
            playlist = path.read_bytes()
        except OSError:
            raise NotFound(
                "The host's video has not started yet.", code="stream_not_live"
            ) from None
        return Response(playlist, media_type="application/vnd.apple.mpegurl", headers=NO_STORE)
    return FileResponse(path, media_type="video/mp2t", headers={"Cache-Control": "max-age=60"})


# ---- nginx-rtmp callbacks (form-encoded, as nginx-rtmp sends them) -------------------------


@router.post("/api/v1/media/nginx/on-publish", response_model=None)
async def nginx_on_publish(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    token: str = "",
    rtmp_port: Annotated[int, Query(ge=1, le=65535)] = 1935,
    control_port: Annotated[int | None, Query(ge=1, le=65535)] = None,
    name: Annotated[str, Form()] = "",
    app: Annotated[str, Form()] = "",
    addr: Annotated[str, Form()] = "",
) -> Response:
    """Authenticate the key. The 3xx makes nginx-rtmp push the stream to its local "hls"
    application under the session id, so the HLS URLs viewers see never reveal the key."""
    media_service.check_nginx_token(session, token)
    if app != RTMP_APP:
        raise Forbidden(f"Publish to /{RTMP_APP}/<stream key>.", code="unknown_app")
    started = await media_service.do_start_publication(
        session, name.split("?", 1)[0], via="nginx", client=addr
    )
    if control_port is not None and request.client is not None:
        # When the session ends, drop the publisher through nginx-rtmp's control module.
        stream_key = name.split("?", 1)[0]
        drop_url = (
            f"http://{request.client.host}:{control_port}/control/drop/publisher"
            f"?app={RTMP_APP}&name={stream_key}"
        )
        await _media(runtime).watch_nginx_publisher(started.session_id, drop_url)
    relay = f"rtmp://127.0.0.1:{rtmp_port}/hls/{started.session_id}"
    return Response(status_code=302, headers={"Location": relay})


@router.post("/api/v1/media/nginx/on-publish-done")
async def nginx_on_publish_done(
    session: DbSession,
    token: str = "",
    name: Annotated[str, Form()] = "",
    app: Annotated[str, Form()] = "",
) -> NginxCallbackReply:
    media_service.check_nginx_token(session, token)
    try:
        session_id = await media_service.do_nginx_publish_done(session, name.split("?", 1)[0])
    except LiveCommerceError:
        return NginxCallbackReply(ok=False)
    return NginxCallbackReply(ok=True, session_id=session_id)
