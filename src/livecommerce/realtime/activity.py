"""What viewers do in a live room that is stored in batches, once a hub tick.

Likes are merged per viewer: one INSERT of like events a tick, one increment of
the shared total (``lc:likes:{sid}``), one ``likes`` message. Viewers entering
and leaving are stamped when it happens and written in one INSERT a tick with
the session's peak, so a join surge is not one write transaction per viewer.
Heartbeats (seconds watched) are written once a minute for every connected
viewer. Everything is best effort: a failed flush is logged by the hub's ticker
and the next one goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.service import BehaviourRecord, insights_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourKind
from livecommerce.realtime.client import LiveClient
from livecommerce.realtime.events import ServerMessage, ViewerEntered, ViewerLeft
from livecommerce.realtime.repository import realtime_repository
from livecommerce.worker.events import publish


def likes_key(session_id: str) -> str:
    return f"likes:{session_id}"


class ViewerActivity:
    heartbeat_every_s = 60.0  # one heartbeat event per connected client per period
    max_likes_per_tick = 100  # per connection; more is ignored

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._pending_likes: dict[tuple[str, str, str | None, str | None], int] = {}
        self._pending_visits: list[BehaviourRecord] = []  # enter and leave, unflushed
        self._pending_peaks: dict[str, int] = {}  # session id -> highest online seen
        self._last_heartbeat = time.monotonic()

    # ---- likes -----------------------------------------------------------------------

    def add_likes(self, client: LiveClient, count: int) -> None:
        """Buffer likes; the tick merges them into one event and one ``likes`` message."""
        count = min(count, self.max_likes_per_tick - client.likes_this_tick)
        if count <= 0:
            return
        client.likes_this_tick += count
        key = (client.session_id, client.room_id, client.user_id, client.visitor_id)
        self._pending_likes[key] = self._pending_likes.get(key, 0) + count

    async def like_total(self, session_id: str, session: AsyncSession | None = None) -> int:
        """Total likes of a session. Pass the caller's database session when inside one."""
        broker = self.runtime.broker
        total = await broker.get_int(likes_key(session_id))
        if total is not None:
            return total
        if session is not None:
            stored = await insights_service.get_like_total(session, session_id)
        else:
            async with self.runtime.db.transaction() as own:
                stored = await insights_service.get_like_total(own, session_id)
        # A restart (or a flushed Redis) starts again from the stored like events.
        await broker.set_int_if_missing(likes_key(session_id), stored)
        return await broker.get_int(likes_key(session_id)) or 0

    async def flush_likes(self, clients: Iterable[LiveClient]) -> None:
        for client in clients:
            client.likes_this_tick = 0
        if not self._pending_likes:
            return
        pending, self._pending_likes = self._pending_likes, {}
        per_session: dict[str, int] = {}
        records = []
        for (session_id, room_id, user_id, visitor_id), count in pending.items():
            per_session[session_id] = per_session.get(session_id, 0) + count
            records.append(
                BehaviourRecord(
                    kind=BehaviourKind.LIKE.value,
                    user_id=user_id,
                    visitor_id=visitor_id,
                    room_id=room_id,
                    session_id=session_id,
                    value=count,
                )
            )
        async with self.runtime.db.transaction() as session:
            await insights_service.do_record_many(session, records)
        broker = self.runtime.broker
        for session_id, count in per_session.items():
            if await broker.get_int(likes_key(session_id)) is None:
                total = await self.like_total(session_id)  # includes what was just stored
            else:
                total = await broker.incr(likes_key(session_id), count)
            await broker.publish(
                live_channel(session_id), {"type": ServerMessage.LIKES.value, "total": total}
            )

    # ---- visits ----------------------------------------------------------------------

    def note_enter(self, client: LiveClient, online: int) -> None:
        """A viewer joined; ``online`` is the session's total with them in it."""
        self._pending_visits.append(self._record(client, BehaviourKind.ENTER, 1))
        if online > self._pending_peaks.get(client.session_id, 0):
            self._pending_peaks[client.session_id] = online

    def note_leave(self, client: LiveClient) -> None:
        seconds = client.seconds_connected()
        self._pending_visits.append(self._record(client, BehaviourKind.LEAVE, seconds))

    async def flush_visits(self) -> None:
        if not self._pending_visits and not self._pending_peaks:
            return
        records, self._pending_visits = self._pending_visits, []
        peaks, self._pending_peaks = self._pending_peaks, {}
        async with self.runtime.db.transaction() as session:
            if records:
                await insights_service.do_record_many(session, records)
                for record in records:
                    if record.session_id is not None and record.room_id is not None:
                        await publish(
                            session, _visit_event(record, record.session_id, record.room_id)
                        )
            for session_id, online in peaks.items():
                await realtime_repository.raise_peak_online(session, session_id, online)

    # ---- heartbeats ------------------------------------------------------------------

    async def record_heartbeats(self, clients: Iterable[LiveClient]) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat < self.heartbeat_every_s:
            return
        self._last_heartbeat = now
        records = []
        for client in clients:
            seconds = int(now - client.heartbeat_at)
            client.heartbeat_at = now
            records.append(
                BehaviourRecord(
                    kind=BehaviourKind.HEARTBEAT.value,
                    user_id=client.user_id,
                    visitor_id=client.visitor_id,
                    room_id=client.room_id,
                    session_id=client.session_id,
                    value=seconds,
                )
            )
        if records:
            async with self.runtime.db.transaction() as session:
                await insights_service.do_record_many(session, records)

    def _record(self, client: LiveClient, kind: BehaviourKind, value: int) -> BehaviourRecord:
        return BehaviourRecord(
            kind=kind.value,
            user_id=client.user_id,
            visitor_id=client.visitor_id,
            room_id=client.room_id,
            session_id=client.session_id,
            value=value,
            occurred_at=utcnow(),
        )


def _visit_event(
    record: BehaviourRecord, session_id: str, room_id: str
) -> ViewerEntered | ViewerLeft:
    at = record.occurred_at or utcnow()
    if record.kind == BehaviourKind.ENTER.value:
        return ViewerEntered(
            session_id=session_id,
            room_id=room_id,
            user_id=record.user_id,
            visitor_id=record.visitor_id,
            at=at,
        )
    return ViewerLeft(
        session_id=session_id,
        room_id=room_id,
        user_id=record.user_id,
        visitor_id=record.visitor_id,
        seconds=record.value,
        at=at,
    )
