"""Facts about live sessions, published by the live service (see docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent


class SessionStarted(DomainEvent):
    """A session went on air: for the first time, or back after an interruption."""

    name = "live.session_started"
    session_id: str
    room_id: str
    resumed: bool
    at: datetime
    reservation_count: int = 0  # viewers who reserved it (预约), as it went on air


class SessionEnded(DomainEvent):
    """A session that was on air (or interrupted) ended."""

    name = "live.session_ended"
    session_id: str
    room_id: str
    at: datetime


class RoomChanged(DomainEvent):
    """A room was created or its persona (name, bio, tags, catchphrase) changed."""

    name = "live.room_changed"
    room_id: str


class SessionChanged(DomainEvent):
    """A session was scheduled, retitled, rescheduled or cancelled."""

    name = "live.session_changed"
    session_id: str
    room_id: str


class SessionScheduled(DomainEvent):
    """A session was scheduled, or its planned start moved."""

    name = "live.session_scheduled"
    session_id: str
    room_id: str
    planned_start_at: datetime
    reservation_count: int  # 0 for a new session; a moved one keeps its reservers


class SessionCancelled(DomainEvent):
    """A scheduled session was cancelled before it went on air."""

    name = "live.session_cancelled"
    session_id: str
    room_id: str
    at: datetime
    reservation_count: int


class SessionReserved(DomainEvent):
    """A viewer reserved an upcoming session (not published again for the same viewer)."""

    name = "live.session_reserved"
    session_id: str
    room_id: str
    user_id: str
    planned_start_at: datetime
    reservation_count: int  # after this one: 1 for the session's first reserver


class RoomFollowed(DomainEvent):
    """A viewer followed a room (not published when they followed it already)."""

    name = "live.room_followed"
    room_id: str
    user_id: str
    at: datetime


class RoomUnfollowed(DomainEvent):
    """A viewer stopped following a room (not published when they did not follow it)."""

    name = "live.room_unfollowed"
    room_id: str
    user_id: str
    at: datetime


class StaffInvited(DomainEvent):
    """A room's host invited someone to the team by e-mail; ``user_id`` when the address
    belongs to an account (told in its inbox). ``path`` is the invitation's link."""

    name = "live.staff_invited"
    staff_id: str
    room_id: str
    room_name: str
    role: str
    email: str
    user_id: str | None
    path: str
