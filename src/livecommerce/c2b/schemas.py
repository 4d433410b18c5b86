"""Request and reply shapes of the C2B API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from livecommerce.kit.types import Cents, Line, Name, UtcDatetime

Quantity = Field(ge=1, le=99, strict=True)


class CustomisationField(BaseModel):
    name: Name = Field(max_length=30)
    max_length: int = Field(default=20, ge=1, le=200, strict=True)


class CampaignCreate(BaseModel):
    sku_id: str = Field(min_length=1, max_length=32)
    more_sku_ids: list[str] = Field(
        default_factory=list,
        max_length=9,
        description="More variants (SKUs of the same product) buyers choose from.",
    )
    title: Name | None = Field(default=None, max_length=120)
    price_cents: Cents = Field(gt=0, le=10**9)
    deposit_cents: Cents = Field(default=0, le=10**9)
    moq: int = Field(ge=1, le=1_000_000, strict=True)
    max_units: int = Field(ge=1, le=1_000_000, strict=True)
    per_buyer_limit: int = Field(default=5, ge=1, le=99, strict=True)
    deadline: UtcDatetime
    expected_ship_at: UtcDatetime
    balance_hours: int = Field(default=48, ge=1, le=24 * 30, strict=True)
    on_balance_default: Literal["forfeit", "refund"] = "forfeit"
    customisation_fields: list[CustomisationField] = Field(default_factory=list, max_length=5)
    session_id: str | None = Field(default=None, max_length=32)
    supplier_id: str | None = Field(default=None, max_length=32)
    supplier_email: str | None = Field(
        default=None, max_length=254, description="The supplier by e-mail, instead of its id."
    )
    extend_share_bp: int = Field(default=0, ge=0, le=10_000, strict=True)
    extend_hours: int = Field(default=24, ge=1, le=24 * 14, strict=True)
    production_at_moq: bool = False


class CampaignUpdate(BaseModel):
    """What to change on an open pre-sale (only the fields given). Price, deposit, MOQ,
    customisation fields and variants only until the first buyer joins."""

    model_config = ConfigDict(extra="forbid")

    title: Name | None = Field(default=None, max_length=120)
    price_cents: Cents | None = Field(default=None, gt=0, le=10**9)
    deposit_cents: Cents | None = Field(default=None, le=10**9)
    moq: int | None = Field(default=None, ge=1, le=1_000_000, strict=True)
    max_units: int | None = Field(default=None, ge=1, le=1_000_000, strict=True)
    per_buyer_limit: int | None = Field(default=None, ge=1, le=99, strict=True)
    deadline: UtcDatetime | None = None
    expected_ship_at: UtcDatetime | None = None
    balance_hours: int | None = Field(default=None, ge=1, le=24 * 30, strict=True)
    on_balance_default: Literal["forfeit", "refund"] | None = None
    customisation_fields: list[CustomisationField] | None = Field(default=None, max_length=5)
    sku_ids: list[str] | None = Field(default=None, min_length=1, max_length=10)
    session_id: str | None = Field(default=None, max_length=32)
    supplier_id: str | None = Field(default=None, max_length=32)
    supplier_email: str | None = Field(default=None, max_length=254)
    extend_share_bp: int | None = Field(default=None, ge=0, le=10_000, strict=True)
    extend_hours: int | None = Field(default=None, ge=1, le=24 * 14, strict=True)
    production_at_moq: bool | None = None


class VariantOut(BaseModel):
    sku_id: str
    label: str


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    merchant_id: str
    product_id: str
    sku_id: str
    variants: list[VariantOut] = Field(
        description="The variants buyers choose from (empty: the one SKU sku_id)."
    )
    sku_ids: list[str] = Field(
        default_factory=list, description="Every variant buyers choose from, sku_id first."
    )
    session_id: str | None
    supplier_id: str | None
    title: str
    currency: str
    price_cents: int
    deposit_cents: int
    moq: int
    max_units: int
    per_buyer_limit: int
    units_reserved: int
    units_paid: int
    deadline: datetime
    balance_deadline: datetime | None
    balance_hours: int
    on_balance_default: str
    expected_ship_at: datetime
    customisation_fields: list[dict[str, Any]]
    extend_share_bp: int
    extend_hours: int
    extended: bool
    production_at_moq: bool
    production_issued: bool
    status: str
    decided_at: datetime | None
    created_at: datetime

    @model_validator(mode="after")
    def _one_variant(self) -> CampaignOut:
        self.sku_ids = [variant.sku_id for variant in self.variants] or [self.sku_id]
        return self


class CampaignList(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None = None


class JoinRequest(BaseModel):
    quantity: int = Quantity
    sku_id: str | None = Field(
        default=None, max_length=32, description="The variant (required with several)."
    )
    address_id: str = Field(min_length=1, max_length=32)
    customisation: dict[str, Line] = Field(default_factory=dict, max_length=5)


class PledgeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    buyer_id: str
    quantity: int
    sku_id: str | None
    customisation: dict[str, Any]
    status: str
    first_order_id: str
    balance_order_id: str | None
    created_at: datetime


class JoinResult(BaseModel):
    pledge: PledgeOut
    order_id: str
    amount_cents: int
    expires_at: datetime


class PledgeList(BaseModel):
    items: list[PledgeOut]
    next_cursor: str | None = None


class ShipPledge(BaseModel):
    carrier: Name = Field(max_length=40)
    tracking_number: Name = Field(max_length=60)


class MyPledgeOut(BaseModel):
    pledge: PledgeOut
    campaign: CampaignOut
    production_status: str | None
    units_made: int
    units_total: int


class MyPledgeList(BaseModel):
    items: list[MyPledgeOut]
    next_cursor: str | None = None


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str | None
    product_id: str | None
    rule: str
    decision: str
    figures: dict[str, Any]
    created_at: datetime


class DecisionList(BaseModel):
    items: list[DecisionOut]
    next_cursor: str | None = None


# ---- production --------------------------------------------------------------------


class ProductionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str | None
    merchant_id: str
    supplier_id: str
    product_id: str
    title: str
    lines: list[dict[str, Any]]
    customisations: list[dict[str, Any]]
    units_total: int
    units_delivered: int
    due_at: datetime
    status: str
    reason: str
    created_at: datetime
    updated_at: datetime


class ProductionList(BaseModel):
    items: list[ProductionOut]
    next_cursor: str | None = None


class ProductionProgress(BaseModel):
    status: Literal["materials", "in_production", "quality_check"]


class DeliveryIn(BaseModel):
    units: int = Field(ge=1, le=1_000_000, strict=True)
    note: Line = Field(default="", max_length=200)


# ---- demand ------------------------------------------------------------------------


class DemandIn(BaseModel):
    variant: Name = Field(max_length=40)
    proposed: bool = False
    price_willing_cents: Cents | None = Field(default=None, le=10**9)
    session_id: str | None = Field(default=None, max_length=32)


class VariantDemand(BaseModel):
    variant: str
    proposed: bool
    votes: int
    average_price_cents: int | None
    priced: int


class DemandOut(BaseModel):
    product_id: str
    variants: list[VariantDemand] = Field(description="Most wanted first (50 by default).")
    next_cursor: str | None = None


class AudienceSummary(BaseModel):
    """The profile (画像) of the people asking: shares, never who they are."""

    size: int
    interests: list[dict[str, Any]] = Field(description="[{name, share}] strongest first")
    price_bands: dict[str, int]
    new: int
    returning: int


class DemandTableRow(BaseModel):
    product_id: str
    product_title: str
    currency: str
    variant: str
    proposed: bool
    votes: int
    average_price_cents: int | None
    priced: int
    profiled: int = Field(description="People asking who allow personalisation.")
    audience: AudienceSummary | None = Field(
        description="Their profile; null when fewer than 3 people can be described."
    )


class DemandTable(BaseModel):
    scope: Literal["products", "room"]
    items: list[DemandTableRow]
    next_cursor: str | None = None


class PollCreate(BaseModel):
    question: Name = Field(max_length=120)
    options: list[Name] = Field(min_length=2, max_length=6)
    product_id: str | None = Field(default=None, max_length=32)


class PollVoteIn(BaseModel):
    option: int = Field(ge=0, le=5, strict=True)


class PollOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    session_id: str
    product_id: str | None
    question: str
    options: list[str]
    counts: list[int]
    status: str
    created_at: datetime


class PollList(BaseModel):
    items: list[PollOut]


class RuleIn(BaseModel):
    kind: Literal["auto_launch", "reorder"]
    enabled: bool = True
    params: dict[str, int | str | bool] = Field(default_factory=dict, max_length=20)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    product_id: str
    kind: str
    params: dict[str, Any]
    enabled: bool


class RuleList(BaseModel):
    items: list[RuleOut]
    next_cursor: str | None = None
