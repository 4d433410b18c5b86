"""Pre-framed fan-out: one WebSocket frame, encoded once, written to every viewer.

Through ASGI, every ``websocket.send`` to every viewer is framed again by the
server and costs a task wake-up in the app; in a room of 5,000 viewers that is
5,000 times per chat message. ``FanoutWebSocketProtocol`` is uvicorn's own
WebSocket protocol (sans-I/O ``websockets``) plus one ASGI server extension,
``livecommerce.frames``: a ``FrameWriter`` per connection that writes bytes
already framed for the whole room straight to the connection's transport.

Frames written this way and frames written through ASGI share the one transport
and each write is a whole frame, so their order is the order of the calls. The
writer refuses once the connection is closing, and reports the bytes waiting in
user space, so the hub can drop a viewer who does not read (close code 4008).

``livecommerce serve`` and the demo run uvicorn with this protocol
(``UVICORN_WS``). Under another ASGI server the extension is absent and the hub
falls back to ASGI sends, one queue and one sender task per viewer. With
per-message deflate negotiated the extension is not offered: frames are then
compressed per viewer on the ASGI path.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request

EXTENSION = "livecommerce.frames"
UVICORN_WS = "livecommerce.realtime.fanout:FanoutWebSocketProtocol"
WRITTEN, CLOSED, BEHIND = 0, 1, 2  # what FrameWriter.write did


def text_frame(text: str) -> bytes:
    """A final, unmasked text frame (server to client) carrying ``text``."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class FrameWriter:
    """Writes ready-made frames to one WebSocket connection."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def write(self, frame: bytes, max_buffered: int) -> int:
        """Write one frame: ``WRITTEN``; ``CLOSED`` when the connection is closing;
        ``BEHIND`` (nothing written) when more than ``max_buffered`` bytes wait unsent.
        One call per viewer per message, so it is kept to the bare minimum."""
        protocol = self._protocol
        if protocol.close_sent or protocol.disconnected:
            return CLOSED
        transport = protocol.transport
        if transport.is_closing():
            return CLOSED
        if transport.get_write_buffer_size() > max_buffered:
            return BEHIND
        transport.write(frame)
        return WRITTEN


class FanoutWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, offering ``FrameWriter`` as an ASGI extension."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The ASGI task was created but has not run yet: the scope can still grow.
        scope: Any = getattr(self, "scope", None)
        if scope is not None and self.response.status_code == 101 and not self.conn.extensions:
            scope["extensions"][EXTENSION] = {"writer": FrameWriter(self)}


def frame_writer_of(scope: Any) -> FrameWriter | None:
    """The connection's writer, when the server offers the extension."""
    extension = (scope.get("extensions") or {}).get(EXTENSION)
    writer = None if extension is None else extension.get("writer")
    return writer if isinstance(writer, FrameWriter) else None
