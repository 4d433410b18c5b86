"""The WebSocket message catalogue (see docs/protocol.md) and the close codes."""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
    ERROR = "error"
    PONG = "pong"


class ClientMessage(StrEnum):
    CHAT = "chat"
    LIKE = "like"
    PING = "ping"


class CloseCode(IntEnum):
    GOING_AWAY = 1001  # the server is shutting down
    ORIGIN_NOT_ALLOWED = 4403  # a cookie-authenticated socket opened from another site
    NOT_FOUND = 4404  # no such live session
    TOO_SLOW = 4008  # the client fell behind and its send queue overflowed


MAX_LIKES_PER_MESSAGE = 20
MAX_CLIENT_MESSAGE_CHARS = 8192
