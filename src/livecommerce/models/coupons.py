"""Coupons: room coupons handed out live, fans-only coupons and merchant coupons."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class CouponAudience(StrEnum):
    ROOM = "room"  # handed out live in a room; anyone watching may claim
    FANS = "fans"  # only the room's followers may claim
    FAN_CLUB = "fan_club"  # only the room's fan-club members, at min_fan_level or up
    MERCHANT = "merchant"  # a merchant's coupon for its own products


class DiscountKind(StrEnum):
    AMOUNT = "amount"
    PERCENT = "percent"


class ClaimStatus(StrEnum):
    AVAILABLE = "available"
    USED = "used"


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("claimed_count <= total_limit", name="claimed_within_limit"),
        CheckConstraint("claimed_count >= 0", name="claimed_not_negative"),
    )

    id: Mapped[str] = id_column()
    issuer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str] = mapped_column(String(10))
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    discount_kind: Mapped[str] = mapped_column(String(10))
    amount_off_cents: Mapped[int] = mapped_column(Integer, default=0)
    percent_off: Mapped[int] = mapped_column(Integer, default=0)  # 1–99
    min_spend_cents: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    total_limit: Mapped[int] = mapped_column(Integer)
    claimed_count: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    # Empty: every product of the issuer (merchant coupons) or of the room's showcase.
    product_ids: Mapped[list[Any]] = mapped_column(default=list)
    stackable: Mapped[bool] = mapped_column(default=False)
    # A fan-club coupon's lowest fan-club level that may claim it (1: every member).
    min_fan_level: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()
    # When the host last handed the coupon out in the room (room and fans coupons). Until
    # then the room does not show it and nobody can claim it; a lottery may still award it.
    dropped_at: Mapped[datetime | None] = mapped_column(default=None)


class CouponHolder(Base):
    """How many of one coupon one user has claimed: ``WHERE claimed + 1 <= per_user_limit``."""

    __tablename__ = "coupon_holders"
    __table_args__ = (UniqueConstraint("coupon_id", "user_id"),)

    id: Mapped[str] = id_column()
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    claimed: Mapped[int] = mapped_column(Integer, default=0)


class CouponClaim(Base):
    """One claimed coupon in a user's wallet; used by at most one order at a time."""

    __tablename__ = "coupon_claims"
    __table_args__ = (Index("ix_coupon_claims_user_status", "user_id", "status"),)

    id: Mapped[str] = id_column()
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.AVAILABLE)
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = created_at_column()
    used_at: Mapped[datetime | None]
