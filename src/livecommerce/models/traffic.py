from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class TrafficSource(StrEnum):
    FEED_RECOMMEND = "feed_recommend"
    FEED_FOLLOW = "feed_follow"
    FEED_CATEGORY = "feed_category"
    SEARCH = "search"
    SHARE = "share"
    DIRECT = "direct"
    EXTERNAL = "external"


class FeedImpression(Base):
    """One feed item put in front of a viewer: where, in which feed, by which policy, why.
    Written a page at a time (one INSERT for the page's items)."""

    __tablename__ = "feed_impressions"
    __table_args__ = (
        Index("ix_feed_impressions_visit", "viewer_key", "visit_id"),
        Index("ix_feed_impressions_room_time", "room_id", "created_at"),
        Index("ix_feed_impressions_time", "created_at"),
        Index("ix_feed_impressions_session", "session_id"),
    )

    id: Mapped[str] = id_column()
    # "u:<user id>" or "v:<visitor cookie>": the viewer the item was shown to.
    viewer_key: Mapped[str] = mapped_column(String(40))
    visit_id: Mapped[str] = mapped_column(String(32))
    # What was shown: a live session ("session"), or a short video ("video"), whose id
    # is then in ``session_id`` (the item's id).
    item_kind: Mapped[str] = mapped_column(String(8), default="session")
    session_id: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str] = mapped_column(String(32))
    feed: Mapped[str] = mapped_column(String(12))  # recommend | follow | category
    category: Mapped[str | None] = mapped_column(String(40))
    policy: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(30))  # the first reason's code
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(Integer)
    # Whether the item fits the viewer it was shown to (an interest in one of its tags at
    # least the policy's ``test_match`` share of the viewer's strongest): the feed judges a
    # young session on the exposures and clicks of the viewers it fits.
    fits: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    clicked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class TrafficVisit(Base):
    """A viewer opening a room (or a short video: ``item_kind`` "video", its id in
    ``session_id``), with where they came from."""

    __tablename__ = "traffic_visits"
    __table_args__ = (Index("ix_traffic_visits_session_source", "session_id", "source"),)

    id: Mapped[str] = id_column()
    item_kind: Mapped[str] = mapped_column(String(8), default="session")
    session_id: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str] = mapped_column(String(32))
    viewer_key: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(20))
    impression_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    share_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class TrafficPolicySetting(Base):
    """The policy blend and parameters an operator stored (one row, id ``current``)."""

    __tablename__ = "traffic_policy_settings"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = created_at_column()


class RoomBoost(Base):
    """An operator's pin (always first) or demotion (a fifth of its score) of a room."""

    __tablename__ = "room_boosts"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # pin | demote
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()


class TrafficAudit(Base):
    """What an operator changed in traffic distribution, and when (never updated)."""

    __tablename__ = "traffic_audit"

    id: Mapped[str] = id_column()
    actor_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(20))  # policy | pin | demote | clear
    room_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at_column()


class VideoCandidate(Base):
    """A published short video as the home feed knows it: traffic's own copy of the video's
    card and figures, kept by its listeners of the videos domain's events (traffic never
    reads the videos domain)."""

    __tablename__ = "traffic_video_candidates"
    __table_args__ = (
        Index("ix_traffic_video_candidates_visible", "listed", "ready", "visible_at"),
    )

    video_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))  # upload | clip
    title: Mapped[str] = mapped_column(String(120), default="")
    poster_url: Mapped[str | None] = mapped_column(String(200))
    page_url: Mapped[str] = mapped_column(String(200), default="")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    product_ids: Mapped[list[Any]] = mapped_column(default=list)
    ready: Mapped[bool] = mapped_column(Boolean, default=True)
    visible_at: Mapped[datetime]
    views: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    # False once the video left the feed (kept, so a late card of before cannot bring it
    # back); ``card_at``: when the card or removal applied was published (newest wins).
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    card_at: Mapped[datetime]
