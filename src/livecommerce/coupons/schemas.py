from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from livecommerce.kit.types import Name, StrictInt, UtcDatetime


class CouponCreate(BaseModel):
    title: Annotated[Name, Field(min_length=1, max_length=60)]
    audience: Literal["room", "fans", "fan_club", "merchant"]
    discount_kind: Literal["amount", "percent"]
    amount_off_cents: StrictInt = Field(default=0, ge=0, le=100_000_000)
    percent_off: StrictInt = Field(default=0, ge=0, le=99)
    min_spend_cents: StrictInt = Field(default=0, ge=0, le=100_000_000)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    starts_at: UtcDatetime | None = None
    ends_at: UtcDatetime
    total_limit: StrictInt = Field(ge=1, le=1_000_000)
    per_user_limit: StrictInt = Field(default=1, ge=1, le=100)
    product_ids: list[str] = Field(default_factory=list, max_length=100)
    stackable: bool = False
    min_fan_level: StrictInt = Field(
        default=1, ge=1, le=20, description="``fan_club`` coupons: the lowest level that may claim."
    )


class CouponOut(BaseModel):
    id: str
    issuer_id: str
    audience: str
    room_id: str | None
    title: str
    currency: str
    discount_kind: str
    amount_off_cents: int
    percent_off: int
    min_spend_cents: int
    starts_at: datetime
    ends_at: datetime
    total_limit: int
    claimed_count: int
    per_user_limit: int
    product_ids: list[str]
    stackable: bool
    min_fan_level: int = 1
    active: bool
    dropped_at: datetime | None = Field(
        default=None,
        description="When the host last handed it out in the room; null: not yet, so the "
        "room does not list it and it cannot be claimed.",
    )


class CouponList(BaseModel):
    items: list[CouponOut]
    next_cursor: str | None = None


class ClaimOut(BaseModel):
    id: str
    coupon: CouponOut
    source_name: str = ""  # the room (room and fans coupons) or the merchant that issued it
    status: str
    order_id: str | None
    discount_cents: int
    claimed_at: datetime
    used_at: datetime | None


class ClaimList(BaseModel):
    items: list[ClaimOut]
    next_cursor: str | None = None


class QuoteRequest(BaseModel):
    sku_id: str = Field(min_length=1, max_length=32)
    quantity: StrictInt = Field(ge=1, le=99)
    session_id: str | None = Field(default=None, min_length=1, max_length=32)
    coupon_claim_ids: list[str] = Field(default_factory=list, max_length=5)


class QuoteOut(BaseModel):
    currency: str
    subtotal_cents: int
    discount_cents: int
    total_cents: int
    usable_claim_ids: list[str]  # wallet coupons that would apply to this purchase
