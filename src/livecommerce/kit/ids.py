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


def ordered_ids(count: int) -> list[str]:
    """`count` ids as `ordered_id` makes them one after the other (growing, the first as
    of now), made at once: a batch of an import names its rows in one call."""
    global _ordered_last
    if count <= 0:
        return []
    with _ordered_lock:
        first = max(time.time_ns() // 1_000, _ordered_last + 1)
        _ordered_last = first + count - 1
    noise = secrets.token_hex(9 * count)
    return [f"{first + n:014x}{noise[18 * n : 18 * n + 18]}" for n in range(count)]
