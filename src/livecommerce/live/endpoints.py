from __future__ import annotations

from fastapi import APIRouter, Request, Response

from livecommerce.accounts.dependencies import CurrentUser, HostUser, OptionalUser
from livecommerce.kit.http import DbSession, RuntimeDep
from livecommerce.kit.pagination import PageQuery
from livecommerce.kit.uploads import UPLOAD_OPENAPI, receive_upload
from livecommerce.live.schemas import (
    FollowOut,
    LiveSessionDetail,
    LiveSessionList,
    PinnedOut,
    PinRequest,
    ReservationOut,
    RoomCreate,
    RoomOut,
    RoomUpdate,
    SessionCreate,
    SessionStatusName,
    SessionUpdate,
    ShowcaseAdd,
    ShowcaseItemOut,
    ShowcaseItemUpdate,
    ShowcaseList,
    ShowcaseOrder,
)
from livecommerce.live.service import live_service

router = APIRouter(prefix="/api/v1", tags=["live"])


# ---- rooms ---------------------------------------------------------------------------


@router.post("/rooms", status_code=201)
async def create_room(body: RoomCreate, user: HostUser, session: DbSession) -> RoomOut:
    """Create the caller's room and persona (hosts and merchants; one room each)."""
    room = await live_service.do_create_room(session, user, body)
    return await live_service.room_out(session, room, user)


@router.get(
    "/rooms/mine",
    responses={404: {"description": "The caller hosts no room yet"}},
)
async def get_my_room(user: CurrentUser, session: DbSession) -> RoomOut:
    room = await live_service.get_room_of_host(session, user)
    return await live_service.room_out(session, room, user)


@router.get("/rooms/{room_id}")
async def get_room(room_id: str, user: OptionalUser, session: DbSession) -> RoomOut:
    room = await live_service.get_room(session, room_id)
    return await live_service.room_out(session, room, user)


@router.patch("/rooms/{room_id}")
async def update_room(
    room_id: str, body: RoomUpdate, user: CurrentUser, session: DbSession
) -> RoomOut:
    room = await live_service.do_update_room(session, user, room_id, body)
    return await live_service.room_out(session, room, user)


@router.post("/rooms/{room_id}/avatar", openapi_extra=UPLOAD_OPENAPI)
async def upload_room_avatar(
    room_id: str, request: Request, user: CurrentUser, session: DbSession, runtime: RuntimeDep
) -> RoomOut:
    """Set the room's avatar: a JPEG, PNG, WebP or GIF image (multipart field ``file``)."""
    room = await live_service.get_room_for_edit(session, user, room_id)
    async with receive_upload(request, max_bytes=runtime.settings.upload_max_bytes) as source:
        await live_service.do_set_room_avatar(session, user, room, source)
    return await live_service.room_out(session, room, user)


@router.post("/rooms/{room_id}/follow")
async def follow_room(room_id: str, user: CurrentUser, session: DbSession) -> FollowOut:
    """Follow a room; following twice changes nothing."""
    count = await live_service.do_follow(session, user, room_id)
    return FollowOut(room_id=room_id, following=True, followers_count=count)


@router.delete("/rooms/{room_id}/follow")
async def unfollow_room(room_id: str, user: CurrentUser, session: DbSession) -> FollowOut:
    count = await live_service.do_unfollow(session, user, room_id)
    return FollowOut(room_id=room_id, following=False, followers_count=count)


@router.get("/rooms/{room_id}/sessions")
async def list_room_sessions(
    room_id: str,
    session: DbSession,
    page: PageQuery,
    user: OptionalUser,
    status: SessionStatusName | None = None,
) -> LiveSessionList:
    room = await live_service.get_room(session, room_id)
    live_sessions = await live_service.page_sessions(
        session, status=status, room_id=room.id, page=page
    )
    return LiveSessionList(
        items=await live_service.session_summaries(session, live_sessions.items, user),
        next_cursor=live_sessions.next_cursor,
    )


@router.post("/rooms/{room_id}/sessions", status_code=201)
async def schedule_session(
    room_id: str, body: SessionCreate, user: CurrentUser, session: DbSession
) -> LiveSessionDetail:
    live_session = await live_service.do_schedule_session(session, user, room_id, body)
    return await live_service.session_detail(session, live_session, user)


# ---- sessions ------------------------------------------------------------------------


@router.get("/live-sessions")
async def list_live_sessions(
    session: DbSession,
    page: PageQuery,
    user: OptionalUser,
    status: SessionStatusName | None = None,
) -> LiveSessionList:
    """Sessions by state; ``status=live`` includes interrupted ones (the stream resumes)."""
    live_sessions = await live_service.page_sessions(
        session, status=status, room_id=None, page=page
    )
    return LiveSessionList(
        items=await live_service.session_summaries(session, live_sessions.items, user),
        next_cursor=live_sessions.next_cursor,
    )


@router.get("/live-sessions/{session_id}")
async def get_live_session(
    session_id: str, user: OptionalUser, session: DbSession
) -> LiveSessionDetail:
    """A session with its showcase; ``reserved`` says whether the caller reserved it."""
    live_session = await live_service.get_session(session, session_id)
    return await live_service.session_detail(session, live_session, user)


