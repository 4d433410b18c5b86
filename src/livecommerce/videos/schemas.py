"""Request and response shapes of short videos."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool, StrictInt, field_validator


class VideoUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    tags: list[str] | None = Field(default=None, max_length=10)
    product_ids: list[str] | None = Field(default=None, max_length=10)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return None if value is None else value.strip()

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        tags = []
        for tag in value:
            tag = tag.strip().lstrip("#")
            if not 1 <= len(tag) <= 20:
                raise ValueError("each tag is 1 to 20 characters")
            if tag not in tags:
                tags.append(tag)
        return tags


class PublishIn(BaseModel):
    # Omitted: now. A later time schedules the video (it enters the feed then).
    publish_at: datetime | None = None


class TrimIn(BaseModel):
    start_s: float = Field(ge=0, le=24 * 3600)
    end_s: float = Field(gt=0, le=24 * 3600)


class WatchIn(BaseModel):
    # Milliseconds watched since the last report (the player sends every few seconds).
    watched_ms: StrictInt = Field(ge=0, le=600_000)
    ended: StrictBool = False


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=300)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class FeedSku(BaseModel):
    id: str
    spec: dict[str, str]
    price_cents: int
    stock: int


class FeedProduct(BaseModel):
    id: str
    title: str
    currency: str
    price_cents: int | None
    cover_url: str | None
    skus: list[FeedSku]


class VideoOut(BaseModel):
    id: str
    kind: str
    status: str
    title: str
    tags: list[str]
    product_ids: list[str]
    owner_id: str
    room_id: str | None
    session_id: str | None
    clip_start_s: float | None
    clip_end_s: float | None
    cut_mode: str | None
    duration_s: float
    width: int
    height: int
    has_audio: bool
    size_bytes: int
    progress: int
    error_code: str | None
    created_at: datetime
    published_at: datetime | None
    video_url: str | None
    hls_url: str | None = Field(
        default=None, description="A long video's HLS playlist; null: progressive MP4 only."
    )
    poster_url: str | None


class VideoStatsOut(VideoOut):
    views: int
    completions: int
    completion_rate: float
    watch_s: float
    likes: int
    comments: int
    shares: int
    room_clicks: int
    orders: int
    gmv_cents: int
    feed_exposures: int = Field(default=0, description="Times the home feed showed it.")
    feed_clicks: int = Field(default=0, description="Times it was opened from the home feed.")


class FeedItem(BaseModel):
    id: str
    title: str
    tags: list[str]
    video_url: str
    hls_url: str | None = Field(
        default=None,
        description="A long video's HLS playlist (players stream it; the MP4 stays the "
        "fallback); null for short videos.",
    )
    poster_url: str | None
    duration_s: float
    width: int
    height: int
    host_name: str
    room_id: str | None
    live_session_id: str | None = Field(description="Set while the host is live now.")
    likes: int
    comments: int
    shares: int
    liked: bool
    products: list[FeedProduct]


class FeedOut(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None


class WatchOut(BaseModel):
    video_id: str
    view_counted: bool
    completion_counted: bool
    views: int
    completions: int


class LikeOut(BaseModel):
    video_id: str
    liked: bool
    likes: int


class CommentOut(BaseModel):
    id: str
    user_name: str
    body: str
    created_at: datetime


class CommentsOut(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None = None
    comments: int


class ShareOut(BaseModel):
    video_id: str
    shares: int
    url: str


class RoomClickOut(BaseModel):
    video_id: str
    live_session_id: str
    url: str


class VideoListOut(BaseModel):
    items: list[VideoStatsOut]
    next_cursor: str | None = None
    used_bytes: int
    quota_bytes: int
