from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from livecommerce.catalog.schemas import MAX_PRICE_CENTS

SessionStatusName = Literal["scheduled", "live", "interrupted", "ended", "cancelled"]
MAX_TAGS = 10


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _tags(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        tag = value.strip()
        if not tag:
            raise ValueError("tags must not be blank")
        if len(tag) > 20:
            raise ValueError("a tag is at most 20 characters")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


RoomName = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_not_blank)]
SessionTitle = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_not_blank)]
Tags = Annotated[list[str], Field(max_length=MAX_TAGS), AfterValidator(_tags)]
LivePriceCents = Annotated[int, Field(gt=0, le=MAX_PRICE_CENTS)]


# ---- rooms -------------------------------------------------------------------------


class RoomCreate(BaseModel):
    name: RoomName
    bio: str = Field(default="", max_length=2000)
    tags: Tags = Field(default_factory=list)
    catchphrase: str = Field(default="", max_length=120)


class RoomUpdate(BaseModel):
    name: RoomName | None = None
    bio: str | None = Field(default=None, max_length=2000)
    tags: Tags | None = None
    catchphrase: str | None = Field(default=None, max_length=120)


class RoomBrief(BaseModel):
    id: str
    name: str
    avatar_url: str | None
    bio: str
    tags: list[str]
    catchphrase: str
    followers_count: int


class RoomOut(RoomBrief):
    host_id: str
    host_name: str
    following: bool | None = Field(description="Whether the caller follows; null if anonymous.")
    current_session_id: str | None = Field(description="The session on air now, if any.")
    created_at: datetime


class FollowOut(BaseModel):
    room_id: str
    following: bool
    followers_count: int


# ---- sessions ----------------------------------------------------------------------


class SessionCreate(BaseModel):
    title: SessionTitle
    planned_start_at: AwareDatetime


class SessionUpdate(BaseModel):
    title: SessionTitle | None = None
    planned_start_at: AwareDatetime | None = None


class ShowcaseSkuOut(BaseModel):
    id: str
    spec: dict[str, Any]
    price_cents: int = Field(description="What this SKU sells for in the room.")
    stock: int


class ShowcaseItemOut(BaseModel):
    id: str
    session_id: str
    product_id: str
    title: str
    image_url: str | None
    currency: str
    live_price_cents: int | None
    price_cents: int = Field(description="The lowest price a SKU sells for in the room.")
    skus: list[ShowcaseSkuOut]
    position: int


class LiveSessionSummary(BaseModel):
    id: str
    title: str
    status: str
    room_id: str
    room_name: str
    host_id: str
    host_name: str
    cover_url: str | None
    planned_start_at: datetime
    started_at: datetime | None
    online: int


class LiveSessionDetail(LiveSessionSummary):
    ended_at: datetime | None
    room: RoomBrief
    showcase: list[ShowcaseItemOut]
    pinned: ShowcaseItemOut | None


class LiveSessionList(BaseModel):
    items: list[LiveSessionSummary]
    next_cursor: str | None = None


# ---- showcase and pin ----------------------------------------------------------------


class ShowcaseAdd(BaseModel):
    product_id: str = Field(min_length=1, max_length=32)
    live_price_cents: LivePriceCents | None = Field(
        default=None, description="One price for every SKU while in this room; null: catalog."
    )


class ShowcaseItemUpdate(BaseModel):
    live_price_cents: LivePriceCents | None


class ShowcaseOrder(BaseModel):
    item_ids: list[str] = Field(max_length=500)


class ShowcaseList(BaseModel):
    items: list[ShowcaseItemOut]


class PinRequest(BaseModel):
    item_id: str | None


class PinnedOut(BaseModel):
    item: ShowcaseItemOut | None
