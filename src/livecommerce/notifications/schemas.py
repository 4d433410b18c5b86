from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

CategoryName = Literal["reminders", "fan_messages", "order_updates", "marketing", "team"]


class NotificationOut(BaseModel):
    id: str
    category: str
    template: str
    title: str = Field(description="In the caller's language.")
    body: str = Field(description="In the caller's language.")
    link: str | None = Field(description="A path on this site the notification is about.")
    params: dict[str, str]
    read: bool
    created_at: datetime


class NotificationList(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = None
    unread: int


class UnreadOut(BaseModel):
    unread: int


class ChannelChoice(BaseModel):
    category: CategoryName
    in_app: bool
    email: bool


class PreferencesOut(BaseModel):
    items: list[ChannelChoice]


class PreferenceChange(BaseModel):
    category: CategoryName
    in_app: bool | None = None
    email: bool | None = None


class PreferencesIn(BaseModel):
    items: list[PreferenceChange] = Field(min_length=1, max_length=8)


class UnsubscribedOut(BaseModel):
    category: str
    email: bool = False


FanAudience = Literal["all", "followers", "members", "reservers", "buyers", "product_buyers"]


class FanMessageTarget(BaseModel):
    """Who a host's message goes to: one audience of the room."""

    audience: FanAudience = "all"
    min_level: int | None = Field(
        default=None, ge=1, le=20, description="With ``members``: at this fan-club level or up."
    )
    session_id: str | None = Field(
        default=None, max_length=32, description="With ``reservers``: the reserved session."
    )
    product_id: str | None = Field(
        default=None,
        max_length=32,
        description="With ``product_buyers``: a product sold in the room (paid orders).",
    )


class FanMessageIn(FanMessageTarget):
    title: str = Field(min_length=1, max_length=60)
    body: str = Field(min_length=1, max_length=500)
    link: str | None = Field(
        default=None, max_length=300, pattern=r"^/[^/]", description="A path on this site."
    )


class FanMessagePreview(BaseModel):
    audience: int = Field(description="People in the audience.")
    reachable: int = Field(
        description="Of them, those whose choices let fan messages reach them (in-app or e-mail)."
    )
    sent_today: int = Field(description="Messages the host has sent in the last 24 hours.")
    limit_per_day: int


class FanMessageOut(BaseModel):
    id: str
    audience: int
    delivered: int = Field(description="Notifications added (opted-out people get none).")


class SoldProductOut(BaseModel):
    product_id: str
    title: str
    buyers: int = Field(description="People who paid for it in the room.")


class SoldProductList(BaseModel):
    items: list[SoldProductOut]


class BuyerMessageIn(BaseModel):
    body: str = Field(min_length=1, max_length=500)


class BuyerMessageOut(BaseModel):
    order_id: str
    notification_id: str = Field(description="Empty when the buyer turned these off.")
