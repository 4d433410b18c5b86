"""Short videos: a host's uploads and the clips cut from a session's recording (直播切片)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class VideoKind(StrEnum):
    UPLOAD = "upload"
    CLIP = "clip"


class VideoStatus(StrEnum):
    PROCESSING = "processing"  # checked, transcoded or cut by a worker job
    READY = "ready"  # playable; shown in the feed once published_at has come
    FAILED = "failed"  # the worker refused it; error_code says why
    DISCARDED = "discarded"  # the host threw it away; its files are gone


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_feed", "status", "published_at", "id"),
        Index("ix_videos_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The owner's room: a tap on the "直播中" badge enters it while a session is on air.
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default=VideoKind.UPLOAD)
    status: Mapped[str] = mapped_column(String(12), default=VideoStatus.PROCESSING)
    title: Mapped[str] = mapped_column(String(120), default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    product_ids: Mapped[list[Any]] = mapped_column(default=list)
    # A clip's source: the session whose recording it is cut from, and where.
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="SET NULL"), index=True
    )
    clip_start_s: Mapped[float | None] = mapped_column(Float)
    clip_end_s: Mapped[float | None] = mapped_column(Float)
    cut_mode: Mapped[str | None] = mapped_column(String(10))  # "copy" | "reencode"
    # What the worker found and made.
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    has_audio: Mapped[bool] = mapped_column(Boolean, default=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # A long video also has an HLS rendition (hls/index.m3u8 and its segments).
    has_hls: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    error_code: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    ready_at: Mapped[datetime | None]
    # In the feed from this time (scheduled publishing), once ready.
    published_at: Mapped[datetime | None]
    # Figures, moved by conditional updates (views and completions once per viewer).
    views: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    watch_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    room_clicks: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    gmv_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class VideoView(Base):
    """One viewer (a user, or an anonymous visitor cookie) of one video."""

    __tablename__ = "video_views"
    __table_args__ = (UniqueConstraint("video_id", "viewer_key"),)

    id: Mapped[str] = id_column()
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    viewer_key: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str | None] = mapped_column(String(32))
    watched_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()


class VideoLike(Base):
    __tablename__ = "video_likes"
    __table_args__ = (UniqueConstraint("video_id", "user_id"),)

    id: Mapped[str] = id_column()
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at_column()


class VideoComment(Base):
    __tablename__ = "video_comments"
    __table_args__ = (Index("ix_video_comments_video", "video_id", "created_at"),)

    id: Mapped[str] = id_column()
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()
