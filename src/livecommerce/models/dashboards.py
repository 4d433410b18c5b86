"""Dashboard rollups (大盘, 复盘, 选品): figures kept incrementally from the behaviour events.

Every table here is derived: it can be rebuilt from ``behaviour_events`` and the
watermark says how far it has read. The metric definitions live in
``livecommerce.dashboards.metrics`` and ``docs/metrics.md``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, UTCDateTime

# The counters every rollup row carries (per minute, per day, per product). Each is a
# plain sum, so rows merge by adding and any period is the sum of its rows.
ROLLUP_COUNTERS = (
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
    "orderers",
    "order_cents",
    "paid_orders",
    "payers",
    "gmv_cents",
    "refunds",
    "refund_cents",
    "fan_viewers",
    "fan_gmv_cents",
    "new_buyers",
    "new_buyer_gmv_cents",
)


def _counter() -> Mapped[int]:
    return mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0, nullable=False)


class DashboardWatermark(Base):
    """How far a rollup has read the behaviour events: every id up to ``last_id`` except
    the ``gaps`` (ids not committed yet when it read past them, with when it noticed)."""

    __tablename__ = "dashboard_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0, nullable=False
    )
    gaps: Mapped[dict[str, Any]] = mapped_column(default=dict)
    events_applied: Mapped[int] = _counter()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DashboardViewer(Base):
    """One viewer (a user, or an anonymous visitor) in one session: where they came from,
    whether they were a fan when first seen, and how far down the funnel they went.

    Rows are appended, never updated: a viewer who goes further down the funnel gets a
    new row with their whole state, and the row with the highest ``id`` is the current
    one. Each of a session's rows lands at the end of that session's range of the index
    (``session_id``, ``id``), so a rollup that meets thousands of new viewers writes a
    few pages, not one page of a random place in a (session, viewer) key per viewer.
    Looking a viewer up is the rollup's in-memory set of each session's viewers
    (``dashboards/rollup.py``), brought up to date from the rows past the highest id it
    has read."""

    __tablename__ = "dashboard_session_viewers"
    __table_args__ = (Index("ix_dashboard_session_viewers_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    session_id: Mapped[str] = mapped_column(String(32))
    viewer_key: Mapped[str] = mapped_column(String(42))
    room_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(20))
    is_fan: Mapped[bool] = mapped_column(Boolean, default=False)
    entered: Mapped[bool] = mapped_column(Boolean, default=False)
    clicked: Mapped[bool] = mapped_column(Boolean, default=False)
    ordered: Mapped[bool] = mapped_column(Boolean, default=False)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DashboardVisitSource(Base):
    """Where a viewer came from into a session, as the traffic domain attributed it
    (``traffic.visit_attributed``); the first attribution wins. The rollup gives a viewer
    this source when it first sees them."""

    __tablename__ = "dashboard_visit_sources"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    viewer_key: Mapped[str] = mapped_column(String(42), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    attributed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DashboardExposure(Base):
    """A viewer the feeds showed a session to (from the traffic domain's impressions),
    once per session and viewer: the funnel's first step counts these rows as they are
    added, in ``DashboardSessionTotal.exposures``."""

    __tablename__ = "dashboard_session_exposures"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    viewer_key: Mapped[str] = mapped_column(String(42), primary_key=True)


class DashboardSessionTotal(Base):
    """Figures of a whole session kept beside its minutes: the distinct viewers the feeds
    showed it to (``exposures``), counted when the rollup first sees each."""

    __tablename__ = "dashboard_sessions"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    exposures: Mapped[int] = _counter()


class DashboardRoomBuyer(Base):
    """A buyer's first paid order in a room: the next ones are not first-time buyers."""

    __tablename__ = "dashboard_room_buyers"

    room_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_paid_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _Counters:
    enters: Mapped[int] = _counter()
    leaves: Mapped[int] = _counter()
    viewers: Mapped[int] = _counter()
    watch_seconds: Mapped[int] = _counter()
    likes: Mapped[int] = _counter()
    comments: Mapped[int] = _counter()
    shares: Mapped[int] = _counter()
    product_clicks: Mapped[int] = _counter()
    clickers: Mapped[int] = _counter()
    orders: Mapped[int] = _counter()
    orderers: Mapped[int] = _counter()
    order_cents: Mapped[int] = _counter()
    paid_orders: Mapped[int] = _counter()
    payers: Mapped[int] = _counter()
    gmv_cents: Mapped[int] = _counter()
    refunds: Mapped[int] = _counter()
    refund_cents: Mapped[int] = _counter()
    fan_viewers: Mapped[int] = _counter()
    fan_gmv_cents: Mapped[int] = _counter()
    new_buyers: Mapped[int] = _counter()
    new_buyer_gmv_cents: Mapped[int] = _counter()


class DashboardSessionMinute(_Counters, Base):
    """A session's figures in one minute (UTC) from viewers of one traffic source."""

    __tablename__ = "dashboard_session_minutes"
    __table_args__ = (Index("ix_dashboard_session_minutes_minute", "minute"),)

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(32))


class DashboardSessionProduct(_Counters, Base):
    """A product's figures in one session (clicks, orders, GMV, refunds …)."""

    __tablename__ = "dashboard_session_products"
    __table_args__ = (Index("ix_dashboard_session_products_product", "product_id"),)

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(32))


class DashboardRoomDay(_Counters, Base):
    """A room's figures on one platform day from viewers of one traffic source."""

    __tablename__ = "dashboard_room_days"
    __table_args__ = (Index("ix_dashboard_room_days_day", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)


class DashboardProductDay(_Counters, Base):
    """A product's figures on one platform day, across every room that sells it."""

    __tablename__ = "dashboard_product_days"
    __table_args__ = (Index("ix_dashboard_product_days_day", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
