"""The rollups: behaviour events read past a watermark and added to the dashboard tables.

One unit of work reads a batch of events, adds them to every rollup and moves the
watermark, so a crash anywhere leaves either all of it or none of it: nothing is
lost and nothing counted twice. Event ids are allocated when a row is inserted and
committed later, so on PostgreSQL a lower id can appear after a higher one was read;
the watermark keeps such ids as gaps (with when it noticed them) and reads them when
they appear, until ``dashboard_gap_grace_s`` says they were rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.dashboards.metrics import SOURCES, UNKNOWN_SOURCE, empty_counters, source_of
from livecommerce.dashboards.repository import dashboard_repository
from livecommerce.insights.service import insights_service
from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.runtime import Runtime, runtime_of
from livecommerce.models import (
    BehaviourKind,
    DashboardProductDay,
    DashboardRoomDay,
    DashboardSessionMinute,
    DashboardSessionProduct,
)

log = logging.getLogger(__name__)

WATERMARK = "behaviour"
# How far the exposures have read the feeds' impressions: ``last_id`` holds the newest
# impression time seen, in microseconds since 1970 (UTC).
EXPOSURES = "exposures"
# Events a unit of work rolls up at most. Larger than a writer's batch (a hub tick, 5,000
# in the benchmark): when SQLite's one write lock alternates between a flood's writer
# and the rollup, each turn of the rollup must clear more than one batch, or a backlog,
# once there, never shrinks.
BATCH = 20_000
_MAX_GAP = 10_000  # a larger jump in ids is a sequence jump, not events in flight

# Heartbeats add to no rollup (online and watch time come from visits): the rollup
# neither looks their viewers up nor files viewers under them.
_NOT_COUNTED = {BehaviourKind.HEARTBEAT.value}

# The kinds as plain strings (an enum member's ``.value`` is a descriptor call, and the
# rollup compares every event's kind).
_ENTER = BehaviourKind.ENTER.value
_LEAVE = BehaviourKind.LEAVE.value
_LIKE = BehaviourKind.LIKE.value
_CHAT = BehaviourKind.CHAT.value
_SHARE = BehaviourKind.SHARE.value
_CLICK = BehaviourKind.PRODUCT_CLICK.value
_ORDER = BehaviourKind.ORDER.value
_PAYMENT = BehaviourKind.PAYMENT.value
_REFUND = BehaviourKind.REFUND.value

_PRODUCT_COUNTERS = {
    BehaviourKind.PRODUCT_CLICK.value,
    BehaviourKind.ORDER.value,
    BehaviourKind.PAYMENT.value,
    BehaviourKind.REFUND.value,
}


def minute_of(at: datetime) -> datetime:
    return as_utc(at).replace(second=0, microsecond=0)


def day_of(at: datetime, offset_hours: int) -> date:
    return (as_utc(at) + timedelta(hours=offset_hours)).date()


def viewer_key(event: Any) -> str | None:
    if event.user_id is not None:
        return f"u:{event.user_id}"
    if event.visitor_id is not None:
        return f"v:{event.visitor_id}"
    return None


@dataclass(slots=True)
class _Viewer:
    session_id: str
    viewer_key: str
    room_id: str
    user_id: str | None
    source: str
    is_fan: bool
    first_at: datetime
    entered: bool = False
    clicked: bool = False
    ordered: bool = False
    paid: bool = False
    changed: bool = False

    def row(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "viewer_key": self.viewer_key,
            "room_id": self.room_id,
            "user_id": self.user_id,
            "source": self.source,
            "is_fan": self.is_fan,
            "first_at": self.first_at,
            "entered": self.entered,
            "clicked": self.clicked,
            "ordered": self.ordered,
            "paid": self.paid,
        }


class _Batch:
    """The counters a batch of events adds, per rollup row."""

    def __init__(self) -> None:
        self.minutes: dict[tuple[str, datetime, str, str], dict[str, int]] = defaultdict(
            empty_counters
        )
        self.products: dict[tuple[str, str, str], dict[str, int]] = defaultdict(empty_counters)
        self.room_days: dict[tuple[date, str, str], dict[str, int]] = defaultdict(empty_counters)
        self.product_days: dict[tuple[date, str], dict[str, int]] = defaultdict(empty_counters)
        self._days: dict[datetime, date] = {}

    def minute_and_day(self, at: datetime, offset_hours: int) -> tuple[datetime, date]:
        """The event's minute and platform day (the day worked out once per minute)."""
        minute = minute_of(at)
        day = self._days.get(minute)
        if day is None:
            day = self._days[minute] = day_of(minute, offset_hours)
        return minute, day


