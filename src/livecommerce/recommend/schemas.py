"""Request and response shapes of recommendations, audiences and campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from livecommerce.catalog.schemas import ProductOut
from livecommerce.profiles.schemas import InterestOut


class ProductList(BaseModel):
    items: list[ProductOut]
    personalised: bool


class RoomPick(BaseModel):
    room_id: str
    room_name: str
    session_id: str
    title: str
    tags: list[str]


class RoomList(BaseModel):
    items: list[RoomPick]


class AudienceOut(BaseModel):
    """A group's profile: its size and mix, never who is in it."""

    size: int
    interests: list[InterestOut]
    price_bands: dict[str, int]
    new: int
    returning: int
    fans: int | None


PriceBand = Literal["under_50", "50_200", "200_1000", "over_1000"]
Buyers = Literal["all", "new", "returning"]


class AudienceFilterIn(BaseModel):
    """Profile conditions narrowing the product's likeliest people."""

    model_config = ConfigDict(extra="forbid")

    interest: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description="A category among the person's three strongest interests now.",
    )
    price_band: PriceBand | None = Field(
        default=None, description="The band the person has bought in most."
    )
    buyers: Buyers = Field(default="all", description="new: no order yet; returning: one or more.")


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(ge=1, le=500, description="People to target (the hold-out is extra).")
    message: str = Field(min_length=1, max_length=200)
    coupon_id: str | None = Field(default=None, max_length=32)
    holdout_share: float = Field(
        default=0.5,
        ge=0.1,
        le=0.5,
        description="The hold-out's share of segment plus hold-out (left alone, for uplift).",
    )
    audience: AudienceFilterIn = Field(default_factory=AudienceFilterIn)


class UpliftOut(BaseModel):
    target_size: int
    holdout_size: int
    target_converted: int
    holdout_converted: int
    target_rate: float
    holdout_rate: float
    uplift: float = Field(description="Target rate minus hold-out rate.")
    relative: float | None


class CampaignOut(BaseModel):
    id: str
    product_id: str | None = Field(description="The promoted product (a merchant's campaign).")
    session_id: str | None = Field(description="The promoted session (a host's campaign).")
    title: str = Field(description="The promoted product's or session's title.")
    coupon_id: str | None
    message: str
    size: int
    reached: int = Field(description="Segment members notified (opt-outs excluded).")
    holdout_share: float
    audience: dict[str, str]
    created_at: datetime
    segment: AudienceOut
    uplift: UpliftOut


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None
