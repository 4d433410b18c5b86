"""Room interactions: flash sales (限时抢购), lotteries (福袋) and the Q&A board."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class FlashSale(Base):
    """A limited-time sale of one SKU in a live session.

    ``units_left`` is the sale's own stock counter, taken from the SKU at launch and
    moved only by ``UPDATE … WHERE units_left >= :q``. When the sale is settled the
    units still left go back to the SKU and are counted in ``units_returned``, so
    at every moment: units in live orders + units_left + units_returned = units_total.
    """

    __tablename__ = "flash_sales"
    __table_args__ = (
        CheckConstraint("units_left >= 0", name="units_left_not_negative"),
        CheckConstraint("units_left <= units_total", name="units_left_at_most_total"),
        CheckConstraint("per_buyer_limit >= 1", name="per_buyer_limit_positive"),
    )

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    created_by: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    price_cents: Mapped[int] = mapped_column(Integer)
    original_price_cents: Mapped[int] = mapped_column(Integer)
    units_total: Mapped[int] = mapped_column(Integer)
    units_left: Mapped[int] = mapped_column(Integer)
    units_returned: Mapped[int] = mapped_column(Integer, default=0)
    per_buyer_limit: Mapped[int] = mapped_column(Integer, default=1)
    # Early access (粉丝优先购): fan-club members at fans_min_level or up may buy this
    # many seconds before starts_at; 0: none.
    fans_early_s: Mapped[int] = mapped_column(Integer, default=0)
    fans_min_level: Mapped[int] = mapped_column(Integer, default=1)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    sold_out_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]  # ended: leftover units went back to the SKU
    created_at: Mapped[datetime] = created_at_column()


class FlashSaleBuyer(Base):
    """How many units one buyer holds in one sale: ``WHERE bought + :q <= limit``."""

    __tablename__ = "flash_sale_buyers"
    __table_args__ = (
        UniqueConstraint("sale_id", "buyer_id"),
        CheckConstraint("bought >= 0", name="bought_not_negative"),
    )

    id: Mapped[str] = id_column()
    sale_id: Mapped[str] = mapped_column(ForeignKey("flash_sales.id", ondelete="CASCADE"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    bought: Mapped[int] = mapped_column(Integer, default=0)


class LotteryStatus(StrEnum):
    OPEN = "open"
    DRAWN = "drawn"
    CANCELLED = "cancelled"


class PrizeKind(StrEnum):
    PRODUCT = "product"
    COUPON = "coupon"


class Lottery(Base):
    """A verifiable draw: ``seed_hash = sha256(seed)`` is public from launch, the seed
    from the draw; winners follow from the seed and the entrant list (docs/lottery.md)."""

    __tablename__ = "lotteries"
    __table_args__ = (CheckConstraint("winners_count >= 1", name="winners_count_positive"),)

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    created_by: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(120))
    prize_kind: Mapped[str] = mapped_column(String(10))
    prize_sku_id: Mapped[str | None] = mapped_column(ForeignKey("skus.id"))
    prize_coupon_id: Mapped[str | None] = mapped_column(String(32))
    winners_count: Mapped[int] = mapped_column(Integer)
    # {"follow": bool, "keyword": str | None, "watch_minutes": int | None, "fan_club": bool,
    #  "fan_level": int | None}
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seed: Mapped[str] = mapped_column(String(64))  # secret until the draw
    seed_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=LotteryStatus.OPEN)
    draw_at: Mapped[datetime]
    drawn_at: Mapped[datetime | None]
    entrants_count: Mapped[int] = mapped_column(Integer, default=0)
    prize_units_reserved: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()


class LotteryEntry(Base):
    __tablename__ = "lottery_entries"
    __table_args__ = (UniqueConstraint("lottery_id", "user_id"),)

    id: Mapped[str] = id_column()
    lottery_id: Mapped[str] = mapped_column(
        ForeignKey("lotteries.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(64))
    won: Mapped[bool] = mapped_column(default=False)
    prize_order_id: Mapped[str | None] = mapped_column(String(32))
    entered_at: Mapped[datetime] = created_at_column()


class QuestionStatus(StrEnum):
    OPEN = "open"
    ANSWERING = "answering"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


class Question(Base):
    """A viewer's question, kept apart from the chat flood."""

    __tablename__ = "questions"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(500))
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    # The host's order: lower comes first; None sorts after ranked questions.
    host_rank: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=QuestionStatus.OPEN)
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    answered_at: Mapped[datetime | None]


class QuestionVote(Base):
    __tablename__ = "question_votes"

    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at_column()
