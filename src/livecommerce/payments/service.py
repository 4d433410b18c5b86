"""Payments: start one for an order, take provider callbacks, refund.

Every callback is idempotent: a payment moves with a conditional
``UPDATE … WHERE status IN (…)`` so a replayed or concurrent notification
finds nothing left to change. Money that arrives for an order that can no
longer be paid (expired, cancelled, already paid) is refunded, never kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, LiveCommerceError, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import publish_after_commit, runtime_of
from livecommerce.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    Role,
    User,
)
from livecommerce.orders.service import order_service
from livecommerce.payments.providers import (
    SandboxProvider,
    get_provider,
    get_sandbox_provider,
)
from livecommerce.payments.repository import payment_repository
from livecommerce.worker.service import job_service

PAYMENT_REFUND_JOB = "payment.refund"


@dataclass(frozen=True)
class StartedPayment:
    payment: Payment
    pay_url: str


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    order: Order


def mask_name(name: str) -> str:
    """What a room sees of a buyer: the first character, the rest hidden ("小*", "A***")."""
    name = name.strip()
    if not name:
        return "*"
    return name[0] + "*" * min(max(len(name) - 1, 1), 3)


class PaymentService:
    async def do_start_payment(
        self, session: AsyncSession, user: User, order_id: str
    ) -> StartedPayment:
        order = await order_service.get_order_for_user(session, user, order_id)
        order_service.check_buyer(user, order)
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise Conflict(
                f"This order is {order.status.replace('_', ' ')}; it cannot be paid.",
                code="invalid_order_state",
                details={"status": order.status},
            )
        now = utcnow()
        if order.expires_at <= now:
            raise Conflict("The time to pay for this order is up.", code="order_expired")
        provider = get_sandbox_provider(runtime_of(session).settings)
        payment = Payment(
            id=new_id(),
            order_id=order.id,
            provider=provider.name,
            amount_cents=order.total_cents,
            currency=order.currency,
            status=PaymentStatus.PENDING,
            created_at=now,
        )
        created = await provider.create_payment(payment)
        payment.provider_reference = created.reference
        await payment_repository.add(session, payment)
        return StartedPayment(payment=payment, pay_url=created.redirect_url)

    async def get_payment_for_buyer(
        self, session: AsyncSession, user: User, payment_id: str
    ) -> PaymentView:
        payment = await payment_repository.get(session, payment_id)
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
        """The sandbox pay page's button: send ourselves the callback the provider would."""
        view = await self.get_payment_for_buyer(session, user, payment_id)
        order_service.check_buyer(user, view.order)
        if view.payment.provider != SandboxProvider.name:
            raise Conflict("This payment is not a sandbox payment.", code="not_sandbox_payment")
        provider = get_sandbox_provider(runtime_of(session).settings)
        callback = provider.build_callback(view.payment, "succeeded" if succeed else "failed")
        payment = await self.do_handle_callback(
            session, provider.name, callback.body, callback.headers
        )
        return PaymentView(
            payment=payment, order=await order_service.get_order(session, payment.order_id)
        )

    async def do_handle_callback(
        self, session: AsyncSession, provider_name: str, body: bytes, headers: Mapping[str, str]
    ) -> Payment:
        provider = get_provider(runtime_of(session).settings, provider_name)
        event = provider.verify_callback(body, headers)
        payment = await payment_repository.get_by_reference(session, provider.name, event.reference)
        if payment is None:
            raise NotFound("No payment has this reference.", code="payment_not_found")
        if event.amount_cents != payment.amount_cents or event.currency != payment.currency:
            raise LiveCommerceError(
                "The callback's amount does not match the payment.", code="amount_mismatch"
            )
        now = utcnow()
        if event.outcome == "failed":
            await payment_repository.transition(
                session,
                payment.id,
                from_statuses=[PaymentStatus.PENDING],
                to_status=PaymentStatus.FAILED,
            )
            await payment_repository.refresh(session, payment)
            return payment

        moved = await payment_repository.transition(
            session,
            payment.id,
            from_statuses=[PaymentStatus.PENDING, PaymentStatus.FAILED],
            to_status=PaymentStatus.SUCCEEDED,
            succeeded_at=now,
        )
        if not moved:  # a replay: this payment was settled already
            await payment_repository.refresh(session, payment)
            return payment

        order = await order_service.get_order(session, payment.order_id)
        if await order_service.do_mark_paid(session, order, at=now):
            # The ledger, commissions and insights follow on OrderPaid.
            await self._announce_paid(session, order)
        else:
            if order.status == OrderStatus.PENDING_PAYMENT:
                # Its time is up but the expiry job has not run yet: expire it now.
                await order_service.do_expire(session, order.id)
            await self._refund(session, payment)
        await payment_repository.refresh(session, payment)
        return payment

    async def do_refund_order_payments(self, session: AsyncSession, order_id: str) -> int:
        """Refund every succeeded payment of an order. Returns how many were refunded."""
        refunded = 0
        for payment in await payment_repository.list_for_order(
            session, order_id, status=PaymentStatus.SUCCEEDED
        ):
            if await self._refund(session, payment):
                refunded += 1
        return refunded

    async def _refund(self, session: AsyncSession, payment: Payment) -> bool:
        """Mark the payment refunded; the worker asks the provider to move the money back
        (what partial refunds have not returned already)."""
        moved = await payment_repository.transition(
            session,
            payment.id,
            from_statuses=[PaymentStatus.SUCCEEDED],
            to_status=PaymentStatus.REFUNDED,
            refunded_at=utcnow(),
        )
        if moved:
            # The transition holds the row: no partial refund can slip in between.
            await payment_repository.refresh(session, payment)
            rest = payment.amount_cents - payment.refunded_cents
            payment.refunded_cents = payment.amount_cents
            if rest > 0:
                job_service.do_schedule(
                    session,
                    PAYMENT_REFUND_JOB,
                    run_at=utcnow(),
                    payload={"payment_id": payment.id, "amount_cents": rest},
                )
        return moved

    async def do_refund_part(self, session: AsyncSession, order_id: str, amount_cents: int) -> None:
        """Give ``amount_cents`` of an order's payment back; the payment stays succeeded."""
        if amount_cents <= 0:
            raise ValidationFailed("A refund must be more than zero.", code="refund_not_positive")
        payments = await payment_repository.list_for_order(
            session, order_id, status=PaymentStatus.SUCCEEDED
        )
        for payment in payments:
            if await payment_repository.add_refunded(session, payment.id, amount_cents):
                job_service.do_schedule(
                    session,
                    PAYMENT_REFUND_JOB,
                    run_at=utcnow(),
                    payload={"payment_id": payment.id, "amount_cents": amount_cents},
                )
                return
        raise Conflict(
            "No payment of this order can give that much back.", code="refund_exceeds_payment"
        )

    async def do_send_refund(
        self, session: AsyncSession, payment_id: str, amount_cents: int | None = None
    ) -> None:
        """Ask the payment's provider to return the money (run by the worker, retried)."""
        payment = await payment_repository.get(session, payment_id)
        if payment is None or payment.refunded_cents <= 0:
            return
        provider = get_provider(runtime_of(session).settings, payment.provider)
        await provider.refund(
            payment, payment.amount_cents if amount_cents is None else amount_cents
        )

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


payment_service = PaymentService()
