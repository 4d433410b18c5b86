"""Payment providers. A provider creates a payment (where to send the buyer), verifies
the callbacks it sends us, and refunds. ``SandboxProvider`` is built in: its pay page
is served by this platform and its callbacks are signed with the platform's secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from livecommerce.config import Settings
from livecommerce.kit.errors import LiveCommerceError, NotFound
from livecommerce.kit.ids import new_id
from livecommerce.models import Payment

Outcome = Literal["succeeded", "failed"]


@dataclass(frozen=True)
class CreatedPayment:
    reference: str  # the provider's id for this payment
    redirect_url: str  # where the buyer goes to pay


@dataclass(frozen=True)
class CallbackEvent:
    """A verified notification from a provider about one payment."""

    reference: str
    outcome: Outcome
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class SignedCallback:
    body: bytes
    headers: dict[str, str]


class PaymentProvider(Protocol):
    name: str

    async def create_payment(self, payment: Payment) -> CreatedPayment: ...

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackEvent:
        """Check the signature over the raw body; raise ``bad_signature`` if it is wrong."""
        ...

    async def refund(self, payment: Payment, amount_cents: int) -> None:
        """Return ``amount_cents`` of the payment to the buyer (all or part of it)."""
        ...


class _SandboxPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reference: str = Field(min_length=1, max_length=80)
    outcome: Outcome
    amount_cents: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)


class SandboxProvider:
    """Pretend money: the pay page at ``/pay/sandbox/{payment_id}`` has Pay and Fail buttons.

    Its callback is ``POST /api/v1/payments/callback/sandbox`` with the header
    ``X-Sandbox-Signature: hex(HMAC-SHA256(secret_key, raw body))``."""

    name = "sandbox"
    signature_header = "x-sandbox-signature"

    def __init__(self, secret_key: str) -> None:
        self._key = secret_key.encode()

    def sign(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    async def create_payment(self, payment: Payment) -> CreatedPayment:
        return CreatedPayment(
            reference=f"sbx_{new_id()}", redirect_url=f"/pay/sandbox/{payment.id}"
        )

    def build_callback(self, payment: Payment, outcome: Outcome) -> SignedCallback:
        """What the sandbox "bank" sends when the buyer presses Pay or Fail."""
        if payment.provider_reference is None:
            raise ValueError("payment has no provider reference")
        body = json.dumps(
            {
                "reference": payment.provider_reference,
                "outcome": outcome,
                "amount_cents": payment.amount_cents,
                "currency": payment.currency,
            },
            separators=(",", ":"),
        ).encode()
        return SignedCallback(body=body, headers={self.signature_header: self.sign(body)})

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackEvent:
        given = next(
            (value for key, value in headers.items() if key.lower() == self.signature_header),
            "",
        )
        if not given or not hmac.compare_digest(given.strip().lower(), self.sign(body)):
            raise LiveCommerceError(
                "The callback signature does not match its body.", code="bad_signature"
            )
        try:
            payload = _SandboxPayload.model_validate_json(body)
        except ValidationError as exc:
            raise LiveCommerceError(
                "The callback body is not a sandbox payment notification.", code="bad_callback"
            ) from exc
        return CallbackEvent(
            reference=payload.reference,
            outcome=payload.outcome,
            amount_cents=payload.amount_cents,
            currency=payload.currency,
        )

    async def refund(self, payment: Payment, amount_cents: int) -> None:
        # Sandbox money goes back instantly; a real provider would call its refund API here.
        return None


def get_provider(settings: Settings, name: str) -> PaymentProvider:
    if name == SandboxProvider.name:
        return SandboxProvider(settings.secret_key)
    raise NotFound(f"Unknown payment provider '{name}'.", code="provider_not_found")


def get_sandbox_provider(settings: Settings) -> SandboxProvider:
    return SandboxProvider(settings.secret_key)
