from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class SessionBrief(BaseModel):
    id: str
    title: str
    status: str
    room_id: str
    room_name: str
    host_id: str
    started_at: datetime | None
    ended_at: datetime | None


class MinutePoint(BaseModel):
    minute: datetime
    online: int
    enters: int
    viewers: int
    likes: int
    comments: int
    product_clicks: int
    orders: int
    paid_orders: int
    gmv_cents: int
    refund_cents: int
    follows: int
    fan_joins: int


class FunnelStep(BaseModel):
    step: str
    value: int
    rate_bp: int


class SourceFigures(BaseModel):
    source: str
    enters: int
    viewers: int
    paid_orders: int
    gmv_cents: int


class ProductFigures(BaseModel):
    product_id: str
    title: str
    explain_seconds: int  # 讲解: how long it was pinned
    clicks: int
    orders: int
    paid_orders: int
    gmv_cents: int
    refund_cents: int
    conversion_bp: int  # paid orders per click


class SessionDashboard(BaseModel):
    session: SessionBrief
    figures: dict[str, int]
    funnel: list[FunnelStep]
    segments: dict[str, dict[str, int]]
    sources: list[SourceFigures]
    minutes: list[MinutePoint]
    products: list[ProductFigures]
    events_applied: int
    rolled_up_at: datetime | None


class Moment(BaseModel):
    kind: str  # pin | flash_sale | lottery | peak | drop
    at: datetime
    label: str


class Comparison(BaseModel):
    metric: str
    value: int
    previous_average: int
    previous_sessions: int


class SessionReport(BaseModel):
    dashboard: SessionDashboard
    comparison: list[Comparison]
    moments: list[Moment]
    top_products: list[ProductFigures]


class SessionListItem(BaseModel):
    id: str
    title: str
    status: str
    room_name: str
    planned_start_at: datetime
    started_at: datetime | None
    gmv_cents: int
    viewers: int


class SessionListPage(BaseModel):
    items: list[SessionListItem]
    next_cursor: str | None


class RankedRow(BaseModel):
    id: str
    name: str
    gmv_cents: int
    gpm_cents: int
    paid_orders: int


class DayPoint(BaseModel):
    day: date
    enters: int
    paid_orders: int
    gmv_cents: int
    refund_cents: int


class MinuteVolume(BaseModel):
    minute: datetime
    enters: int
    paid_orders: int
    gmv_cents: int


class PlatformDashboard(BaseModel):
    rooms_on_air: int
    online: int
    today: dict[str, int]
    per_minute: list[MinuteVolume]
    by_category: list[RankedRow]
    by_source: list[SourceFigures]
    top_rooms: list[RankedRow]
    top_rooms_by_gpm: list[RankedRow]
    top_products: list[RankedRow]
    host_ranking: list[RankedRow]
    days: list[DayPoint]


class SelectionItem(BaseModel):
    product_id: str
    title: str
    category: str
    min_price_cents: int
    currency: str
    paid_orders: int
    gmv_cents: int
    velocity_per_day_x100: int  # paid orders per day over the window, times 100
    clicks: int
    conversion_bp: int
    gpm_cents: int  # GMV per thousand product clicks
    return_rate_bp: int
    growth_bp: int  # last 7 days' GMV against the 7 before (10000 = unchanged)
    rising: bool
    trend: list[int]  # GMV per day, oldest first
    offer_id: str | None
    commission_bp: int | None
    sample_policy: str | None


class SelectionInsight(BaseModel):
    days: int
    categories: list[RankedRow]
    items: list[SelectionItem]


class MerchantProductRoom(BaseModel):
    product_id: str
    title: str
    room_id: str
    room_name: str
    sessions: int
    clicks: int
    paid_orders: int
    gmv_cents: int
    refund_cents: int
    conversion_bp: int


class MerchantProductPage(BaseModel):
    items: list[MerchantProductRoom]
    next_cursor: str | None
