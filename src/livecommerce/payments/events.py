"""Facts about payments, published by the payments service (see docs/architecture.md).

Payments know orders only by id: what a successful payment means for its order
(paid, or expired and the money sent back) is decided by the orders domain, which
listens to ``PaymentSucceeded`` inside the callback's own unit of work.
"""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent


class PaymentSucceeded(DomainEvent):
    """A provider confirmed a pending (or earlier failed) payment: the money arrived.

    Published once per payment: a replayed or concurrent callback finds the payment
    settled already and publishes nothing."""

    name = "payments.succeeded"
    payment_id: str
    order_id: str
    amount_cents: int
    currency: str
    succeeded_at: datetime


class PaymentFailed(DomainEvent):
    """A provider reported a pending payment as failed; its order stays payable."""

    name = "payments.failed"
    payment_id: str
    order_id: str
    amount_cents: int
    currency: str
