"""Facts about short videos, published by the videos service (see docs/architecture.md).

Feeds and dashboards read them: a view and a completion are counted once per viewer,
so ``completions / views`` is the completion rate a traffic pool may promote on."""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent


class VideoCard(DomainEvent):
    """What a feed shows of a published video and ranks it on: its card (title, poster,
    where it plays), its tags and products, and its figures when the event was published
    (later views, completions, likes, … follow as their own events)."""

    video_id: str
    owner_id: str
    room_id: str | None
    kind: str
    product_ids: list[str]
    tags: list[str]
    visible_at: datetime
    title: str = ""
    poster_url: str | None = None
    page_url: str = ""  # the video feed opened at this video
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    ready: bool = True  # processed and playable (a video published while processing: not yet)
    views: int = 0
    completions: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    orders: int = 0
    at: datetime | None = None  # when the card was taken (a newer card replaces an older)


class VideoPublished(VideoCard):
    """A video is (or is scheduled to be) in the feed from ``visible_at``."""

    name = "videos.published"


class VideoChanged(VideoCard):
    """A published video changed: its title, tags or products, or its processing finished
    (or started again: a trimmed clip is ``ready=False`` until it is cut)."""

    name = "videos.changed"


class VideoUnpublished(DomainEvent):
    """A video left the feed: unpublished, discarded, or its processing failed."""

    name = "videos.unpublished"
    video_id: str
    owner_id: str
    at: datetime


class VideoEngaged(DomainEvent):
    """Viewers liked (or un-liked: -1), commented on or shared a video."""

    name = "videos.engaged"
    video_id: str
    likes: int = 0
    comments: int = 0
    shares: int = 0
    at: datetime


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
