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
