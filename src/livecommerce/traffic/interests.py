"""A viewer's interests as tag weights.

A signed-in viewer with a profile gets the profile's interests (the profiles domain:
room tags and product categories, decayed to now); one who switched personalisation off
gets none. Anyone else (anonymous visitors, users without a profile yet, a profile with
no interests yet) gets them learned here from the behaviour events (visits, watch time,
likes, shares, product clicks, orders): each event weighs on the tags of its room (and
its product's category). :func:`viewer_interests` is the one seam the feed calls.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.profiles.service import profile_service
from livecommerce.traffic.repository import traffic_repository

LOOKBACK = timedelta(days=30)
MAX_EVENTS = 500
KIND_WEIGHTS = {
    "enter": 1.0,
    "heartbeat": 0.0,  # by its seconds, below
    "like": 0.5,
    "chat": 1.0,
    "share": 3.0,
    "product_click": 2.0,
    "order": 4.0,
    "payment": 6.0,
}


def room_tags(tags: list[object], extra: set[str] | None = None) -> set[str]:
    found = {str(tag).strip() for tag in tags if str(tag).strip()}
    return found | (extra or set())


async def viewer_interests(
    session: AsyncSession, *, user_id: str | None, visitor_id: str | None
) -> dict[str, float]:
    """Tag → weight between 0 and 1 (the strongest interest is 1)."""
    if user_id is not None:
        profile = await profile_service.get_feed_interests(session, user_id)
        if profile is not None and not profile.personalised:
            return {}
        if profile is not None and (profile.tags or profile.categories):
            weights: dict[str, float] = {}
            for interest in (*profile.tags, *profile.categories):
                weights[interest.name] = max(weights.get(interest.name, 0.0), interest.score)
            return _normalised(weights)
    return await behaviour_interests(session, user_id=user_id, visitor_id=visitor_id)


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    top = max(weights.values(), default=0.0)
    return {tag: round(value / top, 4) for tag, value in weights.items()} if top > 0 else {}


async def behaviour_interests(
    session: AsyncSession, *, user_id: str | None, visitor_id: str | None
) -> dict[str, float]:
    """Interests learned from the viewer's recent behaviour events (no profile needed)."""
    events = await traffic_repository.viewer_behaviour(
        session,
        user_id=user_id,
        visitor_id=visitor_id,
        since=utcnow() - LOOKBACK,
        limit=MAX_EVENTS,
    )
    if not events:
        return {}
    rooms = await traffic_repository.rooms(session, (room for _, room, _, _ in events if room))
    categories = await traffic_repository.product_categories(
        session, (product for _, _, product, _ in events if product)
    )
    weights: dict[str, float] = {}
    for kind, room_id, product_id, value in events:
        weight = KIND_WEIGHTS.get(kind, 0.0)
        if kind == "heartbeat":
            weight = min(value, 600) / 120.0
        elif kind == "like":
            weight = 0.5 * min(value, 20) ** 0.5
        if weight <= 0:
            continue
        tags: set[str] = set()
        room = rooms.get(room_id or "")
        if room is not None:
            tags |= room_tags(list(room.tags))
        if product_id is not None and product_id in categories:
            tags.add(categories[product_id])
        for tag in tags:
            weights[tag] = weights.get(tag, 0.0) + weight
    return _normalised(weights)
