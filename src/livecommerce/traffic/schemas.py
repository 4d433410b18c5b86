from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ReasonOut(BaseModel):
    code: str
    text: str


class FeedItem(BaseModel):
    kind: Literal["live", "upcoming", "replay", "video"]
    id: str = Field(description="The session's id, or the video's (kind video).")
    session_id: str | None = Field(description="The session; null for a short video.")
    room_id: str
    title: str
    room_name: str
    cover_url: str | None
    online: int
    planned_start_at: datetime
    reserved: bool | None = Field(
        default=None, description="Whether the caller reserved the session; null if anonymous."
    )
    url: str = Field(
        description="The room's page (a video: the video feed at the video), carrying the "
        "impression for attribution."
    )
    duration_s: float | None = Field(default=None, description="A short video's length.")
    policy: str
    reasons: list[ReasonOut]
    impression_id: str


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None


class ClickResult(BaseModel):
    counted: bool = Field(description="False: no such impression of yours, or clicked before.")
    visit_source: str | None


class VisitIn(BaseModel):
    session_id: str = Field(max_length=32)
    impression_id: str | None = Field(default=None, max_length=32)
    share_code: str | None = Field(default=None, max_length=16)
    came_from: Literal["search", "direct", "external"] | None = None


class VisitOut(BaseModel):
    source: str
    counted: bool
    reasons: list[ReasonOut] = Field(
        default_factory=list, description="Why the feed showed the room (feed visits only)."
    )


class MetricProgress(BaseModel):
    metric: str
    label: str
    value: float
    threshold: float
    reached: bool
    distance: float


class SourceRow(BaseModel):
    source: str
    exposures: int
    clicks: int
    ctr: float
    visits: int


class TrafficPanel(BaseModel):
    session_id: str
    tier: int
    tiers: int
    exposures: int
    next_tier_sample: int | None
    exposures_to_judge: int
    pool_size: int
    promoted_by: str | None
    metrics: list[MetricProgress]
    sources: list[SourceRow]
    tips: list[str]


class PolicyValues(BaseModel):
    weights: dict[str, float] = Field(description="pools, tags, private, popular")
    pool_scale: float = Field(gt=0, le=100)
    cold_start_share: float = Field(ge=0, le=1)
    judge_share: float = Field(
        default=0.3, ge=0, le=1, description="pools: page share for sessions being judged."
    )
    trial_share: float = Field(
        default=0.6, ge=0, le=1, description="tags: page share for young sessions on trial."
    )
    exposure_cap_share: float = Field(ge=0, le=1)
    exposure_window_s: int = Field(ge=10, le=86400)
    thresholds: dict[str, float]


class BoostIn(BaseModel):
    kind: Literal["pin", "demote", "clear"]


class AuditRow(BaseModel):
    id: str
    at: datetime
    actor_id: str
    action: str
    room_id: str | None
    detail: dict[str, object]


class AuditPage(BaseModel):
    items: list[AuditRow]
    next_cursor: str | None = None


class Distribution(BaseModel):
    window_s: int
    exposures: int
    rooms: int
    gini: float
    top10_share: float
    by_room: list[tuple[str, str, int]]


class RoomControl(BaseModel):
    room_id: str
    name: str
    boost: str | None
    exposures: int


class RoomControlPage(BaseModel):
    items: list[RoomControl]
    next_cursor: str | None = None
