"""Queries of the dashboard rollups: the only place in dashboards that builds SQL.

A few reads reach tables of other domains, each one indexed query: who among a
batch's signed-in viewers follows the room or belongs to its fan club (to split fans
from non-fans), a session's follows and fan-club joins, its moments (pins, flash
sales, lotteries) for the report's curve, and the feeds' recent impressions (the
rollup's exposures). None of them writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    String,
    any_,
    bindparam,
    func,
    insert,
    literal,
    select,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import as_utc
from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    ROLLUP_COUNTERS,
    DashboardExposure,
    DashboardProductDay,
    DashboardRoomBuyer,
    DashboardRoomDay,
    DashboardSessionMinute,
    DashboardSessionProduct,
    DashboardSessionTotal,
    DashboardViewer,
    DashboardVisitSource,
    DashboardWatermark,
    FanClubMember,
    FeedImpression,
    FlashSale,
    Follow,
    Lottery,
    PinEvent,
    ShowcaseItem,
)


def _insert(session: AsyncSession, model: Any) -> Any:
    """An upsert-capable INSERT on the model's table (Core: a batch of thousands of rows
    skips the ORM's per-row bookkeeping)."""
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


_PLAIN_INSERTS: dict[tuple[str, str], tuple[str, list[str], list[Any]]] = {}


def _plain_insert(dialect: Dialect, model: Any) -> tuple[str, list[str], list[Any]]:
    """A model's INSERT (every column but a generated ``id``) as the driver takes it: the
    statement's text, its columns in parameter order and each one's bind processor (None:
    the value goes as it is). Tens of thousands of rows a unit of work then skip
    SQLAlchemy's per-row building of parameters (a dict per row, every column's lookup),
    which cost more than the database's insert."""
    key = (dialect.name, model.__tablename__)
    found = _PLAIN_INSERTS.get(key)
    if found is None:
        table = model.__table__
        columns = [column for column in table.columns if column.name != "id"]
        compiled = (
            insert(table)
            .inline()
            .values({column.name: None for column in columns})
            .compile(dialect=dialect)
        )
        order = list(compiled.positiontup or [])
        by_name = {column.name: column for column in columns}
        processors = [by_name[name].type.bind_processor(dialect) for name in order]
        found = _PLAIN_INSERTS[key] = (compiled.string, order, processors)
    return found


