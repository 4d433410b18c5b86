from __future__ import annotations

from fastapi import APIRouter, Request, Response, WebSocket

from livecommerce.accounts.dependencies import CurrentUser, websocket_user
from livecommerce.kit.http import DbSession, get_ws_runtime
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.kit.websocket import push_until_closed
from livecommerce.notifications.stream import unread_counts
from livecommerce.realtime.connection import (
    LiveConnection,
    connection_language,
    origin_allowed,
    refuse,
)
from livecommerce.realtime.events import CloseCode
from livecommerce.realtime.hub import LiveHub
from livecommerce.realtime.schemas import (
    BlockedWordIn,
    BlockedWordList,
    BlockedWordOut,
    ChatList,
    FloodCounters,
    MuteIn,
    MuteList,
    MuteOut,
)
from livecommerce.realtime.service import chat_out, realtime_service

router = APIRouter(tags=["realtime"])


@router.websocket("/ws/live/{session_id}")
async def live_socket(websocket: WebSocket, session_id: str) -> None:
    """The live room: see docs/protocol.md for every message."""
    runtime = get_ws_runtime(websocket)
    user = await websocket_user(websocket)
    cookie_authenticated = user is not None and not websocket.query_params.get("token")
    if cookie_authenticated and not origin_allowed(websocket, runtime.settings.public_url):
        await refuse(
            websocket,
            "origin_not_allowed",
            "This page may not open the live room with your log-in.",
            CloseCode.ORIGIN_NOT_ALLOWED,
            language=connection_language(websocket, user),
            status=403,
        )
        return
    await LiveConnection(websocket, runtime, user).serve(session_id)


@router.websocket("/ws/notifications")
async def notification_socket(websocket: WebSocket) -> None:
    """The signed-in user's own channel, open on every page: ``{"type": "unread",
    "unread": n}`` at once and whenever the count changes (docs/protocol.md)."""
    runtime = get_ws_runtime(websocket)
    user = await websocket_user(websocket)
    if user is None:
        await refuse(
            websocket,
            "not_authenticated",
            "Please log in first.",
            CloseCode.NOT_AUTHENTICATED,
            language=connection_language(websocket, None),
            status=401,
        )
        return
    cookie_authenticated = not websocket.query_params.get("token")
    if cookie_authenticated and not origin_allowed(websocket, runtime.settings.public_url):
        await refuse(
            websocket,
            "origin_not_allowed",
            "This page may not open your notifications with your log-in.",
            CloseCode.ORIGIN_NOT_ALLOWED,
            language=connection_language(websocket, user),
            status=403,
        )
        return
    await websocket.accept()

    async def send_counts() -> None:
        async for unread in unread_counts(runtime, user.id):
            await websocket.send_json({"type": "unread", "unread": unread})

    await push_until_closed(websocket, send_counts)


# ---- chat ------------------------------------------------------------------------------


@router.get("/api/v1/live-sessions/{session_id}/chat")
async def recent_chat(
    session_id: str,
    session: DbSession,
    page: PageQuery,
) -> ChatList:
    """The latest visible chat messages, oldest first (30 by default); ``next_cursor``
    pages back to older ones."""
    messages = await realtime_service.get_recent_chat(session, session_id, page)
    return ChatList(
        items=[chat_out(message) for message in messages.items], next_cursor=messages.next_cursor
    )


@router.delete("/api/v1/live-sessions/{session_id}/chat/{message_id}", status_code=204)
async def delete_chat_message(
    session_id: str, message_id: str, user: CurrentUser, session: DbSession
) -> None:
    """Hide a chat message (host or admin); viewers get ``chat_deleted``."""
    await realtime_service.do_delete_chat(session, user, session_id, message_id)


@router.get("/api/v1/live-sessions/{session_id}/flood")
async def flood_counters(
    session_id: str, user: CurrentUser, session: DbSession, request: Request
) -> FloodCounters:
    """What flood control held back in this session (host or admin)."""
    live_session = await realtime_service.get_moderated_session(session, user, session_id)
    hub: LiveHub = request.app.state.runtime.extras["hub"]
    return FloodCounters(**await hub.flood_counters(live_session.id))


# ---- mutes -----------------------------------------------------------------------------


@router.get("/api/v1/rooms/{room_id}/mutes")
async def list_mutes(
    room_id: str, user: CurrentUser, session: DbSession, page: PageQuery
) -> MuteList:
    """The room's active mutes, oldest first (100 a page by default)."""
    mutes = await realtime_service.list_mutes(session, user, room_id, page.or_default(MAX_LIMIT))
    return MuteList(
        items=[MuteOut.model_validate(mute) for mute in mutes.items], next_cursor=mutes.next_cursor
    )


@router.post("/api/v1/rooms/{room_id}/mutes", status_code=201)
async def mute_user(
    room_id: str, body: MuteIn, user: CurrentUser, session: DbSession, response: Response
) -> MuteOut:
    """Mute a user in the room for ``minutes`` (null: until lifted); 200 when re-muting."""
    mute, created = await realtime_service.do_mute(
        session, user, room_id, target_user_id=body.user_id, minutes=body.minutes
    )
    if not created:
        response.status_code = 200
    return MuteOut.model_validate(mute)


@router.delete("/api/v1/rooms/{room_id}/mutes/{user_id}", status_code=204)
async def unmute_user(room_id: str, user_id: str, user: CurrentUser, session: DbSession) -> None:
    await realtime_service.do_unmute(session, user, room_id, user_id)


# ---- blocked words ---------------------------------------------------------------------


@router.get("/api/v1/rooms/{room_id}/blocked-words")
async def list_blocked_words(
    room_id: str, user: CurrentUser, session: DbSession
) -> BlockedWordList:
    words = await realtime_service.list_blocked_words(session, user, room_id)
    return BlockedWordList(items=[BlockedWordOut.model_validate(word) for word in words])


@router.post("/api/v1/rooms/{room_id}/blocked-words", status_code=201)
async def add_blocked_word(
    room_id: str, body: BlockedWordIn, user: CurrentUser, session: DbSession
) -> BlockedWordOut:
    """Chat containing the word (any case) is refused with ``blocked_word``."""
    word = await realtime_service.do_add_blocked_word(session, user, room_id, body.word)
    return BlockedWordOut.model_validate(word)


@router.delete("/api/v1/rooms/{room_id}/blocked-words/{word_id}", status_code=204)
async def remove_blocked_word(
    room_id: str, word_id: str, user: CurrentUser, session: DbSession
) -> None:
    await realtime_service.do_remove_blocked_word(session, user, room_id, word_id)
