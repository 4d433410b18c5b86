"""Facts about orders, published by the orders service (see docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent
from livecommerce.models import Order


class OrderPlaced(DomainEvent):
    """An order exists, waiting for its payment (or paid already: a lottery prize)."""

    name = "orders.placed"
    order_id: str
    buyer_id: str
    merchant_id: str
    session_id: str | None
    flash_sale_id: str | None
    total_cents: int
    currency: str
    video_id: str | None = None  # bought from this short video's buy sheet


class OrderPaid(DomainEvent):
    """A pending order's payment arrived in time: the order is paid."""

    name = "orders.paid"
    order_id: str
    buyer_id: str
    merchant_id: str
    host_id: str | None
    room_id: str | None
    session_id: str | None
    product_id: str | None  # the first item's, as the behaviour stream records it
    total_cents: int
    currency: str
    paid_at: datetime
    campaign_id: str | None = None  # a pre-sale's order (c2b)
    video_id: str | None = None  # bought from this short video's buy sheet


class OrderRefunded(DomainEvent):
    """A paid or shipped order was refunded in full. Its SKU stock is back already; a
    flash sale takes its units back on this event, in the same unit of work."""

    name = "orders.refunded"
    order_id: str
    by_user_id: str | None
    flash_sale_id: str | None
    total_cents: int
    currency: str
    campaign_id: str | None = None


class OrderShipped(DomainEvent):
    """A paid order was handed to a carrier by its merchant."""

    name = "orders.shipped"
    order_id: str
    buyer_id: str
    merchant_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime


class OrderCancelled(DomainEvent):
    """An unpaid order was cancelled by its buyer or expired. Its SKU stock is back
    already; a flash sale takes its units back on this event, in the same unit of work."""

    name = "orders.cancelled"
    order_id: str
    reason: str
    flash_sale_id: str | None
    campaign_id: str | None = None


def order_placed(order: Order) -> OrderPlaced:
    return OrderPlaced(
        order_id=order.id,
        buyer_id=order.buyer_id,
        merchant_id=order.merchant_id,
        session_id=order.session_id,
        flash_sale_id=order.flash_sale_id,
        total_cents=order.total_cents,
        currency=order.currency,
        video_id=order.video_id,
    )


def order_paid(order: Order, paid_at: datetime) -> OrderPaid:
    first = order.items[0] if order.items else None
    return OrderPaid(
        order_id=order.id,
        buyer_id=order.buyer_id,
        merchant_id=order.merchant_id,
        host_id=order.host_id,
        room_id=order.room_id,
        session_id=order.session_id,
        product_id=None if first is None else first.product_id,
        total_cents=order.total_cents,
        currency=order.currency,
        paid_at=paid_at,
        campaign_id=order.campaign_id,
        video_id=order.video_id,
    )