def _by_session(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(session id, viewer key) pairs grouped by session: each session's keys are read
    with ``session_id = ? AND viewer_key IN (…)``, which walks the two-column primary key
    (a row-value ``IN`` list of pairs makes SQLite scan the whole table)."""
    grouped: dict[str, list[str]] = {}
    for session_id, key in pairs:
        grouped.setdefault(session_id, []).append(key)
    return grouped


class ProductRoomFigures(NamedTuple):
    """A product's figures in one room, summed over the room's sessions."""

    product_id: str
    room_id: str
    sessions: int
    product_clicks: int
    paid_orders: int
    gmv_cents: int
    refund_cents: int


class DashboardRepository:
    # ---- watermark ---------------------------------------------------------------

    async def lock_watermark(self, session: AsyncSession, name: str) -> DashboardWatermark | None:
        """The rollup's watermark, locked for this unit of work; None while another
        worker's rollup holds it (it is skipped, never waited for)."""
        await session.execute(
            _insert(session, DashboardWatermark)
            .values(name=name, last_id=0, gaps={}, events_applied=0)
            .on_conflict_do_nothing()
        )
        result = await session.execute(
            select(DashboardWatermark)
            .where(DashboardWatermark.name == name)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def get_watermark(self, session: AsyncSession, name: str) -> DashboardWatermark | None:
        return await session.get(DashboardWatermark, name)

    # ---- viewers, buyers, fans ---------------------------------------------------

    async def viewers_after(
        self, session: AsyncSession, session_id: str, after_id: int
    ) -> list[Any]:
        """The session's viewer rows past ``after_id``, oldest first (a later row of a
        viewer is their newer state): a range of the (session, id) index."""
        viewers = DashboardViewer.__table__
        result = await session.execute(
            select(
                viewers.c.id,
                viewers.c.viewer_key,
                viewers.c.room_id,
                viewers.c.source,
                viewers.c.is_fan,
                viewers.c.entered,
                viewers.c.clicked,
                viewers.c.ordered,
                viewers.c.paid,
                viewers.c.first_at,
            )
            .where(viewers.c.session_id == session_id, viewers.c.id > after_id)
            .order_by(viewers.c.id)
        )
        return list(result.all())

    async def last_viewer_id(self, session: AsyncSession) -> int:
        found = await session.scalar(select(func.max(DashboardViewer.__table__.c.id)))
        return int(found or 0)

    async def visit_sources(
        self, session: AsyncSession, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The sources the traffic domain attributed to the keys that have one: one query
        per session (``session_id = ? AND viewer_key IN (…)`` walks the primary key)."""
        sources = DashboardVisitSource.__table__
        # The keys go in as one parameter (a JSON array on SQLite, an array on
        # PostgreSQL), so the statement's text is the same whatever their number: an
        # expanding ``IN`` list rendered a new statement, a parameter per key, for every
        # session of every unit.
        wanted_keys: Any
        if session.get_bind().dialect.name == "postgresql":
            wanted_keys = sources.c.viewer_key == any_(
                bindparam("keys", type_=postgresql.ARRAY(String))
            )
        else:
            listed = func.json_each(bindparam("keys", type_=String)).table_valued("value")
            wanted_keys = sources.c.viewer_key.in_(select(listed.c.value))
        query = select(sources.c.viewer_key, sources.c.source).where(
            sources.c.session_id == bindparam("session_id"), wanted_keys
        )
        is_postgresql = session.get_bind().dialect.name == "postgresql"
        attributed: dict[tuple[str, str], str] = {}
        for session_id, wanted in _by_session(keys).items():
            result = await session.execute(
                query,
                {"session_id": session_id, "keys": wanted if is_postgresql else json.dumps(wanted)},
            )
            for viewer_key, source in result:
                attributed[(session_id, viewer_key)] = source
        return attributed

    async def record_visit_source(
        self, session: AsyncSession, session_id: str, viewer_key: str, source: str, at: datetime
    ) -> None:
        """The viewer's traffic source in the session; a later attribution changes nothing."""
        statement = _insert(session, DashboardVisitSource).values(
            session_id=session_id, viewer_key=viewer_key, source=source, attributed_at=at
        )
        await session.execute(
            statement.on_conflict_do_nothing(index_elements=["session_id", "viewer_key"])
        )

    async def append_viewers(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        """Append viewers' new states (a new viewer, or a known one further down the
        funnel): rows are only ever added, so every one goes to the end of its session's
        range of the index."""
        if not rows:
            return
        connection = await session.connection()
        statement, columns, processors = _plain_insert(connection.dialect, DashboardViewer)
        await connection.exec_driver_sql(
            statement,
            [
                tuple(
                    row[name] if process is None else process(row[name])
                    for name, process in zip(columns, processors, strict=True)
                )
                for row in rows
            ],
        )

    async def fans_among(self, session: AsyncSession, room_id: str, user_ids: set[str]) -> set[str]:
        """Who of ``user_ids`` follows the room or belongs to its fan club now."""
        if not user_ids:
            return set()
        ids = list(user_ids)
        query = union(
            select(Follow.user_id).where(Follow.room_id == room_id, Follow.user_id.in_(ids)),
            select(FanClubMember.user_id).where(
                FanClubMember.room_id == room_id, FanClubMember.user_id.in_(ids)
            ),
        )
        result = await session.execute(query)
        return {row[0] for row in result}

    async def known_buyers(
        self, session: AsyncSession, room_id: str, user_ids: set[str]
    ) -> set[str]:
        if not user_ids:
            return set()
        result = await session.execute(
            select(DashboardRoomBuyer.user_id).where(
                DashboardRoomBuyer.room_id == room_id,
                DashboardRoomBuyer.user_id.in_(list(user_ids)),
            )
        )
        return set(result.scalars())

    async def add_buyers(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await session.execute(
                _insert(session, DashboardRoomBuyer).on_conflict_do_nothing(), list(rows)
            )

    # ---- exposures (from the feeds' impressions) ---------------------------------

    async def impressions_since(
        self, session: AsyncSession, since: datetime
    ) -> list[tuple[str, str, datetime]]:
        """(session id, viewer key, latest time) of the feeds' impressions from ``since``
        on, one row per session and viewer (reads the traffic domain's table by its time
        index)."""
        i = FeedImpression.__table__
        result = await session.execute(
            select(i.c.session_id, i.c.viewer_key, func.max(i.c.created_at))
            .where(i.c.created_at >= since)
            .group_by(i.c.session_id, i.c.viewer_key)
        )
        return [(s, k, as_utc(at)) for s, k, at in result]

    async def latest_impression_at(self, session: AsyncSession) -> datetime | None:
        at = await session.scalar(select(func.max(FeedImpression.__table__.c.created_at)))
        return None if at is None else as_utc(at)

    async def add_exposures(
        self, session: AsyncSession, pairs: Sequence[tuple[str, str]]
    ) -> dict[str, int]:
        """Store the (session, viewer) pairs not stored yet and add them to each session's
        ``exposures``; returns how many each session gained."""
        gained: dict[str, int] = {}
        table = DashboardExposure.__table__
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start : start + 1000]
            result = await session.execute(
                _insert(session, DashboardExposure)
                .on_conflict_do_nothing()
                .returning(table.c.session_id),
                [{"session_id": s, "viewer_key": k} for s, k in chunk],
            )
            for (session_id,) in result:
                gained[session_id] = gained.get(session_id, 0) + 1
        if gained:
            totals = DashboardSessionTotal.__table__
            statement = _insert(session, DashboardSessionTotal)
            statement = statement.on_conflict_do_update(
                index_elements=["session_id"],
                set_={"exposures": totals.c.exposures + statement.excluded.exposures},
            )
            await session.execute(
                statement, [{"session_id": s, "exposures": n} for s, n in gained.items()]
            )
        return gained

    async def session_exposures_and_progress(
        self, session: AsyncSession, session_id: str, watermark: str
    ) -> tuple[int, int, datetime | None]:
        """(the session's exposures, events the rollup has applied, when it last ran) in
        one statement: a dashboard read shows all three."""
        totals = DashboardSessionTotal.__table__
        marks = DashboardWatermark.__table__
        exposures = (
            select(totals.c.exposures).where(totals.c.session_id == session_id).scalar_subquery()
        )
        applied = select(marks.c.events_applied).where(marks.c.name == watermark).scalar_subquery()
        updated = select(marks.c.updated_at).where(marks.c.name == watermark).scalar_subquery()
        row = (await session.execute(select(exposures, applied, updated))).one()
        return int(row[0] or 0), int(row[1] or 0), row[2]

    async def session_exposures(self, session: AsyncSession, session_id: str) -> int:
        totals = DashboardSessionTotal.__table__
        found = await session.scalar(
            select(totals.c.exposures).where(totals.c.session_id == session_id)
        )
        return int(found or 0)

    # ---- counters ----------------------------------------------------------------

    async def add_counters(
        self,
        session: AsyncSession,
        model: Any,
        keys: Sequence[str],
        rows: Sequence[dict[str, Any]],
    ) -> None:
        """Add each row's counters to the stored row with the same key (created at zero)."""
        if not rows:
            return
        table = model.__table__
        statement = _insert(session, model)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={
                name: table.c[name] + getattr(statement.excluded, name) for name in ROLLUP_COUNTERS
            },
        )
        await session.execute(statement, list(rows))

    # ---- reads -------------------------------------------------------------------

    # Reads return plain rows (attribute access like the models), not ORM entities:
    # a dashboard reads hundreds of them and identity-mapping each would cost more
    # than the query.

    async def session_minutes(self, session: AsyncSession, session_ids: Sequence[str]) -> list[Any]:
        table = DashboardSessionMinute.__table__
        result = await session.execute(
            select(table)
            .where(table.c.session_id.in_(list(session_ids)))
            .order_by(table.c.minute, table.c.source)
        )
        return list(result.all())

    async def session_totals(
        self, session: AsyncSession, session_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Each session's counters summed over its minutes and sources."""
        if not session_ids:
            return {}
        columns = [
            func.coalesce(func.sum(DashboardSessionMinute.__table__.c[name]), 0)
            for name in ROLLUP_COUNTERS
        ]
        result = await session.execute(
            select(DashboardSessionMinute.session_id, *columns)
            .where(DashboardSessionMinute.session_id.in_(list(session_ids)))
            .group_by(DashboardSessionMinute.session_id)
        )
        return {
            row[0]: {name: int(value) for name, value in zip(ROLLUP_COUNTERS, row[1:], strict=True)}
            for row in result
        }

    async def session_products(self, session: AsyncSession, session_id: str) -> list[Any]:
        table = DashboardSessionProduct.__table__
        result = await session.execute(select(table).where(table.c.session_id == session_id))
        return list(result.all())

    async def product_rooms(
        self, session: AsyncSession, product_ids: Sequence[str], page: PageRequest
    ) -> Page[ProductRoomFigures]:
        """These products' figures summed per product and room (``sessions``: in how many
        of the room's sessions), the most GMV first, then by product and room."""
        table = DashboardSessionProduct.__table__
        summed = (
            select(
                table.c.product_id,
                table.c.room_id,
                func.count().label("sessions"),
                *(
                    func.coalesce(func.sum(table.c[name]), 0).label(name)
                    for name in ("product_clicks", "paid_orders", "gmv_cents", "refund_cents")
                ),
            )
            .where(table.c.product_id.in_(list(product_ids)))
            .group_by(table.c.product_id, table.c.room_id)
            .subquery()
        )
        found = await fetch_page(
            session,
            select(summed),
            (desc(summed.c.gmv_cents), asc(summed.c.product_id), asc(summed.c.room_id)),
            page,
            whole_rows=True,
            key=lambda row: (int(row[5]), row[0], row[1]),  # a sum is numeric on PostgreSQL
        )
        return Page(
            items=[
                ProductRoomFigures(*(row[:2]), *(int(v) for v in row[2:])) for row in found.items
            ],
            next_cursor=found.next_cursor,
        )

    async def minutes_between(
        self, session: AsyncSession, since: datetime
    ) -> list[tuple[datetime, int, int, int]]:
        """Platform totals per minute since ``since``: (minute, enters, paid orders, GMV)."""
        m = DashboardSessionMinute
        result = await session.execute(
            select(m.minute, func.sum(m.enters), func.sum(m.paid_orders), func.sum(m.gmv_cents))
            .where(m.minute >= since)
            .group_by(m.minute)
            .order_by(m.minute)
        )
        return [(row[0], int(row[1]), int(row[2]), int(row[3])) for row in result]

    async def room_days(
        self, session: AsyncSession, since: date, room_ids: Sequence[str] | None = None
    ) -> list[Any]:
        table = DashboardRoomDay.__table__
        query = select(table).where(table.c.day >= since)
        if room_ids is not None:
            query = query.where(table.c.room_id.in_(list(room_ids)))
        result = await session.execute(query)
        return list(result.all())

    async def product_days(
        self, session: AsyncSession, since: date, product_ids: Sequence[str] | None = None
    ) -> list[Any]:
        table = DashboardProductDay.__table__
        query = select(table).where(table.c.day >= since)
        if product_ids is not None:
            query = query.where(table.c.product_id.in_(list(product_ids)))
        result = await session.execute(query)
        return list(result.all())

    async def follows_per_minute(
        self, session: AsyncSession, room_id: str, start: datetime, end: datetime
    ) -> tuple[list[datetime], list[datetime]]:
        """When the room gained followers and fan-club members between two instants."""
        query = union_all(
            select(literal("follow").label("kind"), Follow.created_at.label("at")).where(
                Follow.room_id == room_id, Follow.created_at >= start, Follow.created_at < end
            ),
            select(literal("join").label("kind"), FanClubMember.joined_at.label("at")).where(
                FanClubMember.room_id == room_id,
                FanClubMember.joined_at >= start,
                FanClubMember.joined_at < end,
            ),
        )
        rows = (await session.execute(query)).all()
        # The union's columns keep the first select's types: times come back UTC-aware.
        follows = [as_utc(at) for kind, at in rows if kind == "follow"]
        joins = [as_utc(at) for kind, at in rows if kind == "join"]
        return follows, joins

    async def moments(
        self, session: AsyncSession, session_id: str
    ) -> list[tuple[str, datetime, str | None]]:
        """(kind, when, product id or title) of the session's pins, flash sales and lotteries."""
        found: list[tuple[str, datetime, str | None]] = []
        pins = await session.execute(
            select(PinEvent.at, ShowcaseItem.product_id)
            .outerjoin(ShowcaseItem, ShowcaseItem.id == PinEvent.showcase_item_id)
            .where(PinEvent.session_id == session_id, PinEvent.showcase_item_id.is_not(None))
        )
        found.extend(("pin", at, product_id) for at, product_id in pins)
        sales = await session.execute(
            select(FlashSale.starts_at, FlashSale.product_id).where(
                FlashSale.session_id == session_id
            )
        )
        found.extend(("flash_sale", at, product_id) for at, product_id in sales)
        lotteries = await session.execute(
            select(Lottery.created_at, Lottery.title).where(Lottery.session_id == session_id)
        )
        found.extend(("lottery", at, title) for at, title in lotteries)
        return sorted(found, key=lambda moment: moment[1])

    async def pins(
        self, session: AsyncSession, session_id: str
    ) -> list[tuple[datetime, str | None]]:
        """Every pin change of the session (None: unpinned), oldest first."""
        result = await session.execute(
            select(PinEvent.at, ShowcaseItem.product_id)
            .outerjoin(ShowcaseItem, ShowcaseItem.id == PinEvent.showcase_item_id)
            .where(PinEvent.session_id == session_id)
            .order_by(PinEvent.at)
        )
        return [(at, product_id) for at, product_id in result]


dashboard_repository = DashboardRepository()
