"""Request and response shapes of recommendations, audiences and campaigns."""

from __future__ import annotations

from datetime import datetime

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


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(ge=1, le=500)
    message: str = Field(min_length=1, max_length=200)
    coupon_id: str | None = Field(default=None, max_length=32)


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
    product_id: str
    coupon_id: str | None
    message: str
    size: int
    reached: int = Field(description="Segment members notified (opt-outs excluded).")
    created_at: datetime
    segment: AudienceOut
    uplift: UpliftOut
