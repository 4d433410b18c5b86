"""The inbox, each user's choices of what reaches them where, and e-mail deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class NotificationCategory(StrEnum):
    """What a notification is about; a user turns each on or off per channel."""

    REMINDERS = "reminders"  # reserved sessions: soon, live, late, cancelled
    FAN_MESSAGES = "fan_messages"  # a host's messages to its fans
    ORDER_UPDATES = "order_updates"  # paid, shipped, refunded
    MARKETING = "marketing"  # promotions (off for e-mail unless chosen)
    TEAM = "team"  # invitations to a room's team (场控, 客服, 选品)


class EmailStatus(StrEnum):
    PENDING = "pending"  # waiting for its job (or for the recipient's rate limit)
    SENDING = "sending"  # handed to the SMTP server; never handed over again
    SENT = "sent"
    FAILED = "failed"  # refused by the server, or out of attempts
    SKIPPED = "skipped"  # the recipient unsubscribed before it went out


class Notification(Base):
    """One message to one user. ``dedupe_key`` makes a fact notify a user at most once:
    a second insert with the same key (another worker, a retried job) adds nothing."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    link: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    # False when the user turned the in-app channel off for the category: kept for the
    # e-mail and the dedupe key, never listed.
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class NotificationPreference(Base):
    """A user's choice for one category; no row means the category's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = created_at_column()


class EmailDelivery(Base):
    """The e-mail of one notification: sent by a job, at most once."""

    __tablename__ = "email_deliveries"
    __table_args__ = (Index("ix_email_deliveries_user_sent", "user_id", "sent_at"),)

    id: Mapped[str] = id_column()
    notification_id: Mapped[str] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]
