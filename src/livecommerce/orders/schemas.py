from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from livecommerce.kit.types import StrictInt, text_problem

OrderStatusName = Literal[
    "pending_payment", "paid", "shipped", "completed", "cancelled", "refunded"
]


def _strip(value: str) -> str:
    value = value.strip()
    problem = text_problem(value) or (None if value else "must not be blank")
    if problem is not None:
        raise ValueError(problem)
    return value


class AddressIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=60)
    phone: str = Field(min_length=3, max_length=30)
    region: str = Field(min_length=1, max_length=120)
    line1: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(default="", max_length=20)
    is_default: bool = False

    @field_validator("recipient", "phone", "region", "line1")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _strip(value)

    @field_validator("postal_code")
    @classmethod
    def _strip_postal(cls, value: str) -> str:
        return _strip(value) if value.strip() else ""


class AddressPatch(BaseModel):
    recipient: str | None = Field(default=None, min_length=1, max_length=60)
    phone: str | None = Field(default=None, min_length=3, max_length=30)
    region: str | None = Field(default=None, min_length=1, max_length=120)
    line1: str | None = Field(default=None, min_length=1, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    is_default: bool | None = None

    @field_validator("recipient", "phone", "region", "line1")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return None if value is None else _strip(value)

    @field_validator("postal_code")
    @classmethod
    def _strip_postal(cls, value: str | None) -> str | None:
        return None if value is None else _strip(value) if value.strip() else ""


class AddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    recipient: str
    phone: str
    region: str
    line1: str
    postal_code: str
    is_default: bool
    created_at: datetime


class AddressList(BaseModel):
    items: list[AddressOut]
    next_cursor: str | None = None


class OrderCreate(BaseModel):
    sku_id: str = Field(min_length=1, max_length=32)
    quantity: StrictInt = Field(ge=1, le=99)
    address_id: str = Field(min_length=1, max_length=32)
    session_id: str | None = Field(default=None, min_length=1, max_length=32)
    # Buying from an ended session's replay (回放): allowed only with this explicit flag.
    from_replay: bool = False
    # Claimed coupons from the buyer's wallet (GET /coupons/mine); applied at checkout.
    coupon_claim_ids: list[str] = Field(default_factory=list, max_length=5)
    # Bought from a short video (its buy sheet): the video is recorded as the order's source.
    video_id: str | None = Field(default=None, min_length=1, max_length=32)


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: str
    sku_id: str
    title: str
    spec: dict[str, Any]
    unit_price_cents: int
    quantity: int
    line_total_cents: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    buyer_id: str
    merchant_id: str
    currency: str
    subtotal_cents: int
    discount_cents: int
    total_cents: int
    items: list[OrderItemOut]
    session_id: str | None
    video_id: str | None = None
    room_id: str | None
    host_id: str | None
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    cancel_reason: str | None
    carrier: str | None
    tracking_number: str | None
    shipping_address: dict[str, Any]
    flash_sale_id: str | None = None


class OrderList(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = None


class ShipRequest(BaseModel):
    carrier: str = Field(min_length=1, max_length=40)
    tracking_number: str = Field(min_length=1, max_length=60)

    @field_validator("carrier", "tracking_number")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _strip(value)


class RefundRequestIn(BaseModel):
    reason: str = Field(default="", max_length=300, description="Why, for the merchant.")


class RefundRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    order_id: str
    room_id: str
    merchant_id: str
    requested_by: str
    reason: str
    status: Literal["pending", "approved", "declined"]
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class RefundRequestList(BaseModel):
    items: list[RefundRequestOut]
    next_cursor: str | None = None
