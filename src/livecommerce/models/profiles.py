"""User profiles (画像), the product interactions they are built from, and recommendations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class ExternalRef(Base):
    """An imported id (a UserBehavior user, item or category) and the row it became."""

    __tablename__ = "external_refs"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # user | item | category
    external_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    internal_id: Mapped[str] = mapped_column(String(60))


class ProductAction(Base):
    """One product interaction of a user: a view, a favourite, an add to cart, a purchase."""

    __tablename__ = "product_actions"
    __table_args__ = (
        # Re-importing a file adds nothing: the same action at the same second is one row.
        UniqueConstraint("user_id", "product_id", "action", "occurred_at", name="once"),
        Index("ix_product_actions_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # Indexed by the unique key above (its leading column): look-ups and erases by user.
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(8))  # pv | fav | cart | buy
    occurred_at: Mapped[datetime] = created_at_column()

    @classmethod
    def fact_columns(cls) -> tuple[Any, Any, Any, Any, Any]:
        """What one stored action says, in this order: user, product, category, action,
        when (what training streams and what profiles are folded from)."""
        return (cls.user_id, cls.product_id, cls.category, cls.action, cls.occurred_at)


class UserProfile(Base):
    """A user's profile, kept current event by event (never rebuilt by rescanning history).

    Interest scores decay with a half-life; they are stored as of `scored_at`."""

    __tablename__ = "user_profiles"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    personalised: Mapped[bool] = mapped_column(default=True)
    interests: Mapped[dict[str, Any]] = mapped_column(default=dict)  # category -> score
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)  # room tag -> score
    hosts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # room id -> score
    scored_at: Mapped[datetime | None]
    price_bands: Mapped[dict[str, Any]] = mapped_column(default=dict)  # band -> purchases
    hours: Mapped[list[Any]] = mapped_column(default=list)  # 24 counts, UTC hours
    sources: Mapped[dict[str, Any]] = mapped_column(default=dict)  # traffic source -> visits
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    spent_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    last_order_at: Mapped[datetime | None]
    events_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = created_at_column()


class RecommendList(Base):
    """Precomputed candidates: for a user (products, rooms) or for a product (also viewed)."""

    __tablename__ = "recommend_lists"

    subject: Mapped[str] = mapped_column(String(12), primary_key=True)  # user | product
    subject_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    items: Mapped[list[Any]] = mapped_column(default=list)  # product ids, best first
    # The category of each item (user lists): a viewer's list is re-ranked by the profile
    # without reading the products first.
    categories: Mapped[list[Any]] = mapped_column(default=list)
    computed_at: Mapped[datetime] = created_at_column()


class RecommendRun(Base):
    """One training of the recommender (the worker's job)."""

    __tablename__ = "recommend_runs"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    actions: Mapped[int] = mapped_column(BigInteger, default=0)  # product actions trained on
    users: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    trained_at: Mapped[datetime] = created_at_column()


class TargetingCampaign(Base):
    """Goods-find-people (物找人): a product's (or a session's) likeliest audience targeted
    with a message or a coupon, measured against a random hold-out that was left alone (its
    share of the audience is `holdout_bp`, half by default)."""

    __tablename__ = "targeting_campaigns"

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What is promoted: a product, or (a host's campaign) an upcoming or live session.
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), default=None
    )
    session_id: Mapped[str | None] = mapped_column(String(32), default=None)
    coupon_id: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer)
    reached: Mapped[int] = mapped_column(Integer, default=0)  # notified (opt-outs excluded)
    holdout_bp: Mapped[int] = mapped_column(Integer, default=5000)  # hold-out share of all
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the profile filters
    created_at: Mapped[datetime] = created_at_column()


class TargetingMember(Base):
    """Who was in a campaign's segment or hold-out; never shown to the merchant."""

    __tablename__ = "targeting_members"

    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("targeting_campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group: Mapped[str] = mapped_column(String(8))  # target | holdout
