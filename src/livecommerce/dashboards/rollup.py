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
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.dashboards.metrics import UNKNOWN_SOURCE, empty_counters, source_of
from livecommerce.dashboards.repository import dashboard_repository
from livecommerce.insights.service import insights_service
from livecommerce.kit.clock import as_utc, utcnow
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


async def _viewers_of(
    session: AsyncSession, counted: list[tuple[Any, tuple[str, str] | None]]
) -> dict[tuple[str, str], _Viewer]:
    """The batch's viewers: stored ones, and new ones with their source and fan status."""
    keys: dict[tuple[str, str], Any] = {}
    for event, pair in counted:
        if pair is not None and pair not in keys:
            keys[pair] = event
    # Stored viewers, and the source the traffic domain attributed to each visit
    # (dashboards.record_visit_source): a viewer seen for the first time takes it,
    # unless their event names one itself.
    stored, attributed = await dashboard_repository.viewers_and_sources(session, keys)
    viewers = {
        key: _Viewer(
            session_id=key[0],
            viewer_key=row.viewer_key,
            room_id=row.room_id,
            user_id=row.user_id,
            source=row.source,
            is_fan=row.is_fan,
            first_at=row.first_at,
            entered=row.entered,
            clicked=row.clicked,
            ordered=row.ordered,
            paid=row.paid,
        )
        for key, row in stored.items()
    }
    new_users: dict[str, set[str]] = defaultdict(set)
    for pair, event in keys.items():
        if pair not in viewers and event.user_id is not None and event.room_id is not None:
            new_users[event.room_id].add(event.user_id)
    fans: set[tuple[str, str]] = set()
    for room_id, user_ids in new_users.items():
        for user_id in await dashboard_repository.fans_among(session, room_id, user_ids):
            fans.add((room_id, user_id))
    for pair, event in keys.items():
        if pair in viewers:
            continue
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
        viewers = await _viewers_of(session, counted)
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
        await _store(session, batch, viewers, first_buyers, events)
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
    viewers: dict[tuple[str, str], _Viewer],
    first_buyers: dict[tuple[str, str], int],
    events: list[Any],
) -> None:
    repo = dashboard_repository
    await repo.save_viewers(session, [v.row() for v in viewers.values() if v.changed])
    paid_at = {event.id: as_utc(event.occurred_at) for event in events}
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
