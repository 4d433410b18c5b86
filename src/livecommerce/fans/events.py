"""Facts the fans domain publishes (see docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent


class ShareVisited(DomainEvent):
    """Someone opened a share link (``/s/{code}``): a traffic source of the visit.

    Published on every visit; ``first`` is True only the first time this visitor came
    through this link (the visit counted for the sharer). The visitor is a signed-in
    user (``user_id``) or a browser (``visitor_id``, the ``lc_visitor`` cookie)."""

    name = "fans.share_visited"
    code: str
    link_id: str
    sharer_id: str
    room_id: str
    session_id: str | None
    product_id: str | None
    user_id: str | None
    visitor_id: str | None
    first: bool
    at: datetime
