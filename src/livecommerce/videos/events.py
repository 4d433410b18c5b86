"""Facts about short videos, published by the videos service (see docs/architecture.md).

Feeds and dashboards read them: a view and a completion are counted once per viewer,
so ``completions / views`` is the completion rate a traffic pool may promote on."""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent


class VideoPublished(DomainEvent):
    """A video is (or is scheduled to be) in the feed from ``visible_at``."""

    name = "videos.published"
    video_id: str
    owner_id: str
    room_id: str | None
    kind: str
    product_ids: list[str]
    tags: list[str]
    visible_at: datetime


class VideoViewed(DomainEvent):
    """A viewer started watching a video: the first report of this viewer only."""

    name = "videos.viewed"
    video_id: str
    owner_id: str
    viewer_key: str
    user_id: str | None
    at: datetime


class VideoCompleted(DomainEvent):
    """A viewer watched a video to its end: once per viewer, however often they rewatch."""

    name = "videos.completed"
    video_id: str
    owner_id: str
    viewer_key: str
    user_id: str | None
    watched_ms: int
    duration_s: float
    at: datetime


class VideoRoomClicked(DomainEvent):
    """A viewer tapped a video's "直播中" badge into its host's live room."""

    name = "videos.room_clicked"
    video_id: str
    room_id: str
    session_id: str
    user_id: str | None
    at: datetime


class VideoOrderAttributed(DomainEvent):
    """A paid order was bought from a video's buy sheet (counted in its orders and GMV)."""

    name = "videos.order_attributed"
    video_id: str
    owner_id: str
    order_id: str
    buyer_id: str
    total_cents: int
    currency: str
    at: datetime
