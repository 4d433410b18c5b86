"""Stream keys and publications: who may push video into a room, and when it was on air."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class StreamKey(Base):
    """A room's secret RTMP stream key; rotating revokes the old one (kept for the audit)."""

    __tablename__ = "stream_keys"

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None]


class StreamPublication(Base):
    """One connected publisher pushing a session's video (embedded ingest or nginx-rtmp)."""

    __tablename__ = "stream_publications"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    stream_key_id: Mapped[str] = mapped_column(ForeignKey("stream_keys.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(String(12))  # "embedded" | "nginx"
    client: Mapped[str] = mapped_column(String(80), default="")
    started_at: Mapped[datetime] = created_at_column()
    stopped_at: Mapped[datetime | None]
    bytes_in: Mapped[int] = mapped_column(Integer, default=0)
