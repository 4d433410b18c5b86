"""Paying for orders: what the orders domain decides about payments.

The payments domain moves money and knows an order only by id; this module holds
the order's side: who may pay which order and when, the pay page's view of a
payment with its order, and what a successful payment means for its order. That
last part runs on ``PaymentSucceeded`` inside the callback's own unit of work
(``orders/listeners.py``), so a payment and its order's outcome commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service, mask_name
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, NotFound
from livecommerce.kit.runtime import publish_after_commit
from livecommerce.models import Order, OrderStatus, Payment, Role, User
from livecommerce.orders.service import order_service
from livecommerce.payments.service import StartedPayment, payment_service


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    order: Order


class CheckoutService:
    async def do_start_payment(
        self, session: AsyncSession, user: User, order_id: str
    ) -> StartedPayment:
        """The buyer starts paying a pending order that has not expired."""
        order = await order_service.get_order_for_user(session, user, order_id)
        order_service.check_buyer(user, order)
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise Conflict(
                f"This order is {order.status.replace('_', ' ')}; it cannot be paid.",
                code="invalid_order_state",
                details={"status": order.status},
            )
        if order.expires_at <= utcnow():
            raise Conflict("The time to pay for this order is up.", code="order_expired")
        return await payment_service.do_create_payment(
            session, order_id=order.id, amount_cents=order.total_cents, currency=order.currency
        )

    async def get_payment_for_buyer(
        self, session: AsyncSession, user: User, payment_id: str
    ) -> PaymentView:
        """A payment and its order, for the order's buyer (or an admin) only."""
        payment = await payment_service.get_payment(session, payment_id)
        order = (
            None if payment is None else await order_service.get_order(session, payment.order_id)
        )
        if (
            payment is None
            or order is None
            or (order.buyer_id != user.id and user.role != Role.PLATFORM_ADMIN)
        ):
            raise NotFound("No such payment.", code="payment_not_found")
        return PaymentView(payment=payment, order=order)

    async def do_sandbox_confirm(
        self, session: AsyncSession, user: User, payment_id: str, *, succeed: bool
    ) -> PaymentView:
        """The sandbox pay page's button, pressed by the order's buyer."""
        view = await self.get_payment_for_buyer(session, user, payment_id)
        order_service.check_buyer(user, view.order)
        payment = await payment_service.do_sandbox_callback(session, view.payment, succeed=succeed)
        return PaymentView(
            payment=payment, order=await order_service.get_order(session, payment.order_id)
        )

    async def do_settle_payment(
        self, session: AsyncSession, *, payment_id: str, order_id: str, at: datetime
    ) -> bool:
        """A payment of this order succeeded (in the callback's unit of work).

        The order becomes paid if it is still pending and in time, and the room hears
        of the purchase after commit; the ledger, commissions and insights follow on
        OrderPaid. Otherwise the money goes back: an order whose time is up but whose
        expiry job has not run yet is expired now, and the payment is refunded.
        Returns whether the order was paid."""
        order = await order_service.get_order(session, order_id)
        if await order_service.do_mark_paid(session, order, at=at):
            await self._announce_paid(session, order)
            return True
        if order.status == OrderStatus.PENDING_PAYMENT:
            await order_service.do_expire(session, order.id)
        await payment_service.do_refund_payment(session, payment_id)
        return False

    async def _announce_paid(self, session: AsyncSession, order: Order) -> None:
        first = order.items[0] if order.items else None
        if order.session_id is not None and first is not None:
            buyer = await account_service.get_user(session, order.buyer_id)
            # Sent only once this unit of work commits: a rolled-back payment is never shown.
            publish_after_commit(
                session,
                live_channel(order.session_id),
                {
                    "type": "purchase",
                    "buyer": mask_name(buyer.display_name),
                    "product_title": first.title,
                    "quantity": sum(item.quantity for item in order.items),
                },
            )


checkout_service = CheckoutService()
