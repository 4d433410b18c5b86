"""Facts traffic publishes (see docs/architecture.md, "Domain events")."""

from __future__ import annotations

from datetime import datetime

from livecommerce.kit.events import DomainEvent


class VisitAttributed(DomainEvent):
    """A viewer opened a room and the visit got its traffic source: ``feed_recommend``,
    ``feed_follow``, ``feed_category``, ``search``, ``share``, ``direct`` or ``external``.
    ``impression_id`` is set for feed clicks, ``share_code`` for shared links.
    ``viewer_key`` is ``u:<user id>`` or ``v:<browser visitor id>``."""

    name = "traffic.visit_attributed"
    visit_id: str
    session_id: str
    room_id: str
    user_id: str | None
    source: str
    impression_id: str | None
    share_code: str | None
    at: datetime
    viewer_key: str | None = None


class VideoVisitAttributed(DomainEvent):
    """A viewer opened a short video from a feed card: the video's visit and its traffic
    source (``feed_recommend``, ``feed_follow`` or ``feed_category``), with the impression.
    ``viewer_key`` is ``u:<user id>`` or ``v:<browser visitor id>``."""

    name = "traffic.video_visit_attributed"
    visit_id: str
    video_id: str
    room_id: str
    user_id: str | None
    viewer_key: str
    source: str
    impression_id: str
    at: datetime
