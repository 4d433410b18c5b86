"""The viewers and the chatters of ``livecommerce bench chat``, run in their own process.

``python -m livecommerce.bench.chat_client CONFIG_JSON`` connects ``viewers``
WebSockets to one room, then chatters send at ``rate_per_s`` for ``duration_s``;
each message carries its send time, so every viewer measures its delivery
latency. Prints one JSON object. The same client drives every system
(livecommerce, python-socketio, Django Channels, bare websockets), so the load
is identical.

The load generator must cost less per delivered message than the servers it
measures, or it measures itself: a full WebSocket client library parses each
frame through several layers and wakes a task per message, which at 5,000
viewers caps every system at the client's speed. So each viewer here is an
``asyncio.Protocol`` that does the opening handshake itself and reads frames with
a minimal parser (server frames are unmasked and, with compression off, carry
the JSON as is); frames the client sends (chat, pongs, close) are built by
``websockets.frames``.

A viewer is in the room once the server has let it in: livecommerce's ``hello``,
python-socketio's namespace acknowledgement, the opening handshake for the rooms
that send nothing on joining. The measured window starts after every viewer is
in, so a server still working through a join surge is not timed on chat.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import sys
import time
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.frames import Frame, Opcode

_TEXT = re.compile(rb'"text":"(\d+\.\d+)"')
_OPCODE_TEXT, _OPCODE_CLOSE, _OPCODE_PING = 0x1, 0x8, 0x9


def client_frame(opcode: Opcode, payload: bytes) -> bytes:
    """A masked frame, as clients must send."""
    return Frame(opcode, payload).serialize(mask=True)


class RoomSocket(asyncio.Protocol):
    """One WebSocket connection of the benchmark (a viewer or a chatter)."""

    def __init__(self, viewers: Viewers, url: str, *, measures: bool = True) -> None:
        self.viewers = viewers
        self.measures = measures  # chatters receive the room too, but are not viewers
        self.url = urlsplit(url)
        self.socketio = viewers.system == "python-socketio"
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.handshaken = False
        self.buffer = b""
        self.closed_by_us = False

    # ---- the connection --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        path = self.url.path or "/"
        if self.url.query:
            path += "?" + self.url.query
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {self.url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.transport.write(request.encode())

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        elif not self.closed_by_us and not self.viewers.stopping:
            self.viewers.dropped += 1

    def send_text(self, text: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(Opcode.TEXT, text.encode()))

    def close(self) -> None:
        self.closed_by_us = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(Opcode.CLOSE, (1000).to_bytes(2, "big")))
            self.transport.close()

    # ---- reading ---------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        position = 0
        if not self.handshaken:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            status = buffer[: buffer.find(b"\r\n")]
            if b" 101 " not in status:
                self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            self.handshaken = True
            if self.viewers.system in ("websockets", "channels"):
                self.opened.set_result(None)  # these rooms send nothing on joining
            position = end + 4
        size = len(buffer)
        while size - position >= 2:
            length = buffer[position + 1] & 0x7F
            head = 2
            if length == 126:
                if size - position < 4:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 4], "big")
                head = 4
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                head = 10
            end = position + head + length
            if end > size:
                break
            opcode = buffer[position] & 0x0F
            if opcode == _OPCODE_TEXT:
                self.on_text(buffer, position + head, end)
            elif opcode == _OPCODE_PING:
                assert self.transport is not None
                payload = buffer[position + head : end]
                self.transport.write(client_frame(Opcode.PONG, payload))
            elif opcode == _OPCODE_CLOSE:
                self.closed_by_us = self.closed_by_us or self.viewers.stopping
            position = end
        self.buffer = buffer[position:]

    def on_text(self, buffer: bytes, start: int, end: int) -> None:
        if self.socketio:
            payload = buffer[start:end]
            if payload == b"2":  # engine.io ping
                self.send_text("3")
                return
            if not self.opened.done():
                if payload.startswith(b"0"):  # engine.io open: join the namespace
                    self.send_text("40")
                elif payload.startswith(b"40"):
                    self.opened.set_result(None)
                return
        elif not self.opened.done():  # livecommerce: in the room once hello arrives
            self.opened.set_result(None)
            return
        match = _TEXT.search(buffer, start, end) if self.measures else None
        if match is None:
            return
        sent = float(match.group(1))
        window = self.viewers.window  # set once the viewers are all in
        if window[0] <= sent < window[1]:
            latency = time.time() - sent
            self.viewers.latencies.append(latency)
            slowest = self.viewers.slowest_by_message
            if latency > slowest.get(sent, 0.0):
                slowest[sent] = latency


class Viewers:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.system: str = config["system"]
        self.window: tuple[float, float] = (float("inf"), float("inf"))
        self.latencies: list[float] = []
        self.slowest_by_message: dict[float, float] = {}  # send time -> its slowest delivery
        self.dropped = 0
        self.stopping = False

    async def open(self, url: str, *, measures: bool = True) -> RoomSocket:
        parts = urlsplit(url)
        loop = asyncio.get_running_loop()
        _, socket = await loop.create_connection(
            lambda: RoomSocket(self, url, measures=measures),
            parts.hostname or "127.0.0.1",
            parts.port or 80,
        )
        await asyncio.wait_for(socket.opened, 120)
        return socket

    async def run(self) -> dict[str, Any]:
        config = self.config
        limit = asyncio.Semaphore(int(config.get("connect_concurrency", 100)))
        sockets: list[RoomSocket] = []

        async def one() -> None:
            async with limit:
                sockets.append(await self.open(config["viewer_url"]))

        started = time.monotonic()
        results = await asyncio.gather(
            *(one() for _ in range(config["viewers"])), return_exceptions=True
        )
        failed_to_connect = sum(1 for result in results if isinstance(result, BaseException))
        connect_s = time.monotonic() - started
        # Several chatters take turns (a real room has many, each well under the
        # per-user rate limit); one socket would serialise every message it sends.
        senders = [await self.open(url, measures=False) for url in config["sender_urls"]]
        await asyncio.sleep(float(config.get("settle_s", 1.0)))

        rate = float(config["rate_per_s"])
        duration = float(config["duration_s"])
        begin = time.time() + 0.2
        # Only the measured messages are ever sent, so the window only has to hold
        # them all: an event loop may fire a timer a little early (its clock
        # resolution) or late (under load), so a message's stamp can fall just
        # outside [begin, begin + duration).
        self.window = (begin - 1.0, begin + duration + 1.0)
        count = int(rate * duration)
        for number in range(count):
            delay = begin + number / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = f"{time.time():.6f}"
            if self.system == "python-socketio":
                text = "42" + json.dumps(["chat", {"text": stamp}], separators=(",", ":"))
            else:
                text = json.dumps({"type": "chat", "text": stamp}, separators=(",", ":"))
            senders[number % len(senders)].send_text(text)
        await asyncio.sleep(float(config.get("drain_s", 2.0)))
        self.stopping = True
        delivered = len(self.latencies)
        for socket in [*sockets, *senders]:
            socket.close()
        await asyncio.sleep(0.5)  # let the close frames go out
        ordered = sorted(self.latencies[:delivered])

        def percentile(share: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

        expected = count * len(sockets)
        # Where in the window the slowest messages were sent: tells a stall from a steady lag.
        worst = sorted(self.slowest_by_message.items(), key=lambda item: -item[1])[:5]
        return {
            "viewers_connected": len(sockets),
            "failed_to_connect": failed_to_connect,
            "connect_s": round(connect_s, 1),
            "messages_sent": count,
            "deliveries_expected": expected,
            "deliveries": delivered,
            "delivered_per_s": round(delivered / duration, 1),
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "dropped_clients": self.dropped,
            "slowest_messages": [
                {"sent_at_s": round(sent - begin, 2), "latency_ms": round(latency * 1000, 1)}
                for sent, latency in worst
            ],
        }


def main() -> None:
    config = json.loads(sys.argv[1])
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(Viewers(config).run())
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
