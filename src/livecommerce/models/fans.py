"""Fan clubs (粉丝团): membership, intimacy (亲密度) and the daily tallies that cap it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class FanClub(Base):
    """A room's fan club: the name on its badge (灯牌) and how many belong to it."""

    __tablename__ = "fan_clubs"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    badge_name: Mapped[str] = mapped_column(String(12))
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the operator requires a paid badge: buying this product makes the buyer a member.
    badge_product_id: Mapped[str | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()


class FanClubMember(Base):
    """One viewer in one room's fan club. Leaving deletes the row (and the intimacy)."""

    __tablename__ = "fan_club_members"
    __table_args__ = (
        UniqueConstraint("room_id", "user_id"),
        Index("ix_fan_club_members_room_intimacy", "room_id", "intimacy"),
    )

    id: Mapped[str] = id_column()
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    intimacy: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=1)
    joined_at: Mapped[datetime] = created_at_column()
    # The last activity in the room; the badge dims when this is old enough.
    last_active_at: Mapped[datetime] = created_at_column()
    paid_order_id: Mapped[str | None] = mapped_column(String(32))
    # Where the member is watching now, as visits and heartbeats say (the online list).
    present_session_id: Mapped[str | None] = mapped_column(String(32), index=True)
    present_at: Mapped[datetime | None]


class FanIntimacyDay(Base):
    """What a viewer earned in a room on one day, per action: the daily caps read it.

    Keyed by room and user, not by membership, so leaving and joining again the same
    day does not reset the caps."""

    __tablename__ = "fan_intimacy_days"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    watch_seconds: Mapped[int] = mapped_column(Integer, default=0)
    watch_points: Mapped[int] = mapped_column(Integer, default=0)
    chat_points: Mapped[int] = mapped_column(Integer, default=0)
    like_points: Mapped[int] = mapped_column(Integer, default=0)
    share_points: Mapped[int] = mapped_column(Integer, default=0)
    buy_points: Mapped[int] = mapped_column(Integer, default=0)
    total_points: Mapped[int] = mapped_column(Integer, default=0)


class FanChatAward(Base):
    """What one chat message earned, so a message removed by moderation gives it back.

    A removal that arrives first stores the row revoked, and the award then finds it."""

    __tablename__ = "fan_chat_awards"

    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class FanStats(Base):
    """What a viewer did in a room, for the host's fan list: kept from visits and paid
    orders as they happen (members or not)."""

    __tablename__ = "fan_stats"

    room_id: Mapped[str] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_seen_at: Mapped[datetime | None]
    last_session_id: Mapped[str | None] = mapped_column(String(32))
    sessions_watched: Mapped[int] = mapped_column(Integer, default=0)
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    spend_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class ShareLink(Base):
    """A viewer's link to a room, one of its sessions or a product shown there, carrying
    the sharer's attribution code: the people who came through it and what they bought
    are counted for the sharer (and the room's host)."""

    __tablename__ = "share_links"
    __table_args__ = (
        UniqueConstraint("sharer_id", "room_id", "session_id", "product_id"),
        Index("ix_share_links_room", "room_id", "created_at"),
    )

    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(String(16), unique=True)
    sharer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE")
    )
    product_id: Mapped[str | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    visitors_count: Mapped[int] = mapped_column(Integer, default=0)
    buyers_count: Mapped[int] = mapped_column(Integer, default=0)
    # Visitors who followed the room within the attribution window after coming through.
    follows_count: Mapped[int] = mapped_column(Integer, default=0)
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    order_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = created_at_column()


class ShareVisit(Base):
    """One visitor (a signed-in user, or a browser by its visitor cookie) who came through
    a share link: counted once however often they come back, and once as a buyer."""

    __tablename__ = "share_visits"
    __table_args__ = (Index("ix_share_visits_user", "user_id", "room_id", "first_at"),)

    link_id: Mapped[str] = mapped_column(
        ForeignKey("share_links.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    room_id: Mapped[str] = mapped_column(String(32))
    first_at: Mapped[datetime] = created_at_column()
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    followed: Mapped[bool] = mapped_column(Boolean, default=False)  # counted as a follow
