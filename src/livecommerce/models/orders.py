from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from livecommerce.kit.base import Base, created_at_column, id_column


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(120))  # province / city / district
    line1: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        # Keysets of the buyer's and the merchant's order lists (newest first).
        Index("ix_orders_buyer_created", "buyer_id", "created_at", "id"),
        Index("ix_orders_merchant_created", "merchant_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    # Indexed by the list keysets above (their leading column).
    buyer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # Attribution: where the sale happened, for commissions and room stats.
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("live_sessions.id"), index=True)
    host_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # Bought from a short video's buy sheet: the video is the order's traffic source.
    video_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PENDING_PAYMENT)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # Set when the order was placed in a flash sale: its units belong to that sale.
    flash_sale_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # A pre-sale campaign's deposit, full-price or balance order (c2b): no SKU stock moves,
    # and its money is held in the ledger until the goods ship.
    campaign_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(60))

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", lazy="selectin", cascade="all, delete-orphan"
    )


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    title: Mapped[str] = mapped_column(String(120))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_cents: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="items")
