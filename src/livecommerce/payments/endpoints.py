from __future__ import annotations

from fastapi import APIRouter, Request

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.kit.http import DbSession
from livecommerce.payments.schemas import (
    CallbackAck,
    PaymentItemOut,
    PaymentOut,
    PaymentStarted,
    SandboxConfirm,
)
from livecommerce.payments.service import PaymentView, payment_service

router = APIRouter(prefix="/api/v1", tags=["payments"])


def _payment_out(view: PaymentView) -> PaymentOut:
    payment, order = view.payment, view.order
    return PaymentOut(
        id=payment.id,
        order_id=order.id,
        provider=payment.provider,
        status=payment.status,
        amount_cents=payment.amount_cents,
        refunded_cents=payment.refunded_cents,
        currency=payment.currency,
        created_at=payment.created_at,
        succeeded_at=payment.succeeded_at,
        refunded_at=payment.refunded_at,
        order_status=order.status,
        order_expires_at=order.expires_at,
        product_titles=[item.title for item in order.items],
        items=[
            PaymentItemOut(
                title=item.title,
                spec=item.spec,
                quantity=item.quantity,
                unit_price_cents=item.unit_price_cents,
                line_total_cents=item.line_total_cents,
            )
            for item in order.items
        ],
        subtotal_cents=order.subtotal_cents,
        discount_cents=order.discount_cents,
    )


@router.post("/orders/{order_id}/pay")
async def start_payment(order_id: str, user: CurrentUser, session: DbSession) -> PaymentStarted:
    """The buyer starts paying an unpaid order; ``pay_url`` is the provider's pay page."""
    started = await payment_service.do_start_payment(session, user, order_id)
    return PaymentStarted(payment_id=started.payment.id, pay_url=started.pay_url)


@router.get("/payments/{payment_id}")
async def get_payment(payment_id: str, user: CurrentUser, session: DbSession) -> PaymentOut:
    """What the pay page shows: amount, what is bought, the payment's and order's state."""
    return _payment_out(await payment_service.get_payment_for_buyer(session, user, payment_id))


@router.post("/payments/{payment_id}/sandbox-confirm")
async def sandbox_confirm(
    payment_id: str, body: SandboxConfirm, user: CurrentUser, session: DbSession
) -> PaymentOut:
    """The sandbox pay page's Pay / Fail button: runs the signed provider callback."""
    view = await payment_service.do_sandbox_confirm(
        session, user, payment_id, succeed=body.outcome == "succeed"
    )
    return _payment_out(view)


@router.post("/payments/callback/{provider}")
async def provider_callback(provider: str, request: Request, session: DbSession) -> CallbackAck:
    """Notifications from a payment provider, authenticated by their signature
    (sandbox: ``X-Sandbox-Signature``, HMAC-SHA256 of the raw body). Replays answer 200."""
    body = await request.body()
    payment = await payment_service.do_handle_callback(
        session, provider, body, dict(request.headers)
    )
    return CallbackAck(status=payment.status)
