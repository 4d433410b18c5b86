from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from livecommerce.catalog.schemas import MAX_PRICE_CENTS
from livecommerce.kit.types import MAX_CENTS, Name, Paragraph, StrictInt, UtcDatetime
from livecommerce.live.schemas import LivePrices


class AgencyIn(BaseModel):
    name: Name = Field(min_length=1, max_length=80)


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    owner_id: str
    name: str
    created_at: datetime


class ContractIn(BaseModel):
    # The host: by id, or by the e-mail the host signed up with (exactly one of the two).
    host_id: str | None = Field(default=None, min_length=32, max_length=32)
    host_email: str | None = Field(default=None, min_length=3, max_length=254)
    share_bp: StrictInt = Field(ge=0, le=10000)
    starts_at: UtcDatetime | None = None
    ends_at: UtcDatetime | None = None


class ContractOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    agency_id: str
    host_id: str
    agency_name: str = ""  # names for the consoles, which show no raw ids
    host_name: str = ""
    share_bp: int
    starts_at: datetime
    ends_at: datetime | None
    status: str
    created_at: datetime
    decided_at: datetime | None


class ContractList(BaseModel):
    items: list[ContractOut]
    next_cursor: str | None = None


class StaffIn(BaseModel):
    # The host: by id, or by the e-mail the host signed up with (exactly one of the two).
    host_id: str | None = Field(default=None, min_length=32, max_length=32)
    host_email: str | None = Field(default=None, min_length=3, max_length=254)


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    merchant_id: str
    host_id: str
    merchant_name: str = ""
    host_name: str = ""
    accepted: bool
    created_at: datetime


class StaffList(BaseModel):
    items: list[StaffOut]
    next_cursor: str | None = None


SamplePolicyName = Literal["none", "free", "returnable"]
VisibilityName = Literal["open", "invite_only"]


class OfferIn(BaseModel):
    product_id: str = Field(min_length=32, max_length=32)
    commission_bp: StrictInt = Field(ge=100, le=8000)
    fixed_fee_cents: StrictInt = Field(default=0, ge=0, le=10_000_000)
    sample_policy: SamplePolicyName = "none"
    visibility: VisibilityName = "open"
    starts_at: UtcDatetime | None = None
    ends_at: UtcDatetime | None = None
    note: Paragraph = Field(default="", max_length=2000)
    min_live_price_cents: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_PRICE_CENTS,
        description="The price floor: no SKU sells below it in a host's room; "
        "null: no SKU sells below its catalog price.",
    )
    allow_flash_sales: bool = Field(
        default=False, description="Hosts may commit this product's stock to flash sales."
    )
    allow_prizes: bool = Field(
        default=False, description="Hosts may commit this product's stock to lottery prizes."
    )
    allow_room_coupons: bool = Field(
        default=False,
        description="A host's room coupons may discount this product (the merchant bears it).",
    )


class OfferPatch(BaseModel):
    commission_bp: StrictInt | None = Field(default=None, ge=100, le=8000)
    fixed_fee_cents: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    sample_policy: SamplePolicyName | None = None
    visibility: VisibilityName | None = None
    ends_at: UtcDatetime | None = None
    status: Literal["active", "closed"] | None = None
    note: Paragraph | None = Field(default=None, max_length=2000)
    min_live_price_cents: StrictInt | None = Field(
        default=None, ge=1, le=MAX_PRICE_CENTS, description="null: catalog prices are the floor."
    )
    allow_flash_sales: bool | None = None
    allow_prizes: bool | None = None
    allow_room_coupons: bool | None = None


class OfferOut(BaseModel):
    id: str
    merchant_id: str
    product_id: str
    product_title: str
    category: str
    currency: str
    price_cents: int
    commission_bp: int
    fixed_fee_cents: int
    sample_policy: str
    visibility: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    sales_count: int
    sales_cents: int
    note: str
    min_live_price_cents: int | None
    allow_flash_sales: bool
    allow_prizes: bool
    allow_room_coupons: bool


class OfferList(BaseModel):
    items: list[OfferOut]
    next_cursor: str | None = None


class InviteIn(BaseModel):
    host_ids: list[str] = Field(min_length=1, max_length=100)


class ShowcaseFromOffer(LivePrices):
    session_id: str = Field(min_length=32, max_length=32)


class SampleIn(BaseModel):
    note: Paragraph = Field(default="", max_length=300)
    room_id: str | None = Field(
        default=None,
        max_length=32,
        description="For this room: its host, or a 选品 member of its team acting for it.",
    )


class SampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    offer_id: str
    requester_id: str
    requester_name: str = ""
    status: str
    note: str
    created_at: datetime
    decided_at: datetime | None


class SampleList(BaseModel):
    items: list[SampleOut]
    next_cursor: str | None = None


class AffiliateLinkIn(BaseModel):
    title: Name = Field(min_length=1, max_length=120)
    target_url: HttpUrl
    store_name: Name = Field(min_length=1, max_length=60)
    commission_bp: StrictInt = Field(ge=100, le=8000)
    currency: str = Field(default="CNY", min_length=3, max_length=3)


class AffiliateLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    code: str
    host_id: str
    title: str
    target_url: str
    store_name: str
    commission_bp: int
    currency: str
    postback_secret: str = Field(
        description="The key the store signs this link's postbacks with (HMAC-SHA256)."
    )
    clicks: int
    conversions: int
    sales_cents: int
    created_at: datetime


class AffiliateLinkList(BaseModel):
    items: list[AffiliateLinkOut]
    next_cursor: str | None = None


class PostbackIn(BaseModel):
    code: str = Field(min_length=1, max_length=16)
    external_order_id: str = Field(min_length=1, max_length=80)
    amount_cents: StrictInt = Field(ge=1, le=10_000_000_000)
    currency: str = Field(min_length=3, max_length=3)
    # The commission the store actually pays; unset means the link's rate of the amount.
    commission_cents: StrictInt | None = Field(default=None, ge=0, le=MAX_CENTS)


class ConversionOut(BaseModel):
    id: str
    link_id: str
    external_order_id: str
    amount_cents: int
    commission_cents: int
    created: bool


class HostFigures(BaseModel):
    host_id: str
    display_name: str
    contract_id: str
    contract_status: str
    share_bp: int
    sessions: int
    paid_orders: int
    gmv_cents: int
    host_earned_cents: int
    agency_earned_cents: int  # the agency's share of this host's commission


class AgencyDashboard(BaseModel):
    agency: AgencyOut
    hosts: list[HostFigures]
    agency_earned_cents: int
