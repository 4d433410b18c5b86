from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column


class BehaviourKind(StrEnum):
    ENTER = "enter"
    LEAVE = "leave"
    HEARTBEAT = "heartbeat"
    LIKE = "like"
    CHAT = "chat"
    SHARE = "share"
    PRODUCT_CLICK = "product_click"
    ORDER = "order"
    PAYMENT = "payment"
    REFUND = "refund"  # an order refunded in full (value: the refunded cents)


class BehaviourEvent(Base):
    """Append-only raw behaviour: the material for analytics, profiles and traffic."""

    __tablename__ = "behaviour_events"
    __table_args__ = (Index("ix_behaviour_events_session_kind", "session_id", "kind"),)

    # An integer key keeps appends cheap; this table is never addressed by URL.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    visitor_id: Mapped[str | None] = mapped_column(String(40))
    room_id: Mapped[str | None] = mapped_column(String(32))
    session_id: Mapped[str | None] = mapped_column(String(32))
    product_id: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(32))
    # Likes merged per flush, money for orders/payments, seconds for heartbeats.
    value: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = created_at_column()
