"""``livecommerce bench dashboard``: behaviour events ingested through the product's own
write path (``insights_service.do_record_many``, as the hub's ticks write them) while the
rollups keep up; then the session and platform dashboards read from the rollups against
the same figures computed by a direct ``GROUP BY`` over the raw events (the naive
baseline), on the same data in the same run, with both results compared.

Full size is the issue's: 10,000,000 events, 100 sessions, 1,000,000 viewers
(``LIVECOMMERCE_BENCH_DASHBOARD_EVENTS`` scales it down on a small machine, and
``LIVECOMMERCE_BENCH_DASHBOARD_SESSIONS`` spreads them over fewer sessions: the session
dashboard's comparison depends on the events a session has, 100,000 at full size);
``--smoke`` is 20,000 events over 4 sessions.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.bench.registry import register
from livecommerce.bench.seed import bench_database

SESSION_MINUTES = 120
BATCH = 5000
# Event kinds and how often they come (per 1,000 events).
MIX = (
    ("enter", 150),
    ("leave", 120),
    ("heartbeat", 350),
    ("like", 150),
    ("chat", 90),
    ("share", 10),
    ("product_click", 90),
    ("order", 25),
    ("payment", 12),
    ("refund", 3),
)
PRODUCTS = 200
TARGET_P99_MS = 50.0
TARGET_SPEEDUP = 20.0
TARGET_LAG_S = 2.0
READS = 100


@dataclass
class _Lag:
    committed: list[tuple[float, int]] = field(default_factory=list)  # (when, last id)
    rolled: list[tuple[float, int]] = field(default_factory=list)

    def worst(self) -> float:
        worst = 0.0
        index = 0
        for when, last_id in self.committed:
            while index < len(self.rolled) and self.rolled[index][1] < last_id:
                index += 1
            if index == len(self.rolled):
                return float("inf")
            worst = max(worst, self.rolled[index][0] - when)
        return worst


class _NoHub:
    async def current_online(self, session_id: str) -> int:
        return 0


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_percentile(samples, 0.5) * 1000, 2),
        "p99_ms": round(_percentile(samples, 0.99) * 1000, 2),
    }


async def _seed_sessions(db: Any, sessions: int, start: datetime) -> list[tuple[str, str]]:
    from livecommerce.kit.ids import new_id
    from livecommerce.models import LiveSession, Room, User

    pairs: list[tuple[str, str]] = []
    async with db.transaction() as session:
        for number in range(sessions):
            host_id, room_id, session_id = new_id(), new_id(), new_id()
            session.add(
                User(
                    id=host_id,
                    email=f"bench-host-{number}-{host_id[:6]}@bench.invalid",
                    display_name=f"主播{number}",
                    password_hash="-",
                    role="host",
                )
            )
            await session.flush()
            session.add(Room(id=room_id, host_id=host_id, name=f"直播间{number}"))
            await session.flush()
            session.add(
                LiveSession(
                    id=session_id,
                    room_id=room_id,
                    title=f"第{number}场",
                    status="live",
                    planned_start_at=start,
                    started_at=start,
                )
            )
            pairs.append((session_id, room_id))
            await session.flush()
    return pairs


def _events(
    rng: random.Random,
    count: int,
    pairs: list[tuple[str, str]],
    viewers: int,
    start: datetime,
    window: tuple[float, float] = (0.0, 1.0),
) -> list[Any]:
    """``count`` events at random times within ``window`` (fractions of the sessions'
    two hours): the batches of a run follow each other in time, as a hub writes what
    just happened, so a batch fills a few minutes of each session, not all of them."""
    from livecommerce.insights.service import BehaviourRecord

    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    span = SESSION_MINUTES * 60
    low = int(window[0] * span)
    high = max(low + 1, min(span, int(window[1] * span)))
    # The draws a generated event needs, made cheap: times and products from small
    # precomputed tables, each draw one ``random()`` (generating 10M events must not
    # cost as much as writing them).
    times = [start + timedelta(seconds=second) for second in range(low, high)]
    products = [f"{number:032x}" for number in range(PRODUCTS)]
    money = (990, 29900)
    values: dict[str, tuple[int, int]] = {
        "leave": (10, 1800),
        "like": (1, 20),
        "order": money,
        "payment": money,
        "refund": money,
    }
    with_product = {"product_click", "order", "payment", "refund"}
    draw = rng.random
    records = []
    for _ in range(count):
        session_id, room_id = pairs[int(draw() * len(pairs))]
        kind = kinds[int(draw() * len(kinds))]
        bounds = values.get(kind)
        if bounds is not None:
            value = bounds[0] + int(draw() * (bounds[1] - bounds[0]))
        else:
            value = 60 if kind == "heartbeat" else 1
        records.append(
            BehaviourRecord(
                kind=kind,
                visitor_id=f"bench{int(draw() * viewers):09d}",
                room_id=room_id,
                session_id=session_id,
                product_id=products[int(draw() * PRODUCTS)] if kind in with_product else None,
                value=value,
                occurred_at=times[int(draw() * len(times))],
            )
        )
    return records


# ---- the naive baseline: GROUP BY over the raw events ---------------------------------


def _minute_expr(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("minute", column)
    return func.substr(column, 1, 16)


async def _naive_session(session: AsyncSession, session_id: str) -> dict[str, Any]:
    """The session dashboard's figures straight from ``behaviour_events``."""
    from livecommerce.dashboards import metrics
    from livecommerce.models import BehaviourEvent as E

    # `||` gives NULL for a NULL id on both databases (PostgreSQL's concat() would not).
    viewer = func.coalesce(literal("u:") + E.user_id, literal("v:") + E.visitor_id)

    def count_of(kind: str) -> Any:
        return func.coalesce(func.sum(case((E.kind == kind, 1), else_=0)), 0)

    def sum_of(kind: str) -> Any:
        return func.coalesce(func.sum(case((E.kind == kind, E.value), else_=0)), 0)

    def people(kind: str) -> Any:
        return func.count(distinct(case((E.kind == kind, viewer))))

    totals = (
        await session.execute(
            select(
                count_of("enter"),
                count_of("leave"),
                people("enter"),
                sum_of("leave"),
                sum_of("like"),
                count_of("chat"),
                count_of("share"),
                count_of("product_click"),
                people("product_click"),
                count_of("order"),
                sum_of("order"),
                people("order"),
                count_of("payment"),
                sum_of("payment"),
                people("payment"),
                count_of("refund"),
                sum_of("refund"),
            ).where(E.session_id == session_id)
        )
    ).one()
    names = (
        "enters",
        "leaves",
        "viewers",
        "watch_seconds",
        "likes",
        "comments",
        "shares",
        "product_clicks",
        "clickers",
        "orders",
        "order_cents",
        "orderers",
        "paid_orders",
        "gmv_cents",
        "payers",
        "refunds",
        "refund_cents",
    )
    counters = metrics.empty_counters()
    counters.update({name: int(value) for name, value in zip(names, totals, strict=True)})
    minute = _minute_expr(session, E.occurred_at).label("minute")
    rows = (
        await session.execute(
            select(minute, count_of("enter"), count_of("leave"), sum_of("payment"))
            .where(E.session_id == session_id)
            .group_by(minute)
            .order_by(minute)
        )
    ).all()
    curve = metrics.online_curve([int(r[1]) for r in rows], [int(r[2]) for r in rows])
    return {
        "figures": metrics.figures(counters, pcu=max(curve, default=0)),
        "funnel": metrics.funnel(counters),
        # Minutes with entries or sales: the points both sides must agree on.
        "curve": [(c, int(r[3])) for c, r in zip(curve, rows, strict=True) if r[1] or r[3]],
    }