def _counted(events: list[Any]) -> list[tuple[Any, tuple[str, str] | None]]:
    """The events that add to the rollups, each with its (session, viewer key) or None
    (an event without a viewer)."""
    counted = []
    for event in events:
        if event.session_id is None or event.kind in _NOT_COUNTED:
            continue
        key = viewer_key(event)
        counted.append((event, None if key is None else (event.session_id, key)))
    return counted


# A viewer's state as the rollup keeps it in memory, packed in one int: the funnel flags,
# fan or not, the source's index and when they were first seen (microseconds since 1970).
_ENTERED, _CLICKED, _ORDERED, _PAID, _FAN = 1, 2, 4, 8, 16
_SOURCE_SHIFT, _AT_SHIFT = 5, 10
_SOURCE_NAMES = (*SOURCES, UNKNOWN_SOURCE)
_SOURCE_INDEX = {name: index for index, name in enumerate(_SOURCE_NAMES)}
assert len(_SOURCE_NAMES) < 1 << (_AT_SHIFT - _SOURCE_SHIFT)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _pack(
    source: str,
    is_fan: bool,
    first_at: datetime,
    entered: bool,
    clicked: bool,
    ordered: bool,
    paid: bool,
) -> int:
    micros = (as_utc(first_at) - _EPOCH) // timedelta(microseconds=1)
    return (
        (_ENTERED if entered else 0)
        | (_CLICKED if clicked else 0)
        | (_ORDERED if ordered else 0)
        | (_PAID if paid else 0)
        | (_FAN if is_fan else 0)
        | _SOURCE_INDEX.get(source, _SOURCE_INDEX[UNKNOWN_SOURCE]) << _SOURCE_SHIFT
        | micros << _AT_SHIFT
    )


class _SessionViewers:
    """One session's viewers: key → packed state, and the highest row id read for it (every
    row of the session up to ``last_id`` is in ``states``)."""

    __slots__ = ("last_id", "room_id", "states")

    def __init__(self) -> None:
        self.last_id = 0
        self.room_id = ""
        self.states: dict[str, int] = {}


class ViewerSets:
    """The sessions' viewer sets in the rollup's memory, read from ``dashboard_session_
    viewers`` (appended rows) and kept up to date: at the start of a unit of work a session
    reads only its rows past ``last_id`` (none, when this process wrote the last ones); the
    unit's new states are added once it has committed (a rolled-back unit adds nothing).
    Flags only ever go from false to true, so states merge by OR in any order. Exact: every
    viewer is a key, not an estimate. The least recently used sessions are dropped past
    ``limit`` viewers in all (read again from their rows when next met)."""

    def __init__(self, limit: int = 10_000_000) -> None:
        self.limit = limit
        self.sessions: OrderedDict[str, _SessionViewers] = OrderedDict()
        self.size = 0
        self.highest = 0

    def clear(self) -> None:
        self.sessions.clear()
        self.size = 0
        self.highest = 0

    async def load(
        self, session: AsyncSession, session_ids: set[str]
    ) -> tuple[dict[str, _SessionViewers], int]:
        """The sessions' viewers, up to date with the committed rows; and the highest
        row id then (the unit's own rows come after it)."""
        last = await dashboard_repository.last_viewer_id(session)
        if last < self.highest:
            self.clear()  # the rows were rebuilt or removed: read them again
        loaded: dict[str, _SessionViewers] = {}
        for session_id in session_ids:
            entry = self.sessions.get(session_id)
            if entry is None:
                entry = self.sessions[session_id] = _SessionViewers()
            else:
                self.sessions.move_to_end(session_id)
            if entry.last_id < last:
                before = len(entry.states)
                for row in await dashboard_repository.viewers_after(
                    session, session_id, entry.last_id
                ):
                    entry.states[row.viewer_key] = _pack(
                        row.source,
                        row.is_fan,
                        row.first_at,
                        row.entered,
                        row.clicked,
                        row.ordered,
                        row.paid,
                    )
                    entry.room_id = row.room_id
                entry.last_id = last
                self.size += len(entry.states) - before
            loaded[session_id] = entry
        self.highest = max(self.highest, last)
        self._trim(keep=session_ids)
        return loaded, last

    def settle(
        self,
        loaded: dict[str, _SessionViewers],
        changed: list[_Viewer],
        last_id: int,
    ) -> None:
        """A committed unit's changes: its viewers' states, and every session it loaded
        read up to ``last_id`` (the unit's rows were the only ones past its start)."""
        for viewer in changed:
            entry = loaded.get(viewer.session_id)
            if entry is None:
                continue
            packed = _pack(
                viewer.source,
                viewer.is_fan,
                viewer.first_at,
                viewer.entered,
                viewer.clicked,
                viewer.ordered,
                viewer.paid,
            )
            before = entry.states.get(viewer.viewer_key)
            if before is None:
                self.size += 1
                entry.states[viewer.viewer_key] = packed
            else:
                entry.states[viewer.viewer_key] = before | packed
            if not entry.room_id:
                entry.room_id = viewer.room_id
        for entry in loaded.values():
            entry.last_id = max(entry.last_id, last_id)
        self.highest = max(self.highest, last_id)

    def _trim(self, keep: set[str]) -> None:
        while self.size > self.limit and len(self.sessions) > len(keep):
            session_id, entry = next(iter(self.sessions.items()))
            if session_id in keep:
                self.sessions.move_to_end(session_id)
                continue
            del self.sessions[session_id]
            self.size -= len(entry.states)


