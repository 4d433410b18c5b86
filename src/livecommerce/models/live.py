from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livecommerce.kit.base import Base, created_at_column, id_column


class LiveSessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    INTERRUPTED = "interrupted"  # the stream dropped; the session goes on when it is back
    ENDED = "ended"
    CANCELLED = "cancelled"


class Room(Base):
    """A host's room and persona (人设): what viewers see before any session starts."""

    __tablename__ = "rooms"

    id: Mapped[str] = id_column()
    host_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    avatar_filename: Mapped[str | None] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    catchphrase: Mapped[str] = mapped_column(String(120), default="")  # the first of these
    catchphrases: Mapped[list[Any]] = mapped_column(default=list)
    followers_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()


class LiveSession(Base):
    __tablename__ = "live_sessions"

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    cover_filename: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default=LiveSessionStatus.SCHEDULED, index=True)
    planned_start_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    pinned_item_id: Mapped[str | None] = mapped_column(String(32))
    peak_online: Mapped[int] = mapped_column(Integer, default=0)
    # Viewers who reserved the session (直播预约), moved with the ``reservations`` rows.
    reservation_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at_column()


class Reservation(Base):
    """A viewer's reservation of an upcoming session: reminded before and at the start."""

    __tablename__ = "reservations"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = created_at_column()


class ShowcaseItem(Base):
    """A product in a session's showcase (购物袋), with the price it sells at in the room."""

    __tablename__ = "showcase_items"
    __table_args__ = (UniqueConstraint("session_id", "product_id"),)

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()

    # A SKU without a row here sells at its catalog price.
    sku_prices: Mapped[list[ShowcaseSkuPrice]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )

    def live_price_of(self, sku_id: str) -> int | None:
        for row in self.sku_prices:
            if row.sku_id == sku_id:
                return row.live_price_cents
        return None


class ShowcaseSkuPrice(Base):
    """The price one SKU of a showcase item sells at in the room (直播价)."""

    __tablename__ = "showcase_sku_prices"
    __table_args__ = (CheckConstraint("live_price_cents > 0", name="live_price_positive"),)

    showcase_item_id: Mapped[str] = mapped_column(
        ForeignKey("showcase_items.id", ondelete="CASCADE"), primary_key=True
    )
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True)
    live_price_cents: Mapped[int] = mapped_column(Integer)


class PinEvent(Base):
    """When which showcase item was pinned (讲解中); the replay timeline reads it."""

    __tablename__ = "pin_events"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    showcase_item_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = created_at_column()


class Follow(Base):
    __tablename__ = "follows"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at_column()