def _from_dashboard(dashboard: Any) -> dict[str, Any]:
    return {
        "figures": dashboard.figures,
        "funnel": [step.model_dump() for step in dashboard.funnel],
        "curve_points": [
            (m.online, m.gmv_cents) for m in dashboard.minutes if m.enters or m.gmv_cents
        ],
    }


async def _naive_platform(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
    from livecommerce.models import BehaviourEvent as E

    rows = (
        await session.execute(
            select(
                E.room_id,
                func.sum(case((E.kind == "enter", 1), else_=0)),
                func.sum(case((E.kind == "payment", 1), else_=0)),
                func.sum(case((E.kind == "payment", E.value), else_=0)),
                func.sum(case((E.kind == "refund", E.value), else_=0)),
            )
            .where(and_(E.occurred_at >= start, E.occurred_at < end, E.session_id.is_not(None)))
            .group_by(E.room_id)
        )
    ).all()
    by_room = {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}
    total = tuple(sum(v[i] for v in by_room.values()) for i in range(4))
    top = sorted(by_room.items(), key=lambda item: (-item[1][2], item[0]))[:10]
    return {"today": total, "top_rooms": [(room, v[2]) for room, v in top]}


async def _measure(smoke: bool, database_url: str | None) -> dict[str, Any]:
    from livecommerce.config import Settings
    from livecommerce.dashboards.repository import dashboard_repository
    from livecommerce.dashboards.rollup import BATCH as ROLLUP_BATCH
    from livecommerce.dashboards.rollup import WATERMARK, catch_up, do_roll_up
    from livecommerce.dashboards.service import dashboard_service
    from livecommerce.insights.service import insights_service
    from livecommerce.kit.broker import create_broker
    from livecommerce.kit.clock import utcnow
    from livecommerce.kit.db import Database
    from livecommerce.kit.runtime import Runtime
    from livecommerce.live.service import live_service
    from livecommerce.models import Role, User

    if smoke:
        count, sessions, viewers = 20_000, 4, 2_000
    else:
        count = int(os.environ.get("LIVECOMMERCE_BENCH_DASHBOARD_EVENTS", "10000000"))
        sessions = int(os.environ.get("LIVECOMMERCE_BENCH_DASHBOARD_SESSIONS", "100"))
        viewers = 1_000_000
    # At least READS session-dashboard reads in all (each session's first one cold), so
    # the p99 is a percentile, not the slowest of a handful.
    reads_per_session = max(3, -(-READS // sessions))
    async with bench_database(database_url) as bench_db:
        settings = Settings(database_url=bench_db.url, worker_enabled=False)
        db = Database(bench_db.url)
        broker = create_broker(None)
        await broker.start()
        runtime = Runtime(settings=settings, db=db, broker=broker)
        runtime.extras["hub"] = _NoHub()
        try:
            now = utcnow()
            start = now - timedelta(minutes=SESSION_MINUTES)
            # One more session, without events: the reads' warm-up (below) reads it.
            *pairs, spare = await _seed_sessions(db, sessions + 1, start)
            rng = random.Random(16)
            lag = _Lag()
            done = asyncio.Event()

            rolled = {"events": 0, "seconds": 0.0}

            async def roll_up_while_ingesting() -> None:
                # ``catch_up``'s loop, one unit of work at a time, so that the watermark
                # is noted as each unit commits (not once a run of units has ended).
                while True:
                    finished = done.is_set()
                    began = time.perf_counter()
                    async with db.transaction() as session:
                        applied = await do_roll_up(session)
                    if applied:
                        rolled["events"] += applied
                        rolled["seconds"] += time.perf_counter() - began
                    async with db.reading() as session:
                        mark = await dashboard_repository.get_watermark(session, WATERMARK)
                    if mark is not None:
                        lag.rolled.append((time.monotonic(), mark.last_id))
                    if applied == ROLLUP_BATCH:
                        continue  # more waiting: the next unit at once
                    if finished:
                        return
                    await asyncio.sleep(0.05)

            roller = asyncio.create_task(roll_up_while_ingesting())
            ingest_seconds = 0.0
            written = 0
            while written < count:
                size = min(BATCH, count - written)
                window = (written / count, (written + size) / count)
                records = _events(rng, size, pairs, viewers, start, window)
                began = time.perf_counter()
                async with db.transaction() as session:
                    await insights_service.do_record_many(session, records)
                ingest_seconds += time.perf_counter() - began
                written += size
                async with db.reading() as session:
                    last = await insights_service.last_event_id(session)
                lag.committed.append((time.monotonic(), last))
                await asyncio.sleep(0)
            done.set()
            await roller
            await catch_up(runtime)

            session_ids = [session_id for session_id, _ in pairs]
            # Before the timed reads: one dashboard read of the spare session (the
            # process's first read compiles the statements and imports what it uses, as a
            # running app did long ago; no measured session's rows are read), and a full
            # collection of the ingest's garbage, which would otherwise fall in a read.
            async with db.reading() as session:
                live = await live_service.get_session(session, spare[0])
                room = await live_service.get_room(session, live.room_id)
                await dashboard_service.session_dashboard(session, live, room)
            gc.collect()
            rollup_times: list[float] = []
            naive_times: list[float] = []
            equal = True
            mismatches: list[str] = []
            for session_id in session_ids:
                for _ in range(reads_per_session):
                    began = time.perf_counter()
                    async with db.reading() as session:
                        live = await live_service.get_session(session, session_id)
                        room = await live_service.get_room(session, live.room_id)
                        dashboard = await dashboard_service.session_dashboard(session, live, room)
                    rollup_times.append(time.perf_counter() - began)
                began = time.perf_counter()
                async with db.reading() as session:
                    naive = await _naive_session(session, session_id)
                naive_times.append(time.perf_counter() - began)
                mine = _from_dashboard(dashboard)
                theirs = {
                    "figures": naive["figures"],
                    "funnel": naive["funnel"],
                    "curve_points": naive["curve"],
                }
                if mine != theirs:
                    equal = False
                    diff = [
                        key
                        for key in ("figures", "funnel", "curve_points")
                        if mine[key] != theirs[key]
                    ]
                    if "figures" in diff:
                        diff += [
                            k for k in mine["figures"] if mine["figures"][k] != theirs["figures"][k]
                        ]
                    mismatches.append(f"{session_id}: {diff}")

            admin = User(
                id="0" * 32,
                email="-",
                display_name="-",
                password_hash="-",
                role=Role.PLATFORM_ADMIN,
            )
            platform_times: list[float] = []
            platform_naive_times: list[float] = []
            offset = settings.dashboard_day_utc_offset_hours
            local = utcnow() + timedelta(hours=offset)
            day_start = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
                hours=offset
            )
            for _ in range(20 if not smoke else 5):
                began = time.perf_counter()
                async with db.reading() as session:
                    platform = await dashboard_service.platform_dashboard(session, admin)
                platform_times.append(time.perf_counter() - began)
            for _ in range(3):
                began = time.perf_counter()
                async with db.reading() as session:
                    naive_platform = await _naive_platform(
                        session, day_start, day_start + timedelta(days=1)
                    )
                platform_naive_times.append(time.perf_counter() - began)
            t = platform.today
            mine_platform = {
                "today": (t["enters"], t["paid_orders"], t["gmv_cents"], t["refund_cents"]),
                "top_rooms": [(r.id, r.gmv_cents) for r in platform.top_rooms],
            }
            if mine_platform != naive_platform:
                equal = False
                mismatches.append("platform")
        finally:
            await broker.close()
            await db.dispose()
    session_ms = _ms(rollup_times)
    session_naive_ms = _ms(naive_times)
    platform_ms = _ms(platform_times)
    platform_naive_ms = _ms(platform_naive_times)
    session_speedup = session_naive_ms["p50_ms"] / max(session_ms["p50_ms"], 0.001)
    platform_speedup = platform_naive_ms["p50_ms"] / max(platform_ms["p50_ms"], 0.001)
    worst_lag = lag.worst()
    return {
        "database": "sqlite" if bench_db.is_sqlite else "postgresql",
        "events": count,
        "sessions": sessions,
        "viewers": viewers,
        "ingest_events_per_s": round(count / ingest_seconds),
        "rollup_max_lag_s": round(worst_lag, 3),
        # The rollup's own rate while the flood went on (time in its units of work,
        # waits for SQLite's write lock included): above the ingest's, it keeps up.
        "rollup_events_per_s": round(rolled["events"] / max(rolled["seconds"], 1e-9)),
        "session_reads": len(rollup_times),
        "session_dashboard": session_ms,
        "session_dashboard_naive": session_naive_ms,
        "session_speedup": round(session_speedup, 1),
        "platform_dashboard": platform_ms,
        "platform_dashboard_naive": platform_naive_ms,
        "platform_speedup": round(platform_speedup, 1),
        "results_equal": equal,
        "mismatches": mismatches[:5],
        "target_met": equal
        and session_ms["p99_ms"] <= TARGET_P99_MS
        and platform_ms["p99_ms"] <= TARGET_P99_MS
        and session_speedup >= TARGET_SPEEDUP
        and platform_speedup >= TARGET_SPEEDUP
        and worst_lag <= TARGET_LAG_S,
        "targets": {
            "p99_ms": TARGET_P99_MS,
            "speedup": TARGET_SPEEDUP,
            "rollup_lag_s": TARGET_LAG_S,
        },
    }


@register(
    "dashboard",
    "Session and platform dashboards from the rollups vs a GROUP BY over the raw behaviour "
    "events (10M events, 100 sessions, 1M viewers)",
)
def run(smoke: bool = False, database_url: str | None = None, **_: Any) -> dict[str, Any]:
    return asyncio.run(_measure(smoke, database_url))
