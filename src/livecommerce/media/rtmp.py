"""An asyncio RTMP server for publishers (OBS, ffmpeg): handshake, chunk stream, AMF0 commands.

Only publishing is served (viewers get HTTP-FLV or HLS). Each connection is its own
task: whatever a publisher sends — garbage, a wrong codec, a connection cut in the
middle of a frame — ends that connection only. Audio and video messages carry FLV tag
bodies, handed on untouched to the :class:`Publisher` the application returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
from dataclasses import dataclass, field
from typing import Any, Protocol

from livecommerce.media import amf

log = logging.getLogger(__name__)

HANDSHAKE_SIZE = 1536
MAX_MESSAGE_SIZE = 8 * 1024 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
OUT_CHUNK_SIZE = 4096
WINDOW_ACK_SIZE = 2_500_000

MSG_SET_CHUNK_SIZE = 1
MSG_ABORT = 2
MSG_ACK = 3
MSG_USER_CONTROL = 4
MSG_WINDOW_ACK = 5
MSG_PEER_BANDWIDTH = 6
MSG_AUDIO = 8
MSG_VIDEO = 9
MSG_DATA_AMF3 = 15
MSG_COMMAND_AMF3 = 17
MSG_DATA_AMF0 = 18
MSG_COMMAND_AMF0 = 20


class ProtocolError(Exception):
    """The peer broke the RTMP protocol; its connection is closed."""


class PublishRefused(Exception):
    """The application refuses this publisher (unknown key, no session…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Publisher(Protocol):
    """What the application does with one accepted publisher's stream."""

    closed: asyncio.Event  # set by the application to disconnect the publisher

    def on_metadata(self, values: dict[str, Any]) -> None: ...

    def on_media(self, message_type: int, timestamp_ms: int, payload: bytes) -> None:
        """An audio (8) or video (9) FLV tag body; raise ProtocolError to disconnect."""

    async def on_close(self, bytes_in: int) -> None: ...


class PublishHandler(Protocol):
    async def on_publish(self, app: str, stream_name: str, client: str) -> Publisher:
        """Accept (return a Publisher) or raise PublishRefused."""
        ...


@dataclass
class _ChunkState:
    timestamp: int = 0
    delta: int = 0
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    extended: bool = False
    buffer: bytearray = field(default_factory=bytearray)


class _Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handler: PublishHandler,
        idle_timeout_s: float,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.handler = handler
        self.idle_timeout_s = idle_timeout_s
        self.in_chunk_size = 128
        self.chunks: dict[int, _ChunkState] = {}
        self.bytes_in = 0
        self.acked = 0
        self.peer_window = WINDOW_ACK_SIZE
        self.app = ""
        self.publisher: Publisher | None = None
        self.published = asyncio.Event()
        peer = writer.get_extra_info("peername")
        self.client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "unknown"

    async def read(self, count: int) -> bytes:
        data = await asyncio.wait_for(self.reader.readexactly(count), self.idle_timeout_s)
        self.bytes_in += count
        return data

    async def run(self) -> None:
        try:
            await self.handshake()
            while True:
                if self.publisher is not None and self.publisher.closed.is_set():
                    return
                await self.read_chunk()
        finally:
            if self.publisher is not None:
                publisher, self.publisher = self.publisher, None
                try:
                    await publisher.on_close(self.bytes_in)
                except Exception:
                    log.exception("closing a publication failed")

    # ---- handshake -------------------------------------------------------------------

    async def handshake(self) -> None:
        c0 = await self.read(1)
        if c0[0] != 3:
            raise ProtocolError(f"unsupported RTMP version {c0[0]}")
        c1 = await self.read(HANDSHAKE_SIZE)
        s1 = b"\x00\x00\x00\x00\x00\x00\x00\x00" + os.urandom(HANDSHAKE_SIZE - 8)
        self.writer.write(b"\x03" + s1 + c1)
        await self.writer.drain()
        await self.read(HANDSHAKE_SIZE)  # C2 echoes S1; nothing to check for plain RTMP

    # ---- chunk stream ------------------------------------------------------------------

    async def read_chunk(self) -> None:
        first = (await self.read(1))[0]
        fmt, csid = first >> 6, first & 0x3F
        if csid == 0:
            csid = 64 + (await self.read(1))[0]
        elif csid == 1:
            extra = await self.read(2)
            csid = 64 + extra[0] + extra[1] * 256
        state = self.chunks.get(csid)
        if state is None:
            if fmt != 0:
                raise ProtocolError(f"chunk stream {csid} starts without a full header")
            state = self.chunks[csid] = _ChunkState()
        starting = not state.buffer
        if fmt == 0:
            header = await self.read(11)
            timestamp = int.from_bytes(header[0:3], "big")
            state.length = int.from_bytes(header[3:6], "big")
            state.type_id = header[6]
            state.stream_id = struct.unpack("<I", header[7:11])[0]
            state.extended = timestamp == 0xFFFFFF
            if state.extended:
                timestamp = struct.unpack(">I", await self.read(4))[0]
            state.timestamp = timestamp
            state.delta = 0
        elif fmt in (1, 2):
            header = await self.read(7 if fmt == 1 else 3)
            delta = int.from_bytes(header[0:3], "big")
            if fmt == 1:
                state.length = int.from_bytes(header[3:6], "big")
                state.type_id = header[6]
            state.extended = delta == 0xFFFFFF
            if state.extended:
                delta = struct.unpack(">I", await self.read(4))[0]
            state.delta = delta
            state.timestamp = (state.timestamp + delta) & 0xFFFFFFFF
        else:
            if state.extended:
                await self.read(4)
            if starting:
                state.timestamp = (state.timestamp + state.delta) & 0xFFFFFFFF
        if fmt != 0 and not starting and fmt != 3:
            raise ProtocolError("new message header in the middle of a message")
        if state.length > MAX_MESSAGE_SIZE:
            raise ProtocolError(f"message of {state.length} bytes is too large")
        wanted = min(self.in_chunk_size, state.length - len(state.buffer))
        if wanted > 0:
            state.buffer += await self.read(wanted)
        await self.acknowledge()
        if len(state.buffer) >= state.length:
            payload = bytes(state.buffer)
            state.buffer.clear()
            await self.on_message(state.type_id, state.stream_id, state.timestamp, payload)

    async def acknowledge(self) -> None:
        if self.bytes_in - self.acked >= self.peer_window:
            self.acked = self.bytes_in
            self.send(2, MSG_ACK, 0, struct.pack(">I", self.bytes_in & 0xFFFFFFFF))
            await self.writer.drain()

    def send(self, csid: int, type_id: int, stream_id: int, payload: bytes) -> None:
        header = (
            bytes([csid & 0x3F])
            + b"\x00\x00\x00"
            + len(payload).to_bytes(3, "big")
            + bytes([type_id])
            + struct.pack("<I", stream_id)
        )
        parts = [header, payload[:OUT_CHUNK_SIZE]]
        for start in range(OUT_CHUNK_SIZE, len(payload), OUT_CHUNK_SIZE):
            parts.append(bytes([0xC0 | (csid & 0x3F)]))
            parts.append(payload[start : start + OUT_CHUNK_SIZE])
        self.writer.write(b"".join(parts))

    def send_command(self, stream_id: int, *values: Any) -> None:
        self.send(3 if stream_id == 0 else 5, MSG_COMMAND_AMF0, stream_id, amf.encode_all(*values))

    # ---- messages ----------------------------------------------------------------------

    async def on_message(
        self, type_id: int, stream_id: int, timestamp: int, payload: bytes
    ) -> None:
        if type_id == MSG_SET_CHUNK_SIZE:
            if len(payload) < 4:
                raise ProtocolError("short set-chunk-size")
            size = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            if not 1 <= size <= MAX_CHUNK_SIZE:
                raise ProtocolError(f"chunk size {size} out of range")
            self.in_chunk_size = size
        elif type_id == MSG_ABORT:
            if len(payload) >= 4:
                state = self.chunks.get(struct.unpack(">I", payload[:4])[0])
                if state is not None:
                    state.buffer.clear()
        elif type_id == MSG_WINDOW_ACK:
            if len(payload) >= 4:
                self.peer_window = max(1024, struct.unpack(">I", payload[:4])[0])
        elif type_id in (MSG_ACK, MSG_USER_CONTROL, MSG_PEER_BANDWIDTH):
            pass
        elif type_id in (MSG_COMMAND_AMF0, MSG_COMMAND_AMF3):
            body = (
                payload[1:] if type_id == MSG_COMMAND_AMF3 and payload[:1] == b"\x00" else payload
            )
            await self.on_command(stream_id, amf.decode_all(body))
        elif type_id in (MSG_DATA_AMF0, MSG_DATA_AMF3):
            body = payload[1:] if type_id == MSG_DATA_AMF3 and payload[:1] == b"\x00" else payload
            self.on_data(amf.decode_all(body))
        elif type_id in (MSG_AUDIO, MSG_VIDEO):
            if self.publisher is None:
                raise ProtocolError("media before publish")
            if payload:
                self.publisher.on_media(type_id, timestamp, payload)

    def on_data(self, values: list[Any]) -> None:
        if values and values[0] == "@setDataFrame":
            values = values[1:]
        if (
            self.publisher is not None
            and len(values) >= 2
            and values[0] == "onMetaData"
            and isinstance(values[1], dict)
        ):
            self.publisher.on_metadata(values[1])

    async def on_command(self, stream_id: int, values: list[Any]) -> None:
        if not values or not isinstance(values[0], str):
            raise ProtocolError("command without a name")
        name = values[0]
        transaction = values[1] if len(values) > 1 and isinstance(values[1], float) else 0.0
        if name == "connect":
            properties = values[2] if len(values) > 2 and isinstance(values[2], dict) else {}
            self.app = str(properties.get("app", "")).strip("/")
            self.send(2, MSG_WINDOW_ACK, 0, struct.pack(">I", WINDOW_ACK_SIZE))
            self.send(2, MSG_PEER_BANDWIDTH, 0, struct.pack(">IB", WINDOW_ACK_SIZE, 2))
            self.send(2, MSG_SET_CHUNK_SIZE, 0, struct.pack(">I", OUT_CHUNK_SIZE))
            self.send_command(
                0,
                "_result",
                transaction,
                {"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0},
                {
                    "level": "status",
                    "code": "NetConnection.Connect.Success",
                    "description": "Connection succeeded.",
                    "objectEncoding": 0.0,
                },
            )
        elif name in ("releaseStream", "FCPublish", "FCUnpublish"):
            self.send_command(0, "_result", transaction, None, amf.UNDEFINED)
        elif name == "createStream":
            self.send_command(0, "_result", transaction, None, 1.0)
        elif name == "publish":
            await self.on_publish(stream_id or 1, values)
        elif name in ("deleteStream", "closeStream"):
            raise _Finished
        elif name in ("play", "play2"):
            self.send_command(
                stream_id or 1,
                "onStatus",
                0.0,
                None,
                {
                    "level": "error",
                    "code": "NetStream.Play.Failed",
                    "description": "This server only accepts publishers; watch over HTTP.",
                },
            )
            await self.writer.drain()
            raise _Finished
        await self.writer.drain()

    async def on_publish(self, stream_id: int, values: list[Any]) -> None:
        if self.publisher is not None:
            raise ProtocolError("publish twice on one connection")
        raw_name = values[3] if len(values) > 3 and isinstance(values[3], str) else ""
        stream_name = raw_name.split("?", 1)[0].strip()
        try:
            self.publisher = await self.handler.on_publish(self.app, stream_name, self.client)
            self.published.set()
        except PublishRefused as refused:
            log.info("publish refused (%s) from %s", refused.code, self.client)
            self.send_command(
                stream_id,
                "onStatus",
                0.0,
                None,
                {
                    "level": "error",
                    "code": "NetStream.Publish.BadName",
                    "description": refused.message,
                },
            )
            await self.writer.drain()
            raise _Finished from None
        self.send(2, MSG_USER_CONTROL, 0, struct.pack(">HI", 0, stream_id))  # stream begin
        self.send_command(
            stream_id,
            "onStatus",
            0.0,
            None,
            {
                "level": "status",
                "code": "NetStream.Publish.Start",
                "description": f"{stream_name[:4]}… is now published.",
            },
        )


class _Finished(Exception):
    """The peer is done (deleteStream) or was refused: close quietly."""


class RtmpServer:
    def __init__(self, handler: PublishHandler, *, idle_timeout_s: float = 15.0) -> None:
        self.handler = handler
        self.idle_timeout_s = idle_timeout_s
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        self.server = await asyncio.start_server(self._serve, host, port)
        sockets = self.server.sockets
        bound: int = sockets[0].getsockname()[1] if sockets else port
        return bound

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        for task in list(self.connections):
            with contextlib.suppress(BaseException):
                await task
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.connections.add(task)
        connection = _Connection(reader, writer, self.handler, self.idle_timeout_s)
        watcher: asyncio.Task[None] | None = None
        try:
            runner = asyncio.ensure_future(connection.run())
            watcher = asyncio.ensure_future(self._watch_kick(connection, writer))
            await runner
        except _Finished:
            pass
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            log.info("RTMP publisher %s disconnected", connection.client)
        except (ProtocolError, amf.AmfError) as exc:
            log.warning("RTMP publisher %s broke the protocol: %s", connection.client, exc)
        except Exception:
            log.exception("RTMP connection from %s failed", connection.client)
        finally:
            if watcher is not None:
                watcher.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)
            if task is not None:
                self.connections.discard(task)

    async def _watch_kick(self, connection: _Connection, writer: asyncio.StreamWriter) -> None:
        """Close the socket when the application disconnects the publisher (session ended)."""
        await connection.published.wait()
        if connection.publisher is not None:
            await connection.publisher.closed.wait()
        writer.close()
