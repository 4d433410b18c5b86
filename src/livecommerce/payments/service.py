"""Payments: open one for an order, take provider callbacks, refund.

Payments know an order only by its id and amount; they import no orders, ledger or
insights code. Every callback is idempotent: a payment moves with a conditional
``UPDATE … WHERE status IN (…)`` so a replayed or concurrent notification finds
nothing left to change and publishes nothing. Money that arrives for an order that
can no longer be paid (expired, cancelled, already paid) is refunded, never kept:
the orders domain decides that on ``PaymentSucceeded``, in the callback's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, LiveCommerceError, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import runtime_of
from livecommerce.models import Payment, PaymentStatus
from livecommerce.payments.events import PaymentFailed, PaymentSucceeded
from livecommerce.payments.providers import (
    SandboxProvider,
    get_provider,
    get_sandbox_provider,
)
from livecommerce.payments.repository import payment_repository
from livecommerce.worker.events import publish
from livecommerce.worker.service import job_service

PAYMENT_REFUND_JOB = "payment.refund"


@dataclass(frozen=True)
class StartedPayment:
    payment: Payment
    pay_url: str


class PaymentService:
    async def do_create_payment(
        self, session: AsyncSession, *, order_id: str, amount_cents: int, currency: str
    ) -> StartedPayment:
        """Open a payment of ``amount_cents`` for an order with the sandbox provider.

        Whether the order may be paid is the orders domain's call, made before this."""
        provider = get_sandbox_provider(runtime_of(session).settings)
        payment = Payment(
            id=new_id(),
            order_id=order_id,
            provider=provider.name,
            amount_cents=amount_cents,
            currency=currency,
            status=PaymentStatus.PENDING,
            created_at=utcnow(),
        )
        created = await provider.create_payment(payment)
        payment.provider_reference = created.reference
        await payment_repository.add(session, payment)
        return StartedPayment(payment=payment, pay_url=created.redirect_url)

    async def get_payment(self, session: AsyncSession, payment_id: str) -> Payment | None:
        return await payment_repository.get(session, payment_id)

    async def do_sandbox_callback(
        self, session: AsyncSession, payment: Payment, *, succeed: bool
    ) -> Payment:
        """The sandbox pay page's button: send ourselves the callback the provider would."""
        if payment.provider != SandboxProvider.name:
            raise Conflict("This payment is not a sandbox payment.", code="not_sandbox_payment")
        provider = get_sandbox_provider(runtime_of(session).settings)
        callback = provider.build_callback(payment, "succeeded" if succeed else "failed")
        return await self.do_handle_callback(
            session, provider.name, callback.body, callback.headers
        )

    async def do_handle_callback(
        self, session: AsyncSession, provider_name: str, body: bytes, headers: Mapping[str, str]
    ) -> Payment:
        """Settle a payment from its provider's notification, at most once.

        A success publishes ``PaymentSucceeded``; the orders domain hears it inside this
        unit of work and marks the order paid, or expires it and refunds this payment
        (``do_refund_payment``), so a payment is never committed without its order's
        outcome."""
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
            failed = await payment_repository.transition(
                session,
                payment.id,
                from_statuses=[PaymentStatus.PENDING],
                to_status=PaymentStatus.FAILED,
            )
            if failed:
                await publish(
                    session,
                    PaymentFailed(
                        payment_id=payment.id,
                        order_id=payment.order_id,
                        amount_cents=payment.amount_cents,
                        currency=payment.currency,
                    ),
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
        if moved:  # not a replay: this payment was not settled yet
            await publish(
                session,
                PaymentSucceeded(
                    payment_id=payment.id,
                    order_id=payment.order_id,
                    amount_cents=payment.amount_cents,
                    currency=payment.currency,
                    succeeded_at=now,
                ),
            )
        await payment_repository.refresh(session, payment)
        return payment

    async def do_refund_order_payments(self, session: AsyncSession, order_id: str) -> int:
        """Refund every succeeded payment of an order. Returns how many were refunded."""
        refunded = 0
        for payment in await payment_repository.list_for_order(
            session, order_id, status=PaymentStatus.SUCCEEDED
        ):
            if await self.do_refund_payment(session, payment.id):
                refunded += 1
        return refunded

    async def do_refund_payment(self, session: AsyncSession, payment_id: str) -> bool:
        """Mark a succeeded payment refunded; the worker asks the provider to move the money
        back (what partial refunds have not returned already). False if it was not
        succeeded (refunded already, or never paid)."""
        payment = await payment_repository.get(session, payment_id)
        if payment is None:
            return False
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
            # Written now: the callback that refunds a late payment refreshes it afterwards.
            await session.flush()
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


payment_service = PaymentService()