def viewer_sets(runtime: Runtime) -> ViewerSets:
    found = runtime.extras.get("dashboard_viewers")
    if not isinstance(found, ViewerSets):
        found = runtime.extras["dashboard_viewers"] = ViewerSets()
    return found


def _unpack(session_id: str, key: str, room_id: str, state: int) -> _Viewer:
    return _Viewer(
        session_id=session_id,
        viewer_key=key,
        room_id=room_id,
        user_id=key[2:] if key.startswith("u:") else None,
        source=_SOURCE_NAMES[(state >> _SOURCE_SHIFT) & ((1 << (_AT_SHIFT - _SOURCE_SHIFT)) - 1)],
        is_fan=bool(state & _FAN),
        first_at=_EPOCH + timedelta(microseconds=state >> _AT_SHIFT),
        entered=bool(state & _ENTERED),
        clicked=bool(state & _CLICKED),
        ordered=bool(state & _ORDERED),
        paid=bool(state & _PAID),
    )


async def _viewers_of(
    session: AsyncSession,
    counted: list[tuple[Any, tuple[str, str] | None]],
    loaded: dict[str, _SessionViewers],
) -> dict[tuple[str, str], _Viewer]:
    """The batch's viewers: known ones, and new ones with their source and fan status."""
    keys: dict[tuple[str, str], Any] = {}
    for event, pair in counted:
        if pair is not None and pair not in keys:
            keys[pair] = event
    viewers: dict[tuple[str, str], _Viewer] = {}
    new: dict[tuple[str, str], Any] = {}
    for pair, event in keys.items():
        entry = loaded[pair[0]]
        state = entry.states.get(pair[1])
        if state is None:
            new[pair] = event
        else:
            viewers[pair] = _unpack(pair[0], pair[1], entry.room_id or event.room_id or "", state)
    # The source the traffic domain attributed to each visit (dashboards.record_visit_
    # source): a viewer seen for the first time takes it, unless their event names one.
    attributed = await dashboard_repository.visit_sources(session, new)
    new_users: dict[str, set[str]] = defaultdict(set)
    for event in new.values():
        if event.user_id is not None and event.room_id is not None:
            new_users[event.room_id].add(event.user_id)
    fans: set[tuple[str, str]] = set()
    for room_id, user_ids in new_users.items():
        for user_id in await dashboard_repository.fans_among(session, room_id, user_ids):
            fans.add((room_id, user_id))
    for pair, event in new.items():
        room_id = event.room_id or ""
        viewers[pair] = _Viewer(
            session_id=pair[0],
            viewer_key=pair[1],
            room_id=room_id,
            user_id=event.user_id,
            source=source_of(event.source or attributed.get(pair)),
            is_fan=event.user_id is not None and (room_id, event.user_id) in fans,
            first_at=as_utc(event.occurred_at),
            changed=True,
        )
    return viewers


async def _first_buyers(session: AsyncSession, events: list[Any]) -> dict[tuple[str, str], int]:
    """(room, buyer) → id of the payment event that is the buyer's first in the room."""
    candidates: dict[tuple[str, str], int] = {}
    for event in events:
        if (
            event.kind == _PAYMENT
            and event.session_id is not None
            and event.room_id is not None
            and event.user_id is not None
        ):
            candidates.setdefault((event.room_id, event.user_id), event.id)
    by_room: dict[str, set[str]] = defaultdict(set)
    for room_id, user_id in candidates:
        by_room[room_id].add(user_id)
    for room_id, user_ids in by_room.items():
        for known in await dashboard_repository.known_buyers(session, room_id, user_ids):
            candidates.pop((room_id, known), None)
    return candidates


