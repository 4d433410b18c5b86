"""Opaque identifiers: never expose counters in URLs."""

from __future__ import annotations

import secrets
import threading
import time
import uuid


def new_id() -> str:
    return uuid.uuid4().hex


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


_ordered_lock = threading.Lock()
_ordered_last = 0


def ordered_id() -> str:
    """An id like `new_id` (32 hex digits, 72 random bits) whose first 14 digits are the
    creation time in microseconds, strictly growing within the process: rows created in bulk
    (an import) then append to their indexes instead of landing on random pages."""
    global _ordered_last
    with _ordered_lock:
        _ordered_last = max(time.time_ns() // 1_000, _ordered_last + 1)
        stamp = _ordered_last
    return f"{stamp:014x}{secrets.randbits(72):018x}"
