"""MCN agencies, host contracts, merchant staff, commission offers, samples, affiliate links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class ContractStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    TERMINATED = "terminated"


class OfferVisibility(StrEnum):
    OPEN = "open"
    INVITE_ONLY = "invite_only"


class OfferStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class SamplePolicy(StrEnum):
    NONE = "none"  # no samples
    FREE = "free"  # free on approval
    RETURNABLE = "returnable"  # sent on approval, returned after the show


class SampleStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = created_at_column()


class HostContract(Base):
    """An agency signs a host: the agency keeps ``share_bp`` of the host's commission."""

    __tablename__ = "host_contracts"
    __table_args__ = (CheckConstraint("share_bp >= 0 AND share_bp <= 10000", name="share_bp"),)

    id: Mapped[str] = id_column()
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    host_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    share_bp: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default=ContractStatus.INVITED)
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]


class MerchantStaff(Base):
    """A host who is a merchant's own staff (商家自播): no commission on its products."""

    __tablename__ = "merchant_staff"

    merchant_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    host_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    accepted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()


class Offer(Base):
    """A merchant's product offered to hosts for a commission (选品广场)."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("commission_bp >= 100 AND commission_bp <= 8000", name="commission_bp"),
        CheckConstraint("fixed_fee_cents >= 0", name="fixed_fee"),
        CheckConstraint("min_live_price_cents > 0", name="min_live_price"),
    )

    id: Mapped[str] = id_column()
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    commission_bp: Mapped[int] = mapped_column(Integer)
    fixed_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    sample_policy: Mapped[str] = mapped_column(String(12), default=SamplePolicy.NONE)
    visibility: Mapped[str] = mapped_column(String(12), default=OfferVisibility.OPEN)
    status: Mapped[str] = mapped_column(String(8), default=OfferStatus.ACTIVE)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    sales_count: Mapped[int] = mapped_column(Integer, default=0)
    sales_cents: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    # The merchant's price floor: no SKU may sell below it in a host's room. None: no SKU
    # may sell below its catalog price.
    min_live_price_cents: Mapped[int | None] = mapped_column(Integer)
    # The merchant's consent to hosts committing its stock to flash sales and lottery prizes.
    allow_flash_sales: Mapped[bool] = mapped_column(default=False)
    allow_prizes: Mapped[bool] = mapped_column(default=False)
    # ... and to room coupons taking their discount from its sale.
    allow_room_coupons: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()


class OfferInvite(Base):
    __tablename__ = "offer_invites"

    offer_id: Mapped[str] = mapped_column(
        ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    host_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at_column()


class SampleRequest(Base):
    __tablename__ = "sample_requests"

    id: Mapped[str] = id_column()
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), index=True)
    requester_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=SampleStatus.PENDING)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None]


class AffiliateLink(Base):
    """A host's tracked link to a product in an external store."""

    __tablename__ = "affiliate_links"
    __table_args__ = (
        CheckConstraint("commission_bp >= 100 AND commission_bp <= 8000", name="commission_bp"),
    )

    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(String(16), unique=True)
    host_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    target_url: Mapped[str] = mapped_column(String(500))
    store_name: Mapped[str] = mapped_column(String(60))
    commission_bp: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # The key this link's store signs its conversion postbacks with (HMAC-SHA256).
    postback_secret: Mapped[str] = mapped_column(String(64))
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)
    sales_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()


class AffiliateConversion(Base):
    __tablename__ = "affiliate_conversions"
    __table_args__ = (UniqueConstraint("link_id", "external_order_id"),)

    id: Mapped[str] = id_column()
    link_id: Mapped[str] = mapped_column(ForeignKey("affiliate_links.id"), index=True)
    external_order_id: Mapped[str] = mapped_column(String(80))
    amount_cents: Mapped[int] = mapped_column(Integer)
    commission_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