def _apply(
    batch: _Batch,
    event: Any,
    viewer: _Viewer | None,
    first_buyer: bool,
    offset_hours: int,
) -> None:
    session_id = event.session_id
    if session_id is None:
        return
    room_id = event.room_id or (viewer.room_id if viewer else "")
    source = viewer.source if viewer is not None else UNKNOWN_SOURCE
    kind = event.kind
    value = int(event.value)
    add: list[tuple[str, int]]
    if kind == _ENTER:
        add = [("enters", 1)]
        if viewer is not None and not viewer.entered:
            viewer.entered = viewer.changed = True
            add.append(("viewers", 1))
            if viewer.is_fan:
                add.append(("fan_viewers", 1))
    elif kind == _LEAVE:
        add = [("leaves", 1), ("watch_seconds", value)]
    elif kind == _LIKE:
        add = [("likes", value)]
    elif kind == _CHAT:
        add = [("comments", 1)]
    elif kind == _SHARE:
        add = [("shares", 1)]
    elif kind == _CLICK:
        add = [("product_clicks", 1)]
        if viewer is not None and not viewer.clicked:
            viewer.clicked = viewer.changed = True
            add.append(("clickers", 1))
    elif kind == _ORDER:
        add = [("orders", 1), ("order_cents", value)]
        if viewer is not None and not viewer.ordered:
            viewer.ordered = viewer.changed = True
            add.append(("orderers", 1))
    elif kind == _PAYMENT:
        add = [("paid_orders", 1), ("gmv_cents", value)]
        if viewer is not None and not viewer.paid:
            viewer.paid = viewer.changed = True
            add.append(("payers", 1))
        if viewer is not None and viewer.is_fan:
            add.append(("fan_gmv_cents", value))
        if first_buyer:
            add.append(("new_buyers", 1))
            add.append(("new_buyer_gmv_cents", value))
    elif kind == _REFUND:
        add = [("refunds", 1), ("refund_cents", value)]
    else:
        return  # heartbeats: online and watch time come from visits
    minute, day = batch.minute_and_day(event.occurred_at, offset_hours)
    targets = [
        batch.minutes[(session_id, minute, source, room_id)],
        batch.room_days[(day, room_id, source)],
    ]
    if event.product_id is not None and kind in _PRODUCT_COUNTERS:
        targets.append(batch.products[(session_id, event.product_id, room_id)])
        targets.append(batch.product_days[(day, event.product_id)])
    for counters in targets:
        for name, amount in add:
            counters[name] += amount


async def do_roll_up(session: AsyncSession, *, limit: int = BATCH) -> int:
    """Add the next batch of behaviour events to the rollups, in the caller's unit of
    work, with the watermark. Returns how many events it applied (0: none new, or
    another worker is rolling up)."""
    settings = runtime_of(session).settings
    watermark = await dashboard_repository.lock_watermark(session, WATERMARK)
    if watermark is None:
        return 0
    now = utcnow()
    gaps: dict[int, str] = {int(key): value for key, value in (watermark.gaps or {}).items()}
    events = await insights_service.events_after(session, watermark.last_id, list(gaps), limit)
    last_id = watermark.last_id
    for event in events:
        if event.id in gaps:
            del gaps[event.id]
            continue
        if event.id <= last_id:
            continue
        if event.id - last_id - 1 <= _MAX_GAP:
            for missing in range(last_id + 1, event.id):
                gaps[missing] = now.isoformat()
        last_id = event.id
    grace = timedelta(seconds=settings.dashboard_gap_grace_s)
    gaps = {
        key: noticed
        for key, noticed in gaps.items()
        if now - datetime.fromisoformat(noticed).astimezone(UTC) < grace
    }
    if events:
        counted = _counted(events)
        sets = viewer_sets(runtime_of(session))
        loaded, last_viewer = await sets.load(
            session, {pair[0] for _, pair in counted if pair is not None}
        )
        viewers = await _viewers_of(session, counted, loaded)
        first_buyers = await _first_buyers(session, events)
        offset = settings.dashboard_day_utc_offset_hours
        batch = _Batch()
        for event, pair in counted:
            viewer = None if pair is None else viewers.get(pair)
            first = (
                event.kind == _PAYMENT
                and event.room_id is not None
                and event.user_id is not None
                and first_buyers.get((event.room_id, event.user_id)) == event.id
            )
            _apply(batch, event, viewer, first, offset)
        changed = [viewer for viewer in viewers.values() if viewer.changed]
        await _store(session, batch, changed, first_buyers, events)
        if changed:
            last_viewer = await dashboard_repository.last_viewer_id(session)

        async def settle(last_id: int = last_viewer) -> None:
            sets.settle(loaded, changed, last_id)

        after_commit(session, settle)
    await _roll_up_exposures(session, now, grace)
    watermark.last_id = last_id
    watermark.gaps = {str(key): value for key, value in sorted(gaps.items())}
    watermark.events_applied = watermark.events_applied + len(events)
    watermark.updated_at = now
    await session.flush()
    return len(events)


