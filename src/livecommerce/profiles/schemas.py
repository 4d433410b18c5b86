"""Request and response shapes of profiles."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class InterestOut(BaseModel):
    name: str
    score: float


class ProfileOut(BaseModel):
    """A viewer's own profile (画像), as the platform sees it."""

    personalised: bool
    interests: list[InterestOut]
    tags: list[InterestOut]
    hosts: list[str]
    price_band: str | None
    orders_count: int
    spent_cents: int
    last_order_at: datetime | None
    active_hours: list[int]
    events_count: int
    fan_clubs: list[str]
    sources: dict[str, int] = Field(
        default_factory=dict,
        description="Visits per traffic source (feed_recommend, search, share …).",
    )


class PersonalisedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool


class ErasedOut(BaseModel):
    product_actions: int
    behaviour_events: int
    profiles: int
    recommendation_lists: int
    total: int
