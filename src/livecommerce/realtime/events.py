"""The WebSocket message catalogue (see docs/protocol.md), the close codes, and the
domain events the realtime layer publishes (see docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from livecommerce.kit.events import DomainEvent


class ServerMessage(StrEnum):
    HELLO = "hello"
    CHAT = "chat"
    CHAT_DELETED = "chat_deleted"
    LIKES = "likes"
    ONLINE = "online"
    PINNED = "pinned"
    SHOWCASE = "showcase"
    PURCHASE = "purchase"
    SESSION_STATE = "session_state"
    FAN_LEVEL_UP = "fan_level_up"  # sent by the fans domain (fans/service.py)
    UNREAD = "unread"  # the viewer's own bell, from their user channel
    PRIVILEGES = "privileges"  # the viewer's team role in this room changed
    ERROR = "error"
    PONG = "pong"


class ClientMessage(StrEnum):
    CHAT = "chat"
    LIKE = "like"
    PING = "ping"


class CloseCode(IntEnum):
    GOING_AWAY = 1001  # the server is shutting down
    NOT_AUTHENTICATED = 4401  # a socket that needs a log-in (the notification channel)
    ORIGIN_NOT_ALLOWED = 4403  # a cookie-authenticated socket opened from another site
    NOT_FOUND = 4404  # no such live session
    TOO_SLOW = 4008  # the client fell behind and its send queue overflowed


MAX_LIKES_PER_MESSAGE = 20
MAX_CLIENT_MESSAGE_CHARS = 8192


# ---- domain events: stored with the tick's batch of visits ---------------------------


class ViewerEntered(DomainEvent):
    """A viewer (signed in, or a visitor by cookie) joined a live session's room."""

    name = "realtime.viewer_entered"
    session_id: str
    room_id: str
    user_id: str | None
    visitor_id: str | None
    at: datetime


class ViewerLeft(DomainEvent):
    """A viewer left a live session's room after ``seconds`` connected."""

    name = "realtime.viewer_left"
    session_id: str
    room_id: str
    user_id: str | None
    visitor_id: str | None
    seconds: int
    at: datetime


# ---- domain events: chat -------------------------------------------------------------


class ChatSent(DomainEvent):
    """A chat message was stored and will be shown to the room."""

    name = "realtime.chat_sent"
    message_id: str
    session_id: str
    room_id: str
    user_id: str
    at: datetime


class ChatDeleted(DomainEvent):
    """A moderator removed a chat message (sent at ``sent_at``)."""

    name = "realtime.chat_deleted"
    message_id: str
    session_id: str
    room_id: str
    user_id: str
    sent_at: datetime
    at: datetime