async def _roll_up_exposures(session: AsyncSession, now: datetime, grace: timedelta) -> None:
    """Add the viewers the feeds showed each session to since the last time, in the
    unit of work that holds the behaviour watermark. Impressions are read back to the
    grace period before the newest one seen (an impression's time is set before its
    page commits); a (session, viewer) pair is counted once however often it is read."""
    mark = await dashboard_repository.lock_watermark(session, EXPOSURES)
    if mark is None:
        return
    since = _from_micros(mark.last_id) - grace if mark.last_id else _from_micros(0)
    found = await dashboard_repository.impressions_since(session, since)
    if not found:
        return
    gained = await dashboard_repository.add_exposures(session, [(s, k) for s, k, _ in found])
    mark.last_id = max(mark.last_id, max(_micros(at) for _, _, at in found))
    mark.events_applied = mark.events_applied + sum(gained.values())
    mark.updated_at = now


def _micros(at: datetime) -> int:
    return int(as_utc(at).timestamp() * 1_000_000)


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, tz=UTC)


async def _store(
    session: AsyncSession,
    batch: _Batch,
    changed: list[_Viewer],
    first_buyers: dict[tuple[str, str], int],
    events: list[Any],
) -> None:
    repo = dashboard_repository
    await repo.append_viewers(session, [viewer.row() for viewer in changed])
    first_ids = set(first_buyers.values())
    paid_at = {event.id: as_utc(event.occurred_at) for event in events if event.id in first_ids}
    await repo.add_buyers(
        session,
        [
            {"room_id": room_id, "user_id": user_id, "first_paid_at": paid_at[event_id]}
            for (room_id, user_id), event_id in first_buyers.items()
        ],
    )
    await repo.add_counters(
        session,
        DashboardSessionMinute,
        ("session_id", "minute", "source"),
        [
            {"session_id": s, "minute": m, "source": src, "room_id": r, **c}
            for (s, m, src, r), c in batch.minutes.items()
        ],
    )
    await repo.add_counters(
        session,
        DashboardSessionProduct,
        ("session_id", "product_id"),
        [
            {"session_id": s, "product_id": p, "room_id": r, **c}
            for (s, p, r), c in batch.products.items()
        ],
    )
    await repo.add_counters(
        session,
        DashboardRoomDay,
        ("day", "room_id", "source"),
        [
            {"day": d, "room_id": r, "source": src, **c}
            for (d, r, src), c in batch.room_days.items()
        ],
    )
    await repo.add_counters(
        session,
        DashboardProductDay,
        ("day", "product_id"),
        [{"day": d, "product_id": p, **c} for (d, p), c in batch.product_days.items()],
    )


async def catch_up(runtime: Runtime, *, limit: int = BATCH) -> int:
    """Roll up until no event is left (each batch its own unit of work)."""
    total = 0
    while True:
        async with runtime.db.transaction() as session:
            applied = await do_roll_up(session, limit=limit)
        total += applied
        if applied < limit:
            return total


class RollupRunner:
    """Keeps the rollups current while the app runs (with the worker loop)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="livecommerce-dashboards")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        interval = self.runtime.settings.dashboard_rollup_interval_s
        while not self._stopping.is_set():
            try:
                if await self._behind():
                    await catch_up(self.runtime)
            except Exception:
                log.exception("dashboard rollup failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=interval)

    async def _behind(self) -> bool:
        """A read first, so an idle tick takes no write lock."""
        async with self.runtime.db.reading() as session:
            watermark = await dashboard_repository.get_watermark(session, WATERMARK)
            last = await insights_service.last_event_id(session)
            if watermark is None:
                if last > 0:
                    return True
            elif last > watermark.last_id or watermark.gaps:
                return True
            return await self._new_impressions(session)

    async def _new_impressions(self, session: AsyncSession) -> bool:
        latest = await dashboard_repository.latest_impression_at(session)
        if latest is None:
            return False
        mark = await dashboard_repository.get_watermark(session, EXPOSURES)
        return mark is None or _micros(latest) > mark.last_id
