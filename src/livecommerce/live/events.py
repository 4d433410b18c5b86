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


class SessionScheduled(DomainEvent):
    """A session was scheduled, or its planned start moved."""

    name = "live.session_scheduled"
    session_id: str
    room_id: str
    planned_start_at: datetime


class SessionCancelled(DomainEvent):
    """A scheduled session was cancelled before it went on air."""

    name = "live.session_cancelled"
    session_id: str
    room_id: str
    at: datetime
