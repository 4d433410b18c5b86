"""C2B: demand from viewers, minimum-order pre-sale campaigns, production orders.

A campaign's units move with conditional ``UPDATE``s (``units_reserved`` never passes
``max_units``); a buyer has one pledge per campaign, whose deposit (or full price) and
balance are ordinary orders paid through the payments domain.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class CampaignStatus(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"  # reached its MOQ at the deadline
    FAILED = "failed"  # did not: every payment goes back


class BalanceDefault(StrEnum):
    FORFEIT = "forfeit"  # an unpaid balance keeps the deposit
    REFUND = "refund"  # an unpaid balance gives the deposit back


class PledgeStatus(StrEnum):
    PENDING = "pending"  # the deposit (or full price) order waits for its payment
    PAID = "paid"  # deposit or full price paid; counts toward the MOQ
    BALANCE_DUE = "balance_due"  # the campaign succeeded: the balance order waits
    CONFIRMED = "confirmed"  # everything paid, waits for the goods
    SHIPPED = "shipped"
    CANCELLED = "cancelled"  # the first order was never paid
    REFUNDED = "refunded"
    DEFAULTED = "defaulted"  # the balance was not paid in time: the deposit is forfeited


class Campaign(Base):
    __tablename__ = "c2b_campaigns"
    __table_args__ = (
        CheckConstraint("units_reserved >= 0", name="units_reserved_not_negative"),
        CheckConstraint("units_reserved <= max_units", name="units_within_max"),
        CheckConstraint("units_paid >= 0", name="units_paid_not_negative"),
        Index("ix_c2b_campaigns_product_status", "product_id", "status"),
    )

    id: Mapped[str] = id_column()
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))  # the first variant
    # Every variant buyers choose from, ``sku_id`` first, with its name as the merchant
    # offered it: [{"sku_id": "…", "label": "雾蓝"}]; empty for a campaign of one SKU.
    variants: Mapped[list[Any]] = mapped_column(default=list)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("live_sessions.id"), index=True)
    supplier_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    price_cents: Mapped[int] = mapped_column(Integer)  # per unit, all included
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0)  # 0: pay in full
    moq: Mapped[int] = mapped_column(Integer)
    max_units: Mapped[int] = mapped_column(Integer)
    per_buyer_limit: Mapped[int] = mapped_column(Integer, default=5)
    units_reserved: Mapped[int] = mapped_column(Integer, default=0)  # pending + paid pledges
    units_paid: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[datetime]
    balance_hours: Mapped[int] = mapped_column(Integer, default=48)
    balance_deadline: Mapped[datetime | None]
    on_balance_default: Mapped[str] = mapped_column(String(10), default=BalanceDefault.FORFEIT)
    expected_ship_at: Mapped[datetime]
    # [{"name": "刻字", "max_length": 20}]
    customisation_fields: Mapped[list[Any]] = mapped_column(default=list)
    # Decision rules: extend once when the paid units reach this share of the MOQ.
    extend_share_bp: Mapped[int] = mapped_column(Integer, default=0)
    extend_hours: Mapped[int] = mapped_column(Integer, default=24)
    extended: Mapped[bool] = mapped_column(default=False)
    production_at_moq: Mapped[bool] = mapped_column(default=False)
    production_issued: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=CampaignStatus.OPEN)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class Pledge(Base):
    __tablename__ = "c2b_pledges"
    __table_args__ = (
        UniqueConstraint("campaign_id", "buyer_id"),
        CheckConstraint("quantity > 0", name="pledge_quantity_positive"),
    )

    id: Mapped[str] = id_column()
    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("c2b_campaigns.id", ondelete="CASCADE"), index=True
    )
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # The variant chosen (one of the campaign's SKUs); None: the campaign's ``sku_id``.
    sku_id: Mapped[str | None] = mapped_column(ForeignKey("skus.id"))
    customisation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default=PledgeStatus.PENDING)
    first_order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    balance_order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime]


class ProductionStatus(StrEnum):
    ISSUED = "issued"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MATERIALS = "materials"
    IN_PRODUCTION = "in_production"
    QUALITY_CHECK = "quality_check"
    SHIPPED = "shipped"  # to the merchant's warehouse, every unit
    CANCELLED = "cancelled"


class ProductionOrder(Base):
    __tablename__ = "c2b_production_orders"

    id: Mapped[str] = id_column()
    campaign_id: Mapped[str | None] = mapped_column(
        ForeignKey("c2b_campaigns.id", ondelete="CASCADE"), index=True
    )
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    title: Mapped[str] = mapped_column(String(120))
    # [{"variant": "红", "quantity": 3}]
    lines: Mapped[list[Any]] = mapped_column(default=list)
    # [{"pledge_id": …, "quantity": 1, "fields": {"刻字": "…"}}]
    customisations: Mapped[list[Any]] = mapped_column(default=list)
    units_total: Mapped[int] = mapped_column(Integer)
    units_delivered: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(14), default=ProductionStatus.ISSUED)
    reason: Mapped[str] = mapped_column(String(40), default="")  # moq_reached, deadline, reorder
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime]


class ProductionDelivery(Base):
    __tablename__ = "c2b_production_deliveries"

    id: Mapped[str] = id_column()
    production_order_id: Mapped[str] = mapped_column(
        ForeignKey("c2b_production_orders.id", ondelete="CASCADE"), index=True
    )
    units: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_at_column()


class DemandVote(Base):
    """A viewer wants a variant of a product (proposed by the merchant or by viewers)."""

    __tablename__ = "c2b_demand_votes"
    __table_args__ = (UniqueConstraint("product_id", "user_id", "variant"),)

    id: Mapped[str] = id_column()
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    variant: Mapped[str] = mapped_column(String(40))
    proposed: Mapped[bool] = mapped_column(default=False)  # the viewer's own variant
    price_willing_cents: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("live_sessions.id"))
    created_at: Mapped[datetime] = created_at_column()


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class LivePoll(Base):
    """A host's poll (投票) in a live session; each option is a variant of a product."""

    __tablename__ = "c2b_polls"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id"), index=True)
    host_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    question: Mapped[str] = mapped_column(String(120))
    options: Mapped[list[Any]] = mapped_column(default=list)
    counts: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(8), default=PollStatus.OPEN)
    created_at: Mapped[datetime] = created_at_column()


class PollVote(Base):
    __tablename__ = "c2b_poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[str] = id_column()
    poll_id: Mapped[str] = mapped_column(ForeignKey("c2b_polls.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    option: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()


class DecisionRule(Base):
    """A merchant's switch for an automatic decision about one product."""

    __tablename__ = "c2b_rules"
    __table_args__ = (UniqueConstraint("product_id", "kind"),)

    id: Mapped[str] = id_column()
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(20))  # auto_launch, reorder
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class DecisionLog(Base):
    """Every automatic decision with the figures that triggered it."""

    __tablename__ = "c2b_decisions"

    id: Mapped[str] = id_column()
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id"))
    campaign_id: Mapped[str | None] = mapped_column(String(32), index=True)
    rule: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(40))
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at_column()
