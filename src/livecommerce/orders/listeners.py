"""Orders react to payments: a successful payment pays its order, or is refunded when
the order can no longer be paid. This runs inside the payment callback's unit of
work (``in_unit``): a payment is never committed as succeeded without its order
paid or its refund scheduled, whatever crashes when."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.orders.checkout import checkout_service
from livecommerce.payments.events import PaymentSucceeded


@subscribe(PaymentSucceeded, "orders.settle_payment", in_unit=True)
async def settle_payment(session: AsyncSession, event: PaymentSucceeded) -> None:
    await checkout_service.do_settle_payment(
        session, payment_id=event.payment_id, order_id=event.order_id, at=event.succeeded_at
    )
