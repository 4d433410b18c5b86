"""The part of ``hello`` every viewer of a session shares, kept between joins.

A surge of viewers into one room would otherwise read the same recent chat and
pinned product from the database once per viewer. The hub keeps the shared part
(session id, status, pinned product, recent chat) per session while it has a
room for it, which is exactly while it listens to the session's channel; any
room message that can change that part drops it, and it is never older than
``ttl_s`` (changes that are not announced to the room, say a product's price,
show within that time). What is the viewer's own (``you``, ``online``,
``likes``) is added per join.

A snapshot read while a room message arrived is not kept: the generation of the
session, taken before reading, must still be current when it is stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from livecommerce.realtime.events import ServerMessage

# Room messages that do not touch the shared part: the counters.
_KEEPS_SNAPSHOT = (
    f'{{"type":"{ServerMessage.ONLINE.value}",',
    f'{{"type":"{ServerMessage.LIKES.value}",',
)


def keeps_snapshot(text: str) -> bool:
    """True for room messages that leave the shared part of hello as it is."""
    return text.startswith(_KEEPS_SNAPSHOT)


class HelloSnapshots:
    ttl_s = 2.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._snapshots: dict[str, tuple[float, dict[str, Any]]] = {}
        self._generations: dict[str, int] = {}

    def get(self, session_id: str) -> dict[str, Any] | None:
        kept = self._snapshots.get(session_id)
        if kept is None:
            return None
        taken_at, snapshot = kept
        if self._clock() - taken_at > self.ttl_s:
            del self._snapshots[session_id]
            return None
        return snapshot

    def generation(self, session_id: str) -> int:
        """Take before reading a snapshot; pass to ``keep``."""
        return self._generations.setdefault(session_id, 0)

    def keep(self, session_id: str, generation: int, snapshot: dict[str, Any]) -> None:
        if self._generations.get(session_id) == generation:
            self._snapshots[session_id] = (self._clock(), snapshot)

    def invalidate(self, session_id: str) -> None:
        self._snapshots.pop(session_id, None)
        if session_id in self._generations:  # only a read under way needs to know
            self._generations[session_id] += 1

    def forget(self, session_id: str) -> None:
        """The hub stopped listening to the session: nothing would invalidate it now,
        so nothing is kept for it, not even what a read under way brings back."""
        self._snapshots.pop(session_id, None)
        self._generations.pop(session_id, None)
