"""Short videos: upload and edit (hosts), the feed and viewers' actions, the files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from livecommerce.accounts.dependencies import CurrentUser, OptionalUser
from livecommerce.insights.service import VISITOR_COOKIE, valid_visitor_id
from livecommerce.kit.errors import NotFound
from livecommerce.kit.http import DbSession, RuntimeDep
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import PageQuery
from livecommerce.kit.uploads import UPLOAD_OPENAPI, receive_named_upload
from livecommerce.videos.schemas import (
    CommentIn,
    CommentOut,
    CommentsOut,
    FeedOut,
    LikeOut,
    PublishIn,
    RoomClickOut,
    ShareOut,
    TrimIn,
    VideoListOut,
    VideoOut,
    VideoStatsOut,
    VideoUpdate,
    WatchIn,
    WatchOut,
)
from livecommerce.videos.service import video_service

router = APIRouter(tags=["videos"])

VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600


# ---- the host's videos -------------------------------------------------------------------


_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed multipart body"},
    413: {"description": "Larger than the upload limit, or the host's storage quota is full"},
    415: {"description": "Not a multipart/form-data body"},
    422: {"description": "Not a playable video (code says why), or a bad file name"},
}


@router.post(
    "/api/v1/videos", status_code=202, openapi_extra=UPLOAD_OPENAPI, responses=_UPLOAD_ERRORS
)
async def upload_video(
    request: Request, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> VideoOut:
    """Upload an MP4, MOV or WebM (multipart field ``file``). It is checked at once (a real
    decode) and transcoded by a worker job; poll the video for ``status`` and ``progress``."""
    async with receive_named_upload(request, max_bytes=runtime.settings.video_max_bytes) as upload:
        video = await video_service.do_upload(session, user, upload.file, upload.filename)
    return video_service.video_out(video)


@router.get("/api/v1/videos/mine")
async def my_videos(user: CurrentUser, session: DbSession, page: PageQuery) -> VideoListOut:
    """The host's videos with their figures: views, completion rate, likes, clicks into
    the room, orders and GMV, newest first (50 by default); and the storage used against
    the quota."""
    return await video_service.list_mine(session, user, page)


@router.get("/api/v1/videos/{video_id}")
async def get_video(video_id: str, user: CurrentUser, session: DbSession) -> VideoStatsOut:
    return await video_service.get_own_stats(session, user, video_id)


@router.patch("/api/v1/videos/{video_id}")
async def update_video(
    video_id: str, body: VideoUpdate, user: CurrentUser, session: DbSession
) -> VideoOut:
    """Title, tags and the linked products (on sale) the buy sheet offers."""
    return video_service.video_out(await video_service.do_update(session, user, video_id, body))


@router.post("/api/v1/videos/{video_id}/publish")
async def publish_video(
    video_id: str, body: PublishIn, user: CurrentUser, session: DbSession
) -> VideoOut:
    """Into the feed now, or at ``publish_at`` (scheduled); a video still processing
    enters once it is ready."""
    video = await video_service.do_publish(session, user, video_id, body.publish_at)
    return video_service.video_out(video)


@router.post("/api/v1/videos/{video_id}/unpublish")
async def unpublish_video(video_id: str, user: CurrentUser, session: DbSession) -> VideoOut:
    return video_service.video_out(await video_service.do_unpublish(session, user, video_id))


@router.post("/api/v1/videos/{video_id}/trim")
async def trim_clip(video_id: str, body: TrimIn, user: CurrentUser, session: DbSession) -> VideoOut:
    """Cut a live clip again between new times of its session's recording."""
    video = await video_service.do_trim(session, user, video_id, body.start_s, body.end_s)
    return video_service.video_out(video)


@router.delete("/api/v1/videos/{video_id}", status_code=204)
async def discard_video(video_id: str, user: CurrentUser, session: DbSession) -> Response:
    await video_service.do_discard(session, user, video_id)
    return Response(status_code=204)


# ---- the feed and viewers ----------------------------------------------------------------


@router.get("/api/v1/feed/videos")
async def video_feed(
    session: DbSession,
    user: OptionalUser,
    page: PageQuery,
    first: str | None = None,
) -> FeedOut:
    """Published videos, newest first (10 by default); ``first`` puts a shared video at
    the top of the first page."""
    return await video_service.get_feed(session, user, page, first_id=first)


@router.post("/api/v1/videos/{video_id}/watch")
async def watch_video(
    video_id: str,
    body: WatchIn,
    request: Request,
    response: Response,
    user: OptionalUser,
    session: DbSession,
) -> WatchOut:
    """The player's report: watch time since the last report, and whether it reached the
    end. A view and a completion count once per viewer (user, else browser cookie)."""
    visitor = valid_visitor_id(request.cookies.get(VISITOR_COOKIE))
    if user is not None:
        viewer_key = f"u:{user.id}"
    else:
        if visitor is None:
            visitor = new_id()
            response.set_cookie(
                VISITOR_COOKIE,
                visitor,
                max_age=VISITOR_COOKIE_MAX_AGE,
                httponly=True,
                samesite="lax",
            )
        viewer_key = f"v:{visitor}"
    return await video_service.do_record_watch(
        session,
        video_id,
        viewer_key=viewer_key,
        user=user,
        watched_ms=body.watched_ms,
        ended=body.ended,
    )


@router.put("/api/v1/videos/{video_id}/like")
async def like_video(video_id: str, user: CurrentUser, session: DbSession) -> LikeOut:
    return await video_service.do_like(session, user, video_id, like=True)


@router.delete("/api/v1/videos/{video_id}/like")
async def unlike_video(video_id: str, user: CurrentUser, session: DbSession) -> LikeOut:
    return await video_service.do_like(session, user, video_id, like=False)


@router.get("/api/v1/videos/{video_id}/comments")
async def video_comments(video_id: str, session: DbSession, page: PageQuery) -> CommentsOut:
    """The video's comments, newest first (50 by default)."""
    return await video_service.list_comments(session, video_id, page)


@router.post("/api/v1/videos/{video_id}/comments", status_code=201)
async def comment_video(
    video_id: str, body: CommentIn, user: CurrentUser, session: DbSession
) -> CommentOut:
    return await video_service.do_comment(session, user, video_id, body.body)


@router.post("/api/v1/videos/{video_id}/share")
async def share_video(video_id: str, session: DbSession) -> ShareOut:
    return await video_service.do_share(session, video_id)


@router.post("/api/v1/videos/{video_id}/room-click")
async def video_room_click(video_id: str, user: OptionalUser, session: DbSession) -> RoomClickOut:
    """The "直播中" badge: the live room to enter (409 host_not_live once it is over)."""
    return await video_service.do_room_click(session, user, video_id)


_HLS_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}


@router.get("/videos/{video_id}/hls/{name}")
async def video_hls_file(video_id: str, name: str, session: DbSession) -> Response:
    """A long video's HLS rendition: the VOD playlist ``index.m3u8`` and its segments."""
    path = await video_service.get_hls_file(session, video_id, name)
    return FileResponse(
        path,
        media_type=_HLS_TYPES[path.suffix],
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get("/videos/{video_id}/{name}")
async def video_file(video_id: str, name: str, session: DbSession) -> Response:
    if name not in ("video.mp4", "poster.jpg"):
        raise NotFound("No such file.", code="video_not_found")
    path = await video_service.get_file(session, video_id, name)
    media_type = "video/mp4" if name == "video.mp4" else "image/jpeg"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=3600"})
