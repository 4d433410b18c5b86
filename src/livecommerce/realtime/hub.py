"""The realtime hub: live-session rooms of WebSocket clients fed from the broker.

Each worker process has one hub. A room holds the worker's own clients of one
live session; while it has any, the hub listens on the broker channel
``live_channel(session_id)`` and forwards every message to them. A message is
encoded once (by whoever published it) and framed once for the room.

Where the server offers pre-framed writes (``realtime/fanout.py``, under
``livecommerce serve``), the frame is written straight to each client's
connection; a client with more than ``settings.ws_send_buffer_kb`` waiting
unsent is dropped (close code 4008) so it never slows the room. Elsewhere each
client has a bounded queue drained by its own sender task through ASGI, and a
client whose queue is full is dropped the same way.

Likes, viewers entering and leaving, and heartbeats are stored in batches once
a tick by ``ViewerActivity`` (``realtime/activity.py``).
The part of ``hello`` all viewers of a session share is kept between joins by
``HelloSnapshots`` (``realtime/hello.py``), dropped by the room's own messages.

Online viewers: each hub reports its own number of clients per session into
the broker as a share with a time to live (``settings.online_ttl_s``) and
re-reports it every tick; the online figure is the sum of the live shares, so a
worker that dies without closing its sockets stops being counted within the TTL.

Flood control (see docs/protocol.md): ``chat`` is the only ordinary message;
every other type is high priority and always queued. Each client gets at most
``settings.flood_viewer_chat_per_s`` chat messages a second (a token bucket);
the rest are skipped for that client and counted. The room's inbound budget
is enforced when chat is sent (``admit_chat``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from livecommerce.kit.broker import encode, live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.realtime.activity import ViewerActivity
from livecommerce.realtime.client import LiveClient
from livecommerce.realtime.events import CloseCode, ServerMessage
from livecommerce.realtime.fanout import BEHIND, CLOSED, FrameWriter, text_frame
from livecommerce.realtime.hello import HelloSnapshots, keeps_snapshot

log = logging.getLogger(__name__)

_ONLINE_PREFIX = '{"type":"online",'
_CHAT_PREFIX = '{"type":"chat",'
FLOOD_COUNTER_TTL_S = 7 * 24 * 3600


class ChatSampledOut(Exception):  # noqa: N818 - a decision, not a failure
    """The room is over its chat budget this second: the message is not broadcast."""

    def __init__(self, echo: dict[str, Any]) -> None:
        super().__init__("chat sampled out")
        self.echo = echo


def flood_key(session_id: str, what: str) -> str:
    return f"flood:{session_id}:{what}"


def online_key(session_id: str) -> str:
    return f"online:{session_id}"


@dataclass
class _Room:
    session_id: str
    listener: Any
    clients: set[LiveClient] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    subscribed: bool = False


@dataclass
class _OnlineState:
    total: int = 0  # last known total across workers
    announced: int = 0  # last total sent to the room (by any worker)
    announced_at: float = 0.0
    asked_at: float = 0.0  # last online_count() call, for sessions without local clients


class LiveHub:
    tick_s = 1.0  # likes and visits are flushed, online re-reported, this often
    online_every_s = 2.0  # ``online`` is announced at most this often
    close_timeout_s = 10.0

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.worker_id = new_id()  # this hub's member name in shared online counts
        settings = runtime.settings
        self.online_ttl_s = settings.online_ttl_s
        self.viewer_chat_per_s = float(settings.flood_viewer_chat_per_s)
        self.room_chat_per_s = settings.flood_room_chat_per_s
        self.send_buffer_bytes = settings.ws_send_buffer_kb * 1024
        self._report_locks: dict[str, asyncio.Lock] = {}
        self._skipped: dict[str, int] = {}  # session id -> chat skipped for viewers, unflushed
        self._rooms: dict[str, _Room] = {}
        self._online: dict[str, _OnlineState] = {}
        self.activity = ViewerActivity(runtime)
        self.hellos = HelloSnapshots()  # valid while the session's room is listened to
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._ticker = asyncio.create_task(self._tick_forever(), name="live-hub-ticker")

    async def stop(self) -> None:
        """Flush likes, close every socket (1001) and end every task of the hub."""
        self._stopping.set()
        if self._ticker is not None:
            await self._ticker  # it finishes the tick under way, then returns
            self._ticker = None
        with contextlib.suppress(Exception):
            await self._flush_likes()
        with contextlib.suppress(Exception):
            await self._flush_flood_counters()
        clients = self._clients()
        for client in clients:
            self._drop(client, CloseCode.GOING_AWAY)
        for client in clients:
            await self.leave(client)
        with contextlib.suppress(Exception):
            await self.activity.flush_visits()

    # ---- joining and leaving -----------------------------------------------------------

    async def join(self, client: LiveClient) -> int:
        """Add a client to its session's room; returns the session's online total."""
        session_id = client.session_id
        while True:
            room = self._rooms.get(session_id)
            if room is None:
                room = _Room(session_id, listener=self._listener_for(session_id))
                self._rooms[session_id] = room
            async with room.lock:
                if self._rooms.get(session_id) is not room:
                    continue  # the room emptied and was removed while we waited
                if not room.subscribed:
                    try:
                        await self.runtime.broker.subscribe(live_channel(session_id), room.listener)
                    except BaseException:
                        if not room.clients:
                            del self._rooms[session_id]
                        raise
                    room.subscribed = True
                room.clients.add(client)
                client.joined = True
                client.chat_tokens = self.viewer_chat_per_s
                break
        online = await self._report_online(session_id)
        self.activity.note_enter(client, online)
        return online

    async def _report_online(self, session_id: str) -> int:
        """Report this worker's viewers of a session; returns the total of all workers."""
        lock = self._report_locks.setdefault(session_id, asyncio.Lock())
        async with lock:  # one report at a time, so the last one carries the newest count
            room = self._rooms.get(session_id)
            local = 0 if room is None else len(room.clients)
            broker = self.runtime.broker
            await broker.report_share(
                online_key(session_id), self.worker_id, local, self.online_ttl_s
            )
            total = max(await broker.sum_shares(online_key(session_id)), 0)
            self._online.setdefault(session_id, _OnlineState()).total = total
        if local == 0 and not lock.locked():
            self._report_locks.pop(session_id, None)
        return total

    def start_sending(self, client: LiveClient) -> None:
        """Start delivering to the client (after the hello went out)."""
        if client.done.is_set():
            return
        if client.writer is not None:
            client.direct = True
            while not client.queue.empty() and not client.done.is_set():
                text = client.queue.get_nowait()
                self._write(client, client.writer, text_frame(text))
        elif client.sender is None:
            client.sender = asyncio.create_task(self._send_forever(client))

    async def leave(self, client: LiveClient) -> None:
        """Remove a client for good; safe to call more than once."""
        await self._stop_sender(client)
        if not client.joined:
            return
        client.joined = False
        self.activity.note_leave(client)
        session_id = client.session_id
        room = self._rooms.get(session_id)
        if room is not None:
            async with room.lock:
                room.clients.discard(client)
                if not room.clients and self._rooms.get(session_id) is room:
                    del self._rooms[session_id]
                    self.hellos.forget(session_id)
                    if room.subscribed:
                        room.subscribed = False
                        await self.runtime.broker.unsubscribe(
                            live_channel(session_id), room.listener
                        )
        await self._report_online(session_id)

    # ---- sending ---------------------------------------------------------------------

    def send(self, client: LiveClient, message: dict[str, Any]) -> None:
        """Queue a message for one client only (errors, pong)."""
        self._offer(client, encode(message))

    def _offer(self, client: LiveClient, text: str, frame: bytes | None = None) -> None:
        if client.done.is_set():
            return
        if client.direct:
            assert client.writer is not None
            self._write(client, client.writer, text_frame(text) if frame is None else frame)
            return
        try:
            client.queue.put_nowait(text)
        except asyncio.QueueFull:
            log.info("dropping a slow client of live session %s", client.session_id)
            self._drop(client, CloseCode.TOO_SLOW)

    def _write(self, client: LiveClient, writer: FrameWriter, frame: bytes) -> None:
        outcome = writer.write(frame, self.send_buffer_bytes)
        if outcome == BEHIND:
            log.info("dropping a slow client of live session %s", client.session_id)
            self._drop(client, CloseCode.TOO_SLOW)
        elif outcome == CLOSED:
            client.end(None)  # the connection is closing: the client went away

    def _drop(self, client: LiveClient, close_code: int) -> None:
        """Stop feeding a client at once; its connection closes it with ``close_code``."""
        room = self._rooms.get(client.session_id)
        if room is not None:
            room.clients.discard(client)
        if client.sender is not None:
            client.sender.cancel()
        client.end(close_code)

    async def _stop_sender(self, client: LiveClient) -> None:
        sender, client.sender = client.sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    async def _send_forever(self, client: LiveClient) -> None:
        websocket = client.websocket
        try:
            while True:
                text = await client.queue.get()
                await websocket.send_text(text)
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection is gone
            client.end(None)

    def _listener_for(self, session_id: str) -> Any:
        def deliver(text: str) -> None:
            self._deliver(session_id, text)

        return deliver

    def _deliver(self, session_id: str, text: str) -> None:
        if text.startswith(_ONLINE_PREFIX):
            self._note_announced_online(session_id, text)
        if not keeps_snapshot(text):
            self.hellos.invalidate(session_id)
        room = self._rooms.get(session_id)
        if room is None:
            return
        frame = text_frame(text)  # once for the whole room
        if not text.startswith(_CHAT_PREFIX):  # high priority: always queued
            for client in list(room.clients):
                self._offer(client, text, frame)
            return
        now = time.monotonic()
        rate = self.viewer_chat_per_s
        skipped = 0
        # The hot loop of a big room: once per viewer per chat message.
        for client in list(room.clients):
            tokens = client.chat_tokens + (now - client.tokens_at) * rate
            if tokens > rate:
                tokens = rate
            client.tokens_at = now
            if tokens < 1.0:
                client.chat_tokens = tokens
                client.chat_skipped += 1
                skipped += 1
                continue
            client.chat_tokens = tokens - 1.0
            writer = client.writer
            if client.direct and writer is not None and not client.done.is_set():
                self._write(client, writer, frame)
            else:
                self._offer(client, text, frame)
        if skipped:
            self._skipped[session_id] = self._skipped.get(session_id, 0) + skipped

    # ---- flood control -----------------------------------------------------------------

    async def admit_chat(self, session_id: str) -> bool:
        """Count one chat message against the room's budget for this second (all workers);
        False when the room is over budget (the message is sampled out and counted)."""
        broker = self.runtime.broker
        second = int(utcnow().timestamp())
        sent = await broker.incr(flood_key(session_id, f"chat:{second}"), expire_s=5)
        if sent <= self.room_chat_per_s:
            return True
        await broker.incr(flood_key(session_id, "chat_sampled_out"), expire_s=FLOOD_COUNTER_TTL_S)
        return False

    async def flood_counters(self, session_id: str) -> dict[str, int]:
        """What flood control held back in a session, all workers together."""
        await self._flush_flood_counters()
        broker = self.runtime.broker
        return {
            "chat_sampled_out": await broker.get_int(flood_key(session_id, "chat_sampled_out"))
            or 0,
            "chat_skipped_for_viewers": await broker.get_int(
                flood_key(session_id, "chat_skipped_for_viewers")
            )
            or 0,
        }

    async def _flush_flood_counters(self) -> None:
        if not self._skipped:
            return
        skipped, self._skipped = self._skipped, {}
        for session_id, count in skipped.items():
            await self.runtime.broker.incr(
                flood_key(session_id, "chat_skipped_for_viewers"),
                count,
                expire_s=FLOOD_COUNTER_TTL_S,
            )

    def _note_announced_online(self, session_id: str, text: str) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            online = int(json.loads(text)["online"])
            state = self._online.setdefault(session_id, _OnlineState())
            state.announced = online
            state.announced_at = time.monotonic()

    # ---- online ----------------------------------------------------------------------

    def online_count(self, session_id: str) -> int:
        """Viewers connected to the session (all workers), as last seen by this hub."""
        state = self._online.get(session_id)
        if state is None:
            state = self._online[session_id] = _OnlineState()
        state.asked_at = time.monotonic()
        return max(state.total, 0)

    async def current_online(self, session_id: str) -> int:
        """Like ``online_count`` but read from the broker now."""
        total = max(await self.runtime.broker.sum_shares(online_key(session_id)), 0)
        self._online.setdefault(session_id, _OnlineState()).total = total
        return total

    async def _refresh_online(self) -> None:
        now = time.monotonic()
        broker = self.runtime.broker
        for session_id, state in list(self._online.items()):
            local = session_id in self._rooms
            if not local and now - state.asked_at > 60:
                del self._online[session_id]  # nobody here watches or asks about it
                continue
            if local:  # the heartbeat of this worker's share
                await self._report_online(session_id)
            else:
                state.total = max(await broker.sum_shares(online_key(session_id)), 0)
            if (
                local
                and state.total != state.announced
                and now - state.announced_at >= self.online_every_s
            ):
                state.announced = state.total
                state.announced_at = now
                await broker.publish(
                    live_channel(session_id),
                    {"type": ServerMessage.ONLINE.value, "online": state.total},
                )

    # ---- stored activity ---------------------------------------------------------------

    def _clients(self) -> list[LiveClient]:
        return [client for room in self._rooms.values() for client in room.clients]

    async def _flush_likes(self) -> None:
        await self.activity.flush_likes(self._clients())

    async def _record_heartbeats(self) -> None:
        await self.activity.record_heartbeats(self._clients())

    # ---- the ticker ------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tick_s)
            if self._stopping.is_set():
                return
            for step in (
                self.activity.flush_visits,
                self._flush_likes,
                self._refresh_online,
                self._record_heartbeats,
                self._flush_flood_counters,
            ):
                try:
                    await step()
                except Exception:  # best effort: a failed tick must not stop the next
                    log.exception("live hub tick failed in %s", step.__name__)
