"""The one clock. Tests move time with ``clock.freeze`` / ``clock.advance``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("clock times must be timezone-aware")
        self._frozen = at

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta()


clock = Clock()


def utcnow() -> datetime:
    return clock.now()


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value.tzinfo is UTC:  # the usual case (read back through ``UTCDateTime``)
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
