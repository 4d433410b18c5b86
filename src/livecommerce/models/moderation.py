from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    display_name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None]
    # The sender's fan-club badge when it was sent ({"name", "level", "lit"}), if a member.
    badge: Mapped[dict[str, Any] | None]


class RoomMute(Base):
    __tablename__ = "room_mutes"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    until: Mapped[datetime | None]  # None: until lifted
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()


class BlockedWord(Base):
    __tablename__ = "blocked_words"
    __table_args__ = (UniqueConstraint("room_id", "word"),)

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    word: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = created_at_column()
