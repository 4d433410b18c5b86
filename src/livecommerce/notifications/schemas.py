from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

CategoryName = Literal["reminders", "fan_messages", "order_updates", "marketing"]


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
