"""Payments react to orders: a refunded order's payments go back to the buyer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.orders.events import OrderRefunded
from livecommerce.payments.service import payment_service


@subscribe(OrderRefunded, "payments.refund_order")
async def refund_order_payments(session: AsyncSession, event: OrderRefunded) -> None:
    await payment_service.do_refund_order_payments(session, event.order_id)
