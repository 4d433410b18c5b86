"""The lottery draw: a commit–reveal scheme anyone can recompute (docs/lottery.md).

At launch the room is shown ``seed_hash = SHA-256(seed)`` (hex of the ASCII seed).
At the draw the seed and the entrant list (user ids) are published. Each entrant's
ticket is ``HMAC-SHA256(key=seed, message=user_id)`` in lowercase hex; entrants are
ranked by ``(ticket, user_id)`` ascending and the first N win, in that order.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

ALGORITHM = "hmac-sha256-rank-v1"


def new_seed() -> str:
    return secrets.token_hex(32)


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def ticket(seed: str, entrant_id: str) -> str:
    return hmac.new(seed.encode("ascii"), entrant_id.encode("utf-8"), hashlib.sha256).hexdigest()


def draw_winners(seed: str, entrants: Iterable[str], winners: int) -> list[str]:
    """The first ``winners`` entrants ranked by ``(ticket, id)``; duplicates count once."""
    unique = sorted(set(entrants))
    ranked = sorted(unique, key=lambda entrant: (ticket(seed, entrant), entrant))
    return ranked[: max(winners, 0)]
