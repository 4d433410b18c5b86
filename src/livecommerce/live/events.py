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
