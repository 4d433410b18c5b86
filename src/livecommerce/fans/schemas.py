from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from livecommerce.kit.types import Line


class FanBadge(BaseModel):
    """The fan-club badge (灯牌) shown beside a member's name."""

    name: str = Field(description="The club's badge text.")
    level: int = Field(ge=1, le=20)
    lit: bool = Field(description="False once the member has been away from the room a while.")


class FanOnlineOut(BaseModel):
    user_id: str
    display_name: str
    badge: FanBadge


class FanOnlineList(BaseModel):
    items: list[FanOnlineOut]
    next_cursor: str | None = None


FanSegment = Literal["all", "followers", "members"]
FanSort = Literal["level", "last_seen", "spend", "orders", "sessions"]


class FanRow(BaseModel):
    """One person of the host's fan list (followers and fan-club members)."""

    user_id: str
    display_name: str
    following: bool
    member: bool
    level: int | None = Field(description="Fan-club level; null if not a member.")
    badge: FanBadge | None = Field(
        default=None, description="The member's badge (灯牌) as chat shows it; null if not one."
    )
    intimacy: int | None
    joined_at: datetime | None = Field(description="When they joined the fan club.")
    last_seen_at: datetime | None = Field(description="Their last visit to the room.")
    sessions_watched: int
    orders: int = Field(description="Paid orders placed in the room.")
    spend_cents: int


class FanList(BaseModel):
    items: list[FanRow]
    next_cursor: str | None = None


class FanDayOut(BaseModel):
    """Intimacy earned today (in the platform's day), per action, and the caps."""

    watch: int
    chat: int
    like: int
    share: int
    buy: int
    total: int
    caps: dict[str, int]


class FanMembershipOut(BaseModel):
    room_id: str
    intimacy: int
    level: int
    next_level_at: int | None = Field(description="Intimacy needed for the next level.")
    badge: FanBadge
    joined_at: datetime
    last_active_at: datetime
    today: FanDayOut


class FanClubOut(BaseModel):
    room_id: str
    badge_name: str
    members_count: int
    paid: bool = Field(description="Joining means buying the badge product.")
    badge_product_id: str | None
    you: FanMembershipOut | None = Field(description="The caller's membership, if any.")


class FanClubUpdate(BaseModel):
    badge_name: Line | None = Field(default=None, min_length=1, max_length=12)
    badge_product_id: str | None = Field(
        default=None, min_length=1, max_length=32, description="Set to sell the badge."
    )
    clear_badge_product: bool = Field(default=False, description="Stop selling the badge.")


# ---- the host's persona page (主播主页) ---------------------------------------------------


class HostSessionOut(BaseModel):
    id: str
    title: str
    status: str
    cover_url: str | None
    planned_start_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    online: int
    reservation_count: int = Field(description="Viewers who reserved the session (预约).")
    reserved: bool | None = Field(description="Whether the caller reserved it; null if anonymous.")
    replay_url: str | None = Field(description="The recording, for an ended session that has one.")
    products: list[HostProductOut] = Field(description="What the session sold (its showcase).")


class HostProductOut(BaseModel):
    product_id: str
    title: str
    image_url: str | None
    currency: str
    price_cents: int = Field(description="The lowest price it sold for in the room.")


class HostPageOut(BaseModel):
    room_id: str
    name: str
    host_id: str
    host_name: str
    avatar_url: str | None
    bio: str
    tags: list[str]
    catchphrases: list[str]
    followers_count: int
    fans_count: int
    following: bool | None = Field(description="Whether the caller follows; null if anonymous.")
    fan_club: FanClubOut
    live_now: HostSessionOut | None
    upcoming: list[HostSessionOut] = Field(description="The next sessions, soonest first.")
    past: list[HostSessionOut] = Field(description="The latest ended sessions, newest first.")
    shop: list[HostProductOut] = Field(
        description="The host's showcase products, from the newest sessions first."
    )


HostSessionOut.model_rebuild()


class ShareLinkIn(BaseModel):
    """What to share: a room (its host page), one of its sessions, or a product."""

    room_id: str = Field(max_length=32)
    session_id: str | None = Field(default=None, max_length=32)
    product_id: str | None = Field(default=None, max_length=32)


class ShareLinkOut(BaseModel):
    code: str = Field(description="The attribution code the link carries.")
    url: str = Field(description="The link to share: /s/{code} on this site.")
    path: str = Field(description="Where the link leads.")
    room_id: str
    session_id: str | None
    product_id: str | None
    sharer_id: str
    visitors: int = Field(description="People who came through it, each counted once.")
    follows: int = Field(
        default=0,
        description="Of them, those who followed the room within the attribution window.",
    )
    buyers: int = Field(description="Of them, those who paid an order in the room.")
    orders: int
    order_cents: int
    created_at: datetime


class ShareLinkList(BaseModel):
    items: list[ShareLinkOut]
    next_cursor: str | None = None


class ShareTotals(BaseModel):
    """Every share link to a room, added up (the host's view)."""

    links: int
    visitors: int
    follows: int = 0
    buyers: int
    order_cents: int
    items: list[ShareLinkOut]
    next_cursor: str | None = None
