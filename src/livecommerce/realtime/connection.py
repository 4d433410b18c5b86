"""One viewer's WebSocket: hello, then client messages in and room messages out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket

from livecommerce.insights.service import VISITOR_COOKIE, valid_visitor_id
from livecommerce.kit.broker import encode, user_channel
from livecommerce.kit.errors import LiveCommerceError, NotFound
from livecommerce.kit.ids import new_id
from livecommerce.kit.language import LANG_COOKIE, normalize_language, pick_language
from livecommerce.kit.messages import error_message as sentence_for
from livecommerce.kit.runtime import Runtime
from livecommerce.kit.types import text_problem
from livecommerce.live.team import STAFF_CHANGED
from livecommerce.models import User
from livecommerce.notifications.service import notification_service
from livecommerce.realtime.client import LiveClient
from livecommerce.realtime.events import (
    MAX_CLIENT_MESSAGE_CHARS,
    MAX_LIKES_PER_MESSAGE,
    ClientMessage,
    CloseCode,
    ServerMessage,
)
from livecommerce.realtime.fanout import frame_writer_of
from livecommerce.realtime.hub import ChatSampledOut, LiveHub
from livecommerce.realtime.service import clean_chat_text, realtime_service

log = logging.getLogger(__name__)


def error_message(
    code: str,
    message: str,
    language: str,
    *,
    status: int = 400,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``error`` frame: the code, and its sentence in the connection's language
    (English keeps the specific sentence; Chinese comes from ``kit.messages``)."""
    text = sentence_for(language, code, status, message, details)
    return {"type": ServerMessage.ERROR.value, "code": code, "message": text}


def connection_language(websocket: WebSocket, user: User | None) -> str:
    """The language of a connection's errors: the ``lang`` query parameter, else as pages
    choose (the ``lang`` cookie, the account's locale, Accept-Language, Chinese)."""
    return normalize_language(websocket.query_params.get("lang")) or pick_language(
        websocket.cookies.get(LANG_COOKIE),
        None if user is None else user.locale,
        websocket.headers.get("accept-language"),
    )


