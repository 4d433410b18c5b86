"""Dashboards: the session dashboard (live and after), the after-session report (复盘),
the platform dashboard (大盘) and selection insight (选品), all read from the rollups.

Who sees what: a host its own sessions, an MCN admin its contracted hosts' sessions,
a merchant its own products (and its own room when it runs one), platform admins
everything.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.dashboards import metrics
from livecommerce.dashboards.repository import dashboard_repository
from livecommerce.dashboards.rollup import WATERMARK, day_of, minute_of
from livecommerce.dashboards.schemas import (
    Comparison,
    DayPoint,
    FunnelStep,
    MerchantProductRoom,
    MinutePoint,
    MinuteVolume,
    Moment,
    PlatformDashboard,
    ProductFigures,
    RankedRow,
    SelectionInsight,
    SelectionItem,
    SessionBrief,
    SessionDashboard,
    SessionListItem,
    SessionReport,
    SourceFigures,
)
from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.errors import Forbidden
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.mcn.service import mcn_service
from livecommerce.models import (
    ROLLUP_COUNTERS,
    LiveSession,
    LiveSessionStatus,
    Role,
    Room,
    User,
)

MAX_MINUTES = 24 * 60  # a dashboard's curve shows at most a day
PREVIOUS_SESSIONS = 10  # the report compares with this many of the host's sessions
ON_AIR = (LiveSessionStatus.LIVE.value, LiveSessionStatus.INTERRUPTED.value)
COMPARED = ("viewers", "pcu", "avg_watch_seconds", "gmv_cents", "net_gmv_cents", "gpm_cents")


class _Online(Protocol):
    async def current_online(self, session_id: str) -> int: ...


def _forbidden() -> Forbidden:
    return Forbidden("You may not see this session's figures.", code="dashboard_forbidden")


def _counters_of(row: Any) -> dict[str, int]:
    mapping = row._mapping
    return {name: mapping[name] for name in ROLLUP_COUNTERS}


class DashboardService:
    # ---- traffic sources -------------------------------------------------------------

    async def do_record_visit_source(
        self, session: AsyncSession, session_id: str, viewer_key: str, source: str, at: datetime
    ) -> None:
        """Remember where the viewer came from into the session (the first attribution
        wins); the rollup files the viewer under it when it first sees them."""
        await dashboard_repository.record_visit_source(
            session, session_id, viewer_key, metrics.source_of(source), at
        )

    # ---- who sees what ---------------------------------------------------------------

    async def check_can_view_session(
        self, session: AsyncSession, user: User, live_session: LiveSession
    ) -> Room:
        room = await live_service.get_room(session, live_session.room_id)
        if user.role == Role.PLATFORM_ADMIN or room.host_id == user.id:
            return room
        if user.role == Role.MCN_ADMIN and room.host_id in await mcn_service.agency_host_ids(
            session, user
        ):
            return room
        raise _forbidden()

    async def get_session_for(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        live_session = await live_service.get_session(session, session_id)
        await self.check_can_view_session(session, user, live_session)
        return live_session

    async def page_sessions(
        self,
        session: AsyncSession,
        user: User,
        page: PageRequest,
        *,
        status: str | None = None,
    ) -> Page[SessionListItem]:
        """The sessions whose dashboards the user may open (their rooms' and, for an MCN
        admin, its hosts' rooms'; every room for platform admins), latest planned start
        first (``status``: only those; ``live`` includes interrupted ones, ``scheduled``
        lists the soonest first), a page at a time. Cancelled ones only when asked for."""
        room_ids: list[str] | None = None
        if user.role != Role.PLATFORM_ADMIN:
            host_ids = {user.id}
            if user.role == Role.MCN_ADMIN:
                host_ids |= await mcn_service.agency_host_ids(session, user)
            rooms = await live_service.get_rooms_of_hosts(session, host_ids)
            room_ids = sorted(room.id for room in rooms.values())
            if not room_ids:
                return Page(items=[], next_cursor=None)
        found = await live_service.page_sessions(
            session, status=status, room_id=None, room_ids=room_ids, page=page
        )
        live_sessions = found.items
        rooms_by_id = await live_service.get_rooms(session, {s.room_id for s in live_sessions})
        totals = await dashboard_repository.session_totals(session, [s.id for s in live_sessions])
        items = [
            SessionListItem(
                id=s.id,
                title=s.title,
                status=s.status,
                room_name=rooms_by_id[s.room_id].name if s.room_id in rooms_by_id else "",
                planned_start_at=s.planned_start_at,
                started_at=s.started_at,
                gmv_cents=totals.get(s.id, {}).get("gmv_cents", 0),
                viewers=totals.get(s.id, {}).get("viewers", 0),
            )
            for s in live_sessions
        ]
        return Page(items=items, next_cursor=found.next_cursor)

    # ---- the session dashboard -----------------------------------------------------------

    async def session_dashboard(
        self, session: AsyncSession, live_session: LiveSession, room: Room
    ) -> SessionDashboard:
        rows = await dashboard_repository.session_minutes(session, [live_session.id])
        per_minute: dict[datetime, dict[str, int]] = defaultdict(metrics.empty_counters)
        per_source: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        for row in rows:
            counters = _counters_of(row)
            metrics.add_counters(per_minute[as_utc(row.minute)], counters)
            metrics.add_counters(per_source[row.source], counters)
        totals = metrics.sum_counters(per_minute.values())
        now = utcnow()
        first = [as_utc(live_session.started_at)] if live_session.started_at else []
        first.extend(per_minute)
        start = minute_of(min(first)) if first else minute_of(now)
        last: list[datetime] = list(per_minute)
        if live_session.status in ON_AIR:
            last.append(now)
        elif live_session.ended_at is not None:
            last.append(as_utc(live_session.ended_at))
        end = minute_of(max(last)) if last else start
        end = max(start, min(end, start + timedelta(minutes=MAX_MINUTES - 1)))
        follows, joins = await dashboard_repository.follows_per_minute(
            session, room.id, start, end + timedelta(minutes=1)
        )
        follows_at = _count_minutes(follows)
        joins_at = _count_minutes(joins)
        timeline = [start + timedelta(minutes=i) for i in range(_minutes_between(start, end) + 1)]
        empty = metrics.empty_counters()
        enters = [per_minute.get(m, empty)["enters"] for m in timeline]
        leaves = [per_minute.get(m, empty)["leaves"] for m in timeline]
        curve = metrics.online_curve(enters, leaves)
        points = [
            MinutePoint(
                minute=m,
                online=online,
                enters=per_minute.get(m, empty)["enters"],
                viewers=per_minute.get(m, empty)["viewers"],
                likes=per_minute.get(m, empty)["likes"],
                comments=per_minute.get(m, empty)["comments"],
                product_clicks=per_minute.get(m, empty)["product_clicks"],
                orders=per_minute.get(m, empty)["orders"],
                paid_orders=per_minute.get(m, empty)["paid_orders"],
                gmv_cents=per_minute.get(m, empty)["gmv_cents"],
                refund_cents=per_minute.get(m, empty)["refund_cents"],
                follows=follows_at.get(m, 0),
                fan_joins=joins_at.get(m, 0),
            )
            for m, online in zip(timeline, curve, strict=True)
        ]
        online_now = 0
        if live_session.status in ON_AIR:
            hub: _Online = runtime_of(session).extras["hub"]
            online_now = await hub.current_online(live_session.id)
        pcu = max([live_session.peak_online, online_now, *curve])
        figures = metrics.figures(
            totals,
            online=online_now,
            pcu=pcu,
            follows=len(follows),
            fan_joins=len(joins),
        )
        (
            exposures,
            applied,
            rolled_up_at,
        ) = await dashboard_repository.session_exposures_and_progress(
            session, live_session.id, WATERMARK
        )
        return SessionDashboard(
            session=SessionBrief(
                id=live_session.id,
                title=live_session.title,
                status=live_session.status,
                room_id=room.id,
                room_name=room.name,
                host_id=room.host_id,
                started_at=live_session.started_at,
                ended_at=live_session.ended_at,
            ),
            figures=figures,
            funnel=[FunnelStep.model_validate(step) for step in metrics.funnel(totals, exposures)],
            segments=metrics.segments(totals),
            sources=[
                SourceFigures(
                    source=source,
                    enters=c["enters"],
                    viewers=c["viewers"],
                    paid_orders=c["paid_orders"],
                    gmv_cents=c["gmv_cents"],
                )
                for source, c in sorted(per_source.items())
            ],
            minutes=points,
            products=await self._products(session, live_session, now),
            events_applied=applied,
            rolled_up_at=rolled_up_at,
        )

    async def _products(
        self, session: AsyncSession, live_session: LiveSession, now: datetime
    ) -> list[ProductFigures]:
        rows = await dashboard_repository.session_products(session, live_session.id)
        explain = await self._explain_seconds(session, live_session, now)
        ids = {row.product_id for row in rows} | set(explain)
        products = await catalog_service.get_products(session, ids)
        by_product = {row.product_id: row for row in rows}
        out = []
        for product_id in ids:
            row = by_product.get(product_id)
            counters = _counters_of(row) if row is not None else metrics.empty_counters()
            product = products.get(product_id)
            out.append(
                ProductFigures(
                    product_id=product_id,
                    title=product.title if product is not None else "",
                    explain_seconds=explain.get(product_id, 0),
                    clicks=counters["product_clicks"],
                    orders=counters["orders"],
                    paid_orders=counters["paid_orders"],
                    gmv_cents=counters["gmv_cents"],
                    refund_cents=counters["refund_cents"],
                    conversion_bp=metrics.ratio(
                        counters["paid_orders"], counters["product_clicks"], 10_000
                    ),
                )
            )
        out.sort(key=lambda p: (-p.gmv_cents, -p.clicks, p.product_id))
        return out

    async def _explain_seconds(
        self, session: AsyncSession, live_session: LiveSession, now: datetime
    ) -> dict[str, int]:
        """讲解 time: how long each product stayed pinned."""
        pins = await dashboard_repository.pins(session, live_session.id)
        until = as_utc(live_session.ended_at) if live_session.ended_at else now
        seconds: dict[str, int] = defaultdict(int)
        for index, (at, product_id) in enumerate(pins):
            if product_id is None:
                continue
            stop = as_utc(pins[index + 1][0]) if index + 1 < len(pins) else until
            seconds[product_id] += max(int((stop - as_utc(at)).total_seconds()), 0)
        return dict(seconds)

    # ---- the after-session report -------------------------------------------------------

    async def session_report(
        self, session: AsyncSession, live_session: LiveSession, room: Room
    ) -> SessionReport:
        dashboard = await self.session_dashboard(session, live_session, room)
        previous = [
            s
            for s in await live_service.list_sessions(
                session, status=None, room_id=room.id, limit=PREVIOUS_SESSIONS + 20
            )
            if s.id != live_session.id
            and s.started_at is not None
            and live_session.started_at is not None
            and as_utc(s.started_at) < as_utc(live_session.started_at)
        ]
        previous.sort(key=lambda s: as_utc(s.started_at or utcnow()), reverse=True)
        previous = previous[:PREVIOUS_SESSIONS]
        ids = [s.id for s in previous]
        totals = await dashboard_repository.session_totals(session, ids)
        peaks = await self._curve_peaks(session, ids)
        earlier = [
            metrics.figures(
                totals.get(s.id, metrics.empty_counters()),
                pcu=max(s.peak_online, peaks.get(s.id, 0)),
            )
            for s in previous
        ]
        comparison = [
            Comparison(
                metric=key,
                value=dashboard.figures[key],
                previous_average=sum(f[key] for f in earlier) // len(earlier) if earlier else 0,
                previous_sessions=len(earlier),
            )
            for key in COMPARED
        ]
        moments = await self._moments(session, live_session, dashboard)
        top = sorted(dashboard.products, key=lambda p: (-p.gmv_cents, p.product_id))[:5]
        return SessionReport(
            dashboard=dashboard, comparison=comparison, moments=moments, top_products=top
        )

    async def _curve_peaks(self, session: AsyncSession, session_ids: list[str]) -> dict[str, int]:
        """Each session's highest point of the online curve (as its dashboard draws it)."""
        rows = await dashboard_repository.session_minutes(session, session_ids)
        per_session: dict[str, dict[datetime, list[int]]] = defaultdict(dict)
        for row in rows:
            minute = per_session[row.session_id].setdefault(as_utc(row.minute), [0, 0])
            minute[0] += row.enters
            minute[1] += row.leaves
        peaks: dict[str, int] = {}
        for session_id, minutes in per_session.items():
            ordered = [minutes[m] for m in sorted(minutes)]
            curve = metrics.online_curve([e for e, _ in ordered], [left for _, left in ordered])
            peaks[session_id] = max(curve, default=0)
        return peaks

    async def _moments(
        self, session: AsyncSession, live_session: LiveSession, dashboard: SessionDashboard
    ) -> list[Moment]:
        found = await dashboard_repository.moments(session, live_session.id)
        product_ids = {label for kind, _, label in found if kind != "lottery" and label}
        products = await catalog_service.get_products(session, product_ids)
        moments = [
            Moment(
                kind=kind,
                at=as_utc(at),
                label=(
                    label or ""
                    if kind == "lottery"
                    else (products[label].title if label in products else "")
                ),
            )
            for kind, at, label in found
        ]
        points = dashboard.minutes
        if points and max(p.online for p in points) > 0:
            peak = max(points, key=lambda p: (p.online, -p.minute.timestamp()))
            moments.append(Moment(kind="peak", at=peak.minute, label=str(peak.online)))
            drops = [
                (before.online - after.online, after.minute)
                for before, after in zip(points, points[1:], strict=False)
                if before.online > after.online
            ]
            if drops:
                size, at = max(drops, key=lambda d: (d[0], -d[1].timestamp()))
                moments.append(Moment(kind="drop", at=at, label=str(-size)))
        moments.sort(key=lambda m: (m.at, m.kind))
        return moments

    def report_csv(self, report: SessionReport) -> str:
        """The minute curve as CSV: one row a minute, the metric keys as columns."""
        out = io.StringIO()
        writer = csv.writer(out)
        fields = list(MinutePoint.model_fields)
        writer.writerow(fields)
        for point in report.dashboard.minutes:
            row = point.model_dump()
            writer.writerow(
                [row[f].isoformat() if isinstance(row[f], datetime) else row[f] for f in fields]
            )
        writer.writerow([])
        writer.writerow(["metric", "value"])
        for key in metrics.METRIC_KEYS:
            writer.writerow([key, report.dashboard.figures[key]])
        writer.writerow([])
        writer.writerow(["product_id", "title", "clicks", "paid_orders", "gmv_cents"])
        for product in report.dashboard.products:
            writer.writerow(
                [
                    product.product_id,
                    product.title,
                    product.clicks,
                    product.paid_orders,
                    product.gmv_cents,
                ]
            )
        return out.getvalue()

    # ---- the platform dashboard -------------------------------------------------------------

    async def platform_dashboard(self, session: AsyncSession, user: User) -> PlatformDashboard:
        account_service.check_role(user, Role.PLATFORM_ADMIN)
        settings = runtime_of(session).settings
        now = utcnow()
        today = day_of(now, settings.dashboard_day_utc_offset_hours)
        on_air = await live_service.list_sessions(
            session, status=LiveSessionStatus.LIVE.value, room_id=None, limit=500
        )
        hub: _Online = runtime_of(session).extras["hub"]
        online = 0
        for live_session in on_air:
            online += await hub.current_online(live_session.id)
        room_days = await dashboard_repository.room_days(session, today - timedelta(days=29))
        today_rows = [r for r in room_days if r.day == today]
        today_totals = metrics.sum_counters(_counters_of(r) for r in today_rows)
        by_source: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        by_room_today: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        by_room_month: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        by_day: dict[date, dict[str, int]] = defaultdict(metrics.empty_counters)
        for row in room_days:
            counters = _counters_of(row)
            metrics.add_counters(by_room_month[row.room_id], counters)
            metrics.add_counters(by_day[row.day], counters)
            if row.day == today:
                metrics.add_counters(by_source[row.source], counters)
                metrics.add_counters(by_room_today[row.room_id], counters)
        rooms = await live_service.get_rooms(session, set(by_room_month))
        product_days = await dashboard_repository.product_days(session, today)
        by_product: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        for prow in product_days:
            metrics.add_counters(by_product[prow.product_id], _counters_of(prow))
        products = await catalog_service.get_products(session, set(by_product))
        by_category: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        for product_id, counters in by_product.items():
            product = products.get(product_id)
            metrics.add_counters(by_category[product.category if product else ""], counters)

        def room_name(room_id: str) -> str:
            return rooms[room_id].name if room_id in rooms else ""

        def product_title(product_id: str) -> str:
            return products[product_id].title if product_id in products else ""

        minutes = await dashboard_repository.minutes_between(
            session, minute_of(now) - timedelta(minutes=59)
        )
        return PlatformDashboard(
            rooms_on_air=len(on_air),
            online=online,
            today=metrics.figures(today_totals, online=online),
            per_minute=[
                MinuteVolume(minute=m, enters=e, paid_orders=p, gmv_cents=g)
                for m, e, p, g in minutes
            ],
            by_category=_ranked(by_category, lambda key: key, by="gmv_cents"),
            by_source=[
                SourceFigures(
                    source=source,
                    enters=c["enters"],
                    viewers=c["viewers"],
                    paid_orders=c["paid_orders"],
                    gmv_cents=c["gmv_cents"],
                )
                for source, c in sorted(by_source.items())
            ],
            top_rooms=_ranked(by_room_today, room_name, by="gmv_cents"),
            top_rooms_by_gpm=_ranked(by_room_today, room_name, by="gpm_cents"),
            top_products=_ranked(by_product, product_title, by="gmv_cents", clicks_gpm=True),
            host_ranking=_ranked(by_room_month, room_name, by="gmv_cents"),
            days=[
                DayPoint(
                    day=day,
                    enters=c["enters"],
                    paid_orders=c["paid_orders"],
                    gmv_cents=c["gmv_cents"],
                    refund_cents=c["refund_cents"],
                )
                for day, c in sorted(by_day.items())
            ],
        )

    # ---- selection insight ---------------------------------------------------------------

    async def selection_insight(
        self,
        session: AsyncSession,
        user: User,
        *,
        days: int = 7,
        category: str | None = None,
        min_price_cents: int | None = None,
        max_price_cents: int | None = None,
        limit: int = 50,
    ) -> SelectionInsight:
        account_service.check_role(user, Role.HOST, Role.MCN_ADMIN, Role.MERCHANT)
        settings = runtime_of(session).settings
        today = day_of(utcnow(), settings.dashboard_day_utc_offset_hours)
        window_start = today - timedelta(days=days - 1)
        since = min(window_start, today - timedelta(days=13))
        rows = await dashboard_repository.product_days(session, since)
        per_day: dict[str, dict[date, dict[str, int]]] = defaultdict(dict)
        for row in rows:
            per_day[row.product_id][row.day] = _counters_of(row)
        products = await catalog_service.get_products(session, set(per_day))
        category_totals: dict[str, dict[str, int]] = defaultdict(metrics.empty_counters)
        candidates: list[SelectionItem] = []
        for product_id, by_day in per_day.items():
            product = products.get(product_id)
            if product is None:
                continue
            prices = [sku.price_cents for sku in product.skus]
            low = min(prices) if prices else 0
            if category is not None and product.category != category:
                continue
            if min_price_cents is not None and low < min_price_cents:
                continue
            if max_price_cents is not None and low > max_price_cents:
                continue
            window = metrics.sum_counters(c for d, c in by_day.items() if d >= window_start)
            last7 = sum(c["gmv_cents"] for d, c in by_day.items() if d > today - timedelta(days=7))
            prev7 = sum(
                c["gmv_cents"]
                for d, c in by_day.items()
                if today - timedelta(days=14) < d <= today - timedelta(days=7)
            )
            if not (window["product_clicks"] or window["orders"] or window["paid_orders"]):
                continue  # nothing happened to it in the window
            metrics.add_counters(category_totals[product.category], window)
            trend = [
                by_day.get(window_start + timedelta(days=i), {}).get("gmv_cents", 0)
                for i in range(days)
            ]
            growth = metrics.ratio(last7, prev7, 10_000) if prev7 else (20_000 if last7 else 0)
            candidates.append(
                SelectionItem(
                    product_id=product_id,
                    title=product.title,
                    category=product.category,
                    min_price_cents=low,
                    currency=product.currency,
                    paid_orders=window["paid_orders"],
                    gmv_cents=window["gmv_cents"],
                    velocity_per_day_x100=metrics.ratio(window["paid_orders"], days, 100),
                    clicks=window["product_clicks"],
                    conversion_bp=metrics.ratio(
                        window["paid_orders"], window["product_clicks"], 10_000
                    ),
                    gpm_cents=metrics.ratio(window["gmv_cents"], window["product_clicks"], 1000),
                    return_rate_bp=metrics.ratio(window["refunds"], window["paid_orders"], 10_000),
                    growth_bp=growth,
                    rising=last7 > 0 and growth >= 15_000,
                    trend=trend,
                    offer_id=None,
                    commission_bp=None,
                    sample_policy=None,
                )
            )
        candidates.sort(key=lambda item: (-item.gmv_cents, -item.paid_orders, item.product_id))
        items = candidates[:limit]
        offers = await mcn_service.best_open_offers(session, [i.product_id for i in items])
        for item in items:
            offer = offers.get(item.product_id)
            if offer is not None:
                item.offer_id = offer.id
                item.commission_bp = offer.commission_bp
                item.sample_policy = offer.sample_policy
        return SelectionInsight(
            days=days,
            categories=_ranked(category_totals, lambda key: key, by="gmv_cents", clicks_gpm=True),
            items=items,
        )

    async def merchant_products(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[MerchantProductRoom]:
        """How the merchant's own products do in each host's room (only its products): a
        row per product and room, the most GMV first, a page at a time."""
        account_service.check_role(user, Role.MERCHANT)
        product_ids = await catalog_service.product_ids_of_merchant(session, user.id)
        found = await dashboard_repository.product_rooms(session, product_ids, page)
        products = await catalog_service.get_products(
            session, {row.product_id for row in found.items}
        )
        rooms = await live_service.get_rooms(session, {row.room_id for row in found.items})
        items = [
            MerchantProductRoom(
                product_id=row.product_id,
                title=products[row.product_id].title if row.product_id in products else "",
                room_id=row.room_id,
                room_name=rooms[row.room_id].name if row.room_id in rooms else "",
                sessions=row.sessions,
                clicks=row.product_clicks,
                paid_orders=row.paid_orders,
                gmv_cents=row.gmv_cents,
                refund_cents=row.refund_cents,
                conversion_bp=metrics.ratio(row.paid_orders, row.product_clicks, 10_000),
            )
            for row in found.items
        ]
        return Page(items=items, next_cursor=found.next_cursor)


def _minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _count_minutes(instants: list[datetime]) -> dict[datetime, int]:
    counts: dict[datetime, int] = defaultdict(int)
    for at in instants:
        counts[minute_of(at)] += 1
    return counts


def _ranked(
    rows: Mapping[str, dict[str, int]],
    name_of: object,
    *,
    by: str,
    clicks_gpm: bool = False,
    limit: int = 10,
) -> list[RankedRow]:
    """Rows ranked by GMV or GPM (per thousand entries, or product clicks for products)."""
    assert callable(name_of)
    ranked = [
        RankedRow(
            id=key,
            name=str(name_of(key)),
            gmv_cents=c["gmv_cents"],
            gpm_cents=metrics.ratio(
                c["gmv_cents"], c["product_clicks"] if clicks_gpm else c["enters"], 1000
            ),
            paid_orders=c["paid_orders"],
        )
        for key, c in rows.items()
    ]
    ranked.sort(key=lambda r: (-getattr(r, by), r.id))
    return ranked[:limit]


dashboard_service = DashboardService()
