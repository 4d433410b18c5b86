"""One viewer's connection as the hub sees it."""

from __future__ import annotations

import asyncio
import time

from fastapi import WebSocket

from livecommerce.kit.ids import new_id
from livecommerce.realtime.fanout import FrameWriter


class LiveClient:
    """One WebSocket connection watching one live session."""

    def __init__(
        self,
        websocket: WebSocket,
        *,
        session_id: str,
        room_id: str,
        user_id: str | None,
        visitor_id: str | None,
        queue_size: int,
        writer: FrameWriter | None = None,
    ) -> None:
        self.id = new_id()
        self.websocket = websocket
        self.session_id = session_id
        self.room_id = room_id
        self.user_id = user_id
        self.visitor_id = visitor_id
        # Until the hello is out, messages wait here; then a client with a ``writer``
        # gets frames written directly (``direct``), any other has a sender task.
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.writer = writer
        self.direct = False
        # Set when the connection should end; close_code says how the server closes it
        # (None: the client went away, nothing to send).
        self.done = asyncio.Event()
        self.close_code: int | None = None
        self.sender: asyncio.Task[None] | None = None
        self.joined = False
        self.connected_at = time.monotonic()
        self.heartbeat_at = self.connected_at
        self.likes_this_tick = 0
        # Token bucket of ordinary (chat) messages this client may still receive.
        self.chat_tokens = 0.0
        self.tokens_at = self.connected_at
        self.chat_skipped = 0

    def end(self, close_code: int | None = None) -> None:
        if not self.done.is_set():
            self.close_code = close_code
            self.done.set()

    def seconds_connected(self) -> int:
        return int(time.monotonic() - self.connected_at)
