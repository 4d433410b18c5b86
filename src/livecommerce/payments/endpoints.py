"""Payment provider callbacks. Paying for an order (start, the pay page's view, the
sandbox's button) is an order's business: ``orders/endpoints.py``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from livecommerce.kit.http import DbSession
from livecommerce.payments.schemas import CallbackAck
from livecommerce.payments.service import payment_service

router = APIRouter(prefix="/api/v1", tags=["payments"])


@router.post("/payments/callback/{provider}")
async def provider_callback(provider: str, request: Request, session: DbSession) -> CallbackAck:
    """Notifications from a payment provider, authenticated by their signature
    (sandbox: ``X-Sandbox-Signature``, HMAC-SHA256 of the raw body). Replays answer 200."""
    body = await request.body()
    payment = await payment_service.do_handle_callback(
        session, provider, body, dict(request.headers)
    )
    return CallbackAck(status=payment.status)
