from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from livecommerce.catalog.schemas import MAX_PRICE_CENTS
from livecommerce.kit.types import Line, Name, Paragraph, StrictInt, UtcDatetime, text_problem

SessionStatusName = Literal["scheduled", "live", "interrupted", "ended", "cancelled"]
MAX_TAGS = 10
MAX_SKU_PRICES = 200


def _tags(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        tag = value.strip()
        if not tag:
            raise ValueError("tags must not be blank")
        if len(tag) > 20:
            raise ValueError("a tag is at most 20 characters")
        problem = text_problem(tag)
        if problem is not None:
            raise ValueError(f"tags {problem}")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


RoomName = Annotated[Name, Field(min_length=1, max_length=60)]
SessionTitle = Annotated[Name, Field(min_length=1, max_length=120)]
Tags = Annotated[list[str], Field(max_length=MAX_TAGS), AfterValidator(_tags)]
MAX_CATCHPHRASES = 5


def _catchphrases(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned


Catchphrases = Annotated[
    list[Annotated[Line, Field(max_length=120)]],
    Field(max_length=MAX_CATCHPHRASES),
    AfterValidator(_catchphrases),
]
LivePriceCents = Annotated[StrictInt, Field(gt=0, le=MAX_PRICE_CENTS)]


# ---- rooms -------------------------------------------------------------------------


class RoomCreate(BaseModel):
    name: RoomName
    bio: Paragraph = Field(default="", max_length=2000)
    tags: Tags = Field(default_factory=list)
    catchphrase: Line = Field(default="", max_length=120)
    catchphrases: Catchphrases | None = Field(
        default=None, description="Several catchphrases (口头禅); the first is `catchphrase`."
    )


class RoomUpdate(BaseModel):
    name: RoomName | None = None
    bio: Paragraph | None = Field(default=None, max_length=2000)
    tags: Tags | None = None
    catchphrase: Line | None = Field(
        default=None, max_length=120, description="Replaces the first catchphrase."
    )
    catchphrases: Catchphrases | None = Field(
        default=None, description="Replaces them all; the first is `catchphrase`."
    )


class RoomBrief(BaseModel):
    id: str
    name: str
    avatar_url: str | None
    bio: str
    tags: list[str]
    catchphrase: str
    catchphrases: list[str]
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
    planned_start_at: UtcDatetime


class SessionUpdate(BaseModel):
    title: SessionTitle | None = None
    planned_start_at: UtcDatetime | None = None


class ShowcaseSkuOut(BaseModel):
    id: str
    spec: dict[str, Any]
    price_cents: int = Field(description="What this SKU sells for in the room.")
    list_price_cents: int = Field(description="The SKU's catalog price.")
    live_price_cents: int | None = Field(description="The SKU's live price; null: catalog.")
    stock: int


class ShowcaseItemOut(BaseModel):
    id: str
    session_id: str
    product_id: str
    title: str
    image_url: str | None
    currency: str
    live_price_cents: int | None = Field(
        description="The lowest live price of the item's SKUs (a single-SKU product: its "
        "live price); null: every SKU sells at its catalog price."
    )
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
    reservation_count: int = Field(description="Viewers who reserved the session (预约).")
    reserved: bool | None = Field(
        default=None, description="Whether the caller reserved it; null if anonymous."
    )


class LiveSessionDetail(LiveSessionSummary):
    ended_at: datetime | None
    room: RoomBrief
    showcase: list[ShowcaseItemOut]
    pinned: ShowcaseItemOut | None


class ReservationOut(BaseModel):
    session_id: str
    reserved: bool
    reservation_count: int


class LiveSessionList(BaseModel):
    items: list[LiveSessionSummary]
    next_cursor: str | None = None


# ---- showcase and pin ----------------------------------------------------------------


class SkuLivePrice(BaseModel):
    sku_id: str = Field(min_length=1, max_length=32)
    live_price_cents: LivePriceCents


class LivePrices(BaseModel):
    """Live prices: ``live_price_cents`` for a single-SKU product, or ``live_prices`` with
    one entry per SKU (SKUs left out sell at their catalog price)."""

    live_price_cents: LivePriceCents | None = Field(
        default=None,
        description="The live price of a product with a single SKU; null: catalog price.",
    )
    live_prices: list[SkuLivePrice] | None = Field(
        default=None,
        max_length=MAX_SKU_PRICES,
        description="A live price per SKU; SKUs left out sell at their catalog price.",
    )


class ShowcaseAdd(LivePrices):
    product_id: str = Field(min_length=1, max_length=32)


class ShowcaseItemUpdate(LivePrices):
    """Replaces the item's live prices; both fields null or absent: catalog prices."""


class ShowcaseOrder(BaseModel):
    item_ids: list[str] = Field(max_length=500)


class ShowcaseList(BaseModel):
    items: list[ShowcaseItemOut]


class PinRequest(BaseModel):
    item_id: str | None


class PinnedOut(BaseModel):
    item: ShowcaseItemOut | None


# ---- the host's team ------------------------------------------------------------------

StaffRoleName = Literal["moderator", "service", "selection"]


class StaffInviteIn(BaseModel):
    role: StaffRoleName = Field(description="场控 moderator, 客服 service, 选品 selection.")
    email: str | None = Field(
        default=None,
        max_length=254,
        pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$",
        description="Only the account with this address may accept; none: a link "
        "invitation, for whoever opens it first.",
    )


class StaffOut(BaseModel):
    id: str
    room_id: str
    role: str
    status: str = Field(description="invited, active or revoked.")
    email: str | None
    user_id: str | None
    display_name: str | None = None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class StaffInviteOut(StaffOut):
    invite_url: str = Field(description="The invitation's link: shown once, share it.")


class StaffList(BaseModel):
    items: list[StaffOut]
    next_cursor: str | None = None


class InviteOut(BaseModel):
    """An invitation as its invitee sees it before accepting."""

    room_id: str
    room_name: str
    role: str
    status: str
    email: str | None
    expires_at: datetime


class MyTeamRoom(BaseModel):
    room_id: str
    room_name: str
    role: str
    actions: list[str] = Field(description="What the role may do in the room.")
    session_id: str | None = Field(
        default=None,
        description="The room's session to work on: the one on air, else the next planned.",
    )
    session_title: str | None = None
    session_status: str | None = None


class MyTeamRooms(BaseModel):
    items: list[MyTeamRoom]
    next_cursor: str | None = None


class StaffActionOut(BaseModel):
    id: str
    user_id: str
    display_name: str | None
    role: str
    action: str
    target: str | None
    created_at: datetime


class StaffActionList(BaseModel):
    items: list[StaffActionOut]
    next_cursor: str | None = None