# Client messages are flat objects; anything deeper is refused before parsing.
MAX_JSON_DEPTH = 8


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in ``text`` nest past ``limit`` (brackets inside strings
    do not count). Linear in the text, no recursion: safe on any input."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def origin_allowed(websocket: WebSocket, public_url: str) -> bool:
    """Same site: the Origin matches the Host header or the configured public URL.
    Clients that send no Origin (apps, scripts) are not browsers and are let through."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False  # "null" and other opaque origins
    netloc = parts.netloc.lower()
    host = websocket.headers.get("host")
    if host is not None and netloc == host.lower():
        return True
    public = urlsplit(public_url)
    return (parts.scheme.lower(), netloc) == (public.scheme.lower(), public.netloc.lower())


async def refuse(
    websocket: WebSocket,
    code: str,
    message: str,
    close_code: int,
    *,
    language: str,
    status: int = 400,
) -> None:
    """Accept, say why in an ``error`` message, close: browsers see the reason."""
    await websocket.accept()
    with contextlib.suppress(Exception):
        frame = error_message(code, message, language, status=status)
        await websocket.send_text(encode(frame))
        await websocket.close(close_code)


class OwnChannel:
    """A signed-in viewer's own channel, heard on the room's socket: the bell's count
    (``unread``) and a change of their team role in this room (``privileges``), so the
    room page needs no second socket and a removed 场控 loses the tools at once."""

    def __init__(self, runtime: Runtime, hub: LiveHub, client: LiveClient) -> None:
        assert client.user_id is not None
        self.runtime = runtime
        self.hub = hub
        self.client = client
        self.channel = user_channel(client.user_id)
        self.tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        await self.runtime.broker.subscribe(self.channel, self.hear)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.runtime.broker.unsubscribe(self.channel, self.hear)
        for task in list(self.tasks):
            task.cancel()

    def hear(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "unread" and isinstance(message.get("unread"), int):
            self.hub.send(
                self.client, {"type": ServerMessage.UNREAD.value, "unread": message["unread"]}
            )
        elif kind == "notification":
            task = asyncio.create_task(self._send_unread())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif kind == STAFF_CHANGED and message.get("room_id") == self.client.room_id:
            self.hub.send(
                self.client,
                {
                    "type": ServerMessage.PRIVILEGES.value,
                    "room_id": self.client.room_id,
                    "role": message.get("role"),
                    "can_moderate": bool(message.get("can_moderate")),
                },
            )

    async def _send_unread(self) -> None:
        assert self.client.user_id is not None
        try:
            async with self.runtime.db.reading() as db:
                unread = await notification_service.unread_count_of(db, self.client.user_id)
        except Exception:
            log.exception("unread count for the room socket failed")
            return
        self.hub.send(self.client, {"type": ServerMessage.UNREAD.value, "unread": unread})


class LiveConnection:
    def __init__(self, websocket: WebSocket, runtime: Runtime, user: User | None) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.user = user
        self.language = connection_language(websocket, user)
        self.hub: LiveHub = runtime.extras["hub"]
        cookie_visitor = valid_visitor_id(websocket.cookies.get(VISITOR_COOKIE))
        # Anonymous viewers are told apart by the visitor cookie, else once per connection.
        self.visitor_id = cookie_visitor if user is not None else cookie_visitor or new_id()

    async def serve(self, session_id: str) -> None:
        websocket = self.websocket
        try:
            client = await self._client_of(session_id)
        except NotFound as exc:
            await refuse(
                websocket,
                exc.code,
                exc.message,
                CloseCode.NOT_FOUND,
                language=self.language,
                status=exc.status,
            )
            return
        await websocket.accept()
        own = None if self.user is None else OwnChannel(self.runtime, self.hub, client)
        try:
            if own is not None:
                await own.open()
            # Join first: what is published from now on waits in the queue behind hello.
            online = await self.hub.join(client)
            await websocket.send_text(await self._hello(client.session_id, online))
            self.hub.start_sending(client)
            reader = asyncio.create_task(self._read_forever(client))
            try:
                await client.done.wait()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        finally:
            if own is not None:
                await own.close()
            await self.hub.leave(client)  # records the visit's end
            if client.close_code is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        websocket.close(client.close_code), self.hub.close_timeout_s
                    )

    # What is read to let a viewer in lives in these helpers' frames, not in serve()'s:
    # serve() lasts as long as the connection, and in a room of thousands every object
    # it keeps alive is one more for each garbage collection to walk.

    async def _client_of(self, session_id: str) -> LiveClient:
        async with self.runtime.db.reading() as db:
            live_session = await realtime_service.get_live_session(db, session_id)
        return LiveClient(
            self.websocket,
            session_id=live_session.id,
            room_id=live_session.room_id,
            user_id=None if self.user is None else self.user.id,
            visitor_id=self.visitor_id,
            queue_size=self.runtime.settings.ws_send_queue,
            writer=frame_writer_of(self.websocket.scope),
        )

    async def _hello(self, session_id: str, online: int) -> str:
        # Joining only reads (the visit is recorded by the hub in its next batch),
        # so a surge of viewers does not queue on the database's write lock; and
        # what all viewers share is read once, not once a viewer (HelloSnapshots).
        snapshots = self.hub.hellos
        snapshot = snapshots.get(session_id)
        you = None
        if snapshot is None or self.user is not None:
            async with self.runtime.db.reading() as db:
                live_session = await realtime_service.get_live_session(db, session_id)
                if snapshot is None:
                    generation = snapshots.generation(session_id)
                    snapshot = await realtime_service.build_room_snapshot(db, live_session)
                    snapshots.keep(session_id, generation, snapshot)
                if self.user is not None:
                    you = await realtime_service.build_you(db, live_session, self.user)
                likes = await self.hub.activity.like_total(session_id, session=db)
        else:
            likes = await self.hub.activity.like_total(session_id)
        hello = realtime_service.hello(snapshot, you=you, online=online, likes=likes)
        return encode(hello)

    async def _read_forever(self, client: LiveClient) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self._handle(client, message.get("text"))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("WebSocket reader of session %s failed", client.session_id)
        finally:
            client.end(None)

    def _error(
        self,
        client: LiveClient,
        code: str,
        message: str,
        *,
        status: int = 400,
        details: dict[str, Any] | None = None,
    ) -> None:
        frame = error_message(code, message, self.language, status=status, details=details)
        self.hub.send(client, frame)

    async def _handle(self, client: LiveClient, text: str | None) -> None:
        if text is None or len(text) > MAX_CLIENT_MESSAGE_CHARS:
            self._error(client, "bad_message", "Messages are JSON text frames of at most 8 KB.")
            return
        if json_too_deep(text):
            self._error(client, "bad_message", f"JSON nests at most {MAX_JSON_DEPTH} levels deep.")
            return
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            self._error(client, "bad_message", "That message is not valid JSON.")
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == ClientMessage.PING:
            self.hub.send(client, {"type": ServerMessage.PONG.value})
        elif kind == ClientMessage.LIKE:
            self._like(client, data)
        elif kind == ClientMessage.CHAT:
            await self._chat(client, data)
        else:
            self._error(client, "bad_message", "Unknown message type; see the protocol.")

    def _like(self, client: LiveClient, data: dict[str, Any]) -> None:
        if self.user is None:
            self._error(client, "not_authenticated", "Log in to like.", status=401)
            return
        count = data.get("count", 1)
        if type(count) is not int or not 1 <= count <= MAX_LIKES_PER_MESSAGE:
            self._error(
                client,
                "bad_message",
                f"'count' is a whole number from 1 to {MAX_LIKES_PER_MESSAGE}.",
            )
            return
        self.hub.activity.add_likes(client, count)

    async def _chat(self, client: LiveClient, data: dict[str, Any]) -> None:
        if self.user is None:
            self._error(client, "not_authenticated", "Log in to chat.", status=401)
            return
        text = data.get("text")
        if not isinstance(text, str):
            self._error(client, "bad_message", "'text' must be a string.")
            return
        problem = text_problem(clean_chat_text(text))
        if problem is not None:  # bidirectional overrides, only zero-width characters
            self._error(client, "bad_message", f"'text' {problem}.")
            return
        try:
            async with self.runtime.db.transaction() as db:
                await realtime_service.do_send_chat(
                    db, session_id=client.session_id, user=self.user, text=text
                )
        except ChatSampledOut as sampled:
            self.hub.send(client, sampled.echo)
        except LiveCommerceError as exc:
            self._error(client, exc.code, exc.message, status=exc.status, details=exc.details)
        except Exception:
            log.exception("chat failed in session %s", client.session_id)
            self._error(
                client, "server_error", "The message could not be sent; try again.", status=500
            )