@router.post("/live-sessions/{session_id}/reservation")
async def reserve_live_session(
    session_id: str, user: CurrentUser, session: DbSession
) -> ReservationOut:
    """Reserve an upcoming (scheduled) session (直播预约): the caller is reminded before it
    starts and when it goes live. Reserving twice changes nothing; 409
    ``session_not_upcoming`` once it started, ended or was cancelled."""
    count = await live_service.do_reserve(session, user, session_id)
    return ReservationOut(session_id=session_id, reserved=True, reservation_count=count)


@router.delete("/live-sessions/{session_id}/reservation")
async def unreserve_live_session(
    session_id: str, user: CurrentUser, session: DbSession
) -> ReservationOut:
    """Withdraw a reservation; withdrawing one that does not exist changes nothing."""
    count = await live_service.do_unreserve(session, user, session_id)
    return ReservationOut(session_id=session_id, reserved=False, reservation_count=count)


@router.patch("/live-sessions/{session_id}")
async def update_live_session(
    session_id: str, body: SessionUpdate, user: CurrentUser, session: DbSession
) -> LiveSessionDetail:
    live_session = await live_service.do_update_session(session, user, session_id, body)
    return await live_service.session_detail(session, live_session, user)


@router.post("/live-sessions/{session_id}/cover", openapi_extra=UPLOAD_OPENAPI)
async def upload_session_cover(
    session_id: str,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
) -> LiveSessionDetail:
    """Set the session's cover: a JPEG, PNG, WebP or GIF image (multipart field ``file``)."""
    live_session = await live_service.get_session_for_edit(session, user, session_id)
    async with receive_upload(request, max_bytes=runtime.settings.upload_max_bytes) as source:
        await live_service.do_set_session_cover(session, user, live_session, source)
    return await live_service.session_detail(session, live_session, user)


@router.post("/live-sessions/{session_id}/start")
async def start_live_session(
    session_id: str, user: CurrentUser, session: DbSession
) -> LiveSessionDetail:
    """scheduled → live (or interrupted → live)."""
    live_session = await live_service.do_start_session(session, user, session_id)
    return await live_service.session_detail(session, live_session, user)


@router.post("/live-sessions/{session_id}/end")
async def end_live_session(
    session_id: str, user: CurrentUser, session: DbSession
) -> LiveSessionDetail:
    """live or interrupted → ended."""
    live_session = await live_service.do_end_session(session, user, session_id)
    return await live_service.session_detail(session, live_session, user)


@router.post("/live-sessions/{session_id}/cancel")
async def cancel_live_session(
    session_id: str, user: CurrentUser, session: DbSession
) -> LiveSessionDetail:
    """scheduled → cancelled."""
    live_session = await live_service.do_cancel_session(session, user, session_id)
    return await live_service.session_detail(session, live_session, user)


# ---- showcase and pin --------------------------------------------------------------------


@router.get("/live-sessions/{session_id}/showcase")
async def get_showcase(session_id: str, session: DbSession) -> ShowcaseList:
    live_session = await live_service.get_session(session, session_id)
    return ShowcaseList(items=await live_service.list_showcase(session, live_session))


@router.post("/live-sessions/{session_id}/showcase", status_code=201)
async def add_showcase_item(
    session_id: str, body: ShowcaseAdd, user: CurrentUser, session: DbSession
) -> ShowcaseItemOut:
    """Put an on-sale product in the showcase, optionally at live prices (per SKU, or one
    price for a single-SKU product). The session's host must have the right to sell it: its
    own or its merchant's (as staff) product, or an offer from its merchant, whose price
    floor the live prices respect."""
    return await live_service.do_add_showcase_item(session, user, session_id, body.product_id, body)


@router.put("/live-sessions/{session_id}/showcase/order")
async def reorder_showcase(
    session_id: str, body: ShowcaseOrder, user: CurrentUser, session: DbSession
) -> ShowcaseList:
    """Give every showcase item id once, in the new order."""
    items = await live_service.do_reorder_showcase(session, user, session_id, body.item_ids)
    return ShowcaseList(items=items)


@router.patch("/live-sessions/{session_id}/showcase/{item_id}")
async def update_showcase_item(
    session_id: str,
    item_id: str,
    body: ShowcaseItemUpdate,
    user: CurrentUser,
    session: DbSession,
) -> ShowcaseItemOut:
    """Replace the live prices (per SKU, or one for a single-SKU product); none: catalog."""
    return await live_service.do_update_showcase_item(session, user, session_id, item_id, body)


@router.delete("/live-sessions/{session_id}/showcase/{item_id}", status_code=204)
async def remove_showcase_item(
    session_id: str, item_id: str, user: CurrentUser, session: DbSession
) -> Response:
    await live_service.do_remove_showcase_item(session, user, session_id, item_id)
    return Response(status_code=204)


@router.post("/live-sessions/{session_id}/pin")
async def pin_showcase_item(
    session_id: str, body: PinRequest, user: CurrentUser, session: DbSession
) -> PinnedOut:
    """Pin a showcase item while live (``item_id: null`` unpins)."""
    pinned = await live_service.do_pin(session, user, session_id, body.item_id)
    return PinnedOut(item=pinned)
