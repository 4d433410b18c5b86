from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class PaymentStarted(BaseModel):
    payment_id: str
    pay_url: str


class SandboxConfirm(BaseModel):
    outcome: Literal["succeed", "fail"]


class PaymentItemOut(BaseModel):
    title: str
    spec: dict[str, Any]
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class PaymentOut(BaseModel):
    id: str
    order_id: str
    provider: str
    status: str
    amount_cents: int
    refunded_cents: int
    currency: str
    created_at: datetime
    succeeded_at: datetime | None
    refunded_at: datetime | None
    order_status: str
    order_expires_at: datetime
    product_titles: list[str]
    items: list[PaymentItemOut]
    subtotal_cents: int = 0  # the goods before coupons
    discount_cents: int = 0  # coupons: amount_cents = subtotal_cents - discount_cents


class CallbackAck(BaseModel):
    status: str
