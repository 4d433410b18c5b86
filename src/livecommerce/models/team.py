"""The host's team (团队): staff invited to a room with a role, and what each did."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class StaffRole(StrEnum):
    MODERATOR = "moderator"  # 场控: chat moderation, pins, flash sales, lotteries, coupons, Q&A
    SERVICE = "service"  # 客服: the room's orders, answering questions
    SELECTION = "selection"  # 选品: the showcase before and during a session


class StaffStatus(StrEnum):
    INVITED = "invited"  # waiting for the invitee (until it expires)
    ACTIVE = "active"
    REVOKED = "revoked"  # the invitation withdrawn, or the member removed


class RoomStaff(Base):
    """One invitation to a room's team and, once accepted, the membership it became.

    The invitation's secret is kept as a hash; an e-mail invitation can be accepted
    only by the account with that address, a link invitation by whoever has the link."""

    __tablename__ = "room_staff"
    __table_args__ = (
        Index("ix_room_staff_room_user", "room_id", "user_id", "status"),
        Index("ix_room_staff_user", "user_id", "status"),
    )

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default=StaffStatus.INVITED)
    email: Mapped[str | None] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    invited_by: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class StaffAction(Base):
    """The audit log: one thing a staff member did in a room, with their role then."""

    __tablename__ = "staff_actions"
    __table_args__ = (Index("ix_staff_actions_room_created", "room_id", "created_at", "id"),)

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(30))
    target: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()


class RefundRequestStatus(StrEnum):
    PENDING = "pending"  # waiting for the order's merchant
    APPROVED = "approved"  # the merchant refunded the order
    DECLINED = "declined"


class RefundRequest(Base):
    """A room's 客服 (or its host) asks the order's merchant to refund a room order; the
    merchant approves (the order is refunded) or declines. One pending request per order."""

    __tablename__ = "refund_requests"
    __table_args__ = (
        Index("ix_refund_requests_merchant", "merchant_id", "status", "created_at"),
        Index(
            "uq_refund_requests_pending",
            "order_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    merchant_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default=RefundRequestStatus.PENDING)
    created_at: Mapped[datetime] = created_at_column()
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
