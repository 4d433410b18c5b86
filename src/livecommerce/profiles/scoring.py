"""Profile arithmetic: decayed interest scores, caps, price bands. Pure functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

HALF_LIFE_DAYS = 14.0  # an interest not fed halves every two weeks
MAX_INTERESTS = 20  # categories kept per profile (the weakest is dropped)
MAX_TAGS = 20
MAX_HOSTS = 10
ACTION_WEIGHT = {"pv": 1.0, "fav": 2.0, "cart": 3.0, "buy": 4.0}
# A room visit counts once; a minute watched, a like, a share add to the host's score.
ROOM_WEIGHT = {"enter": 1.0, "heartbeat": 1.0 / 60.0, "like": 0.2, "share": 2.0, "chat": 0.5}
PRICE_BANDS = ((5_000, "under_50"), (20_000, "50_200"), (100_000, "200_1000"))
TOP_BAND = "over_1000"


def price_band(cents: int) -> str:
    for bound, name in PRICE_BANDS:
        if cents < bound:
            return name
    return TOP_BAND


def decay_factor(later: datetime, earlier: datetime) -> float:
    days = (later - earlier).total_seconds() / 86_400.0
    return float(0.5 ** (days / HALF_LIFE_DAYS))


def _cap(scores: dict[str, Any], keep: int) -> dict[str, Any]:
    if len(scores) <= keep:
        return scores
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:keep]
    return dict(ranked)


class Decayed:
    """Several score maps sharing one reference time, so one event rescales them all."""

    def __init__(self, maps: dict[str, dict[str, Any]], scored_at: datetime | None) -> None:
        self.maps = {name: dict(scores) for name, scores in maps.items()}
        self.scored_at = scored_at

    def add(self, name: str, key: str, weight: float, at: datetime, keep: int) -> None:
        if not key or weight <= 0:
            return
        if self.scored_at is None:
            self.scored_at = at
        elif at > self.scored_at:
            factor = decay_factor(at, self.scored_at)
            for scores in self.maps.values():
                for entry in scores:
                    scores[entry] = scores[entry] * factor
            self.scored_at = at
        else:
            weight *= decay_factor(self.scored_at, at)
        scores = self.maps.setdefault(name, {})
        scores[key] = scores.get(key, 0.0) + weight
        self.maps[name] = _cap(scores, keep)

    def rounded(self, name: str) -> dict[str, float]:
        return {key: round(value, 6) for key, value in self.maps.get(name, {}).items()}


def as_of(scores: dict[str, Any], scored_at: datetime | None, now: datetime) -> dict[str, float]:
    """Scores decayed to `now`, strongest first."""
    if scored_at is None:
        return {}
    factor = decay_factor(now, scored_at) if now > scored_at else 1.0
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
    return {key: round(value * factor, 6) for key, value in ranked}
