"""Short videos in the home feed.

Traffic sits below the videos domain and never reads it: ``traffic/listeners.py`` keeps
traffic's own row per published video (``traffic_video_candidates``) from the videos
domain's events (the card on publishing and on every change, then views, completions,
likes, comments, shares and orders as they happen). Here those rows become rows of the
ranking's :class:`~livecommerce.traffic.ranking.Catalog` (kind ``video``), next to the
sessions, so the same policies rank both: the pools judge a video on its viewers (views
stand for entries) and promote on the completion rate among others; tags match the
video's tags, its products' categories and its room's tags; its room's exposure cap and
demotion apply. A card opens the video feed at the video, carrying the impression; the
video page reports the click, which becomes the video's visit with its feed as source
(``traffic.video_visit_attributed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.models import (
    FeedImpression,
    RoomBoost,
    TrafficSource,
    TrafficVisit,
    VideoCandidate,
)
from livecommerce.traffic import catalog_version, ranking
from livecommerce.traffic.events import VideoVisitAttributed
from livecommerce.traffic.interests import room_tags
from livecommerce.traffic.repository import traffic_repository
from livecommerce.traffic.schemas import FeedItem, ReasonOut
from livecommerce.traffic.video_repository import COUNTERS, video_candidate_repository
from livecommerce.worker.events import publish

MAX_VIDEOS = 500  # the newest published videos are the feed's video candidates
ITEM_KIND = "video"
# The card fields a ``videos.published`` / ``videos.changed`` event brings.
CARD_FIELDS = (
    "video_id",
    "owner_id",
    "room_id",
    "kind",
    "title",
    "poster_url",
    "page_url",
    "duration_s",
    "width",
    "height",
    "tags",
    "product_ids",
    "ready",
    "visible_at",
    *COUNTERS,
)
# Every column of a catalog but the tags (which are re-indexed when catalogs are merged).
_COLUMNS = tuple(name for name in ranking.empty_columns(0) if name != "tags")


@dataclass
class VideoRows:
    """The video candidates as catalog rows, with what the feed shows of each."""

    catalog: ranking.Catalog
    videos: list[VideoCandidate] = field(default_factory=list)
    room_names: dict[str, str] = field(default_factory=dict)
    categories: list[set[str]] = field(default_factory=list)
    planned_at: list[float] = field(default_factory=list)
    ended_at: list[float] = field(default_factory=list)


class VideoCandidateService:
    # ---- kept from the videos domain's events -----------------------------------------------

    async def do_store_card(self, session: AsyncSession, card: Mapping[str, Any]) -> None:
        """A published video's card, new or changed (its figures as they were then)."""
        values = {name: card[name] for name in CARD_FIELDS if name in card}
        values["title"] = str(values.get("title", ""))[:120]
        values["tags"] = [str(tag) for tag in values.get("tags", [])]
        values["product_ids"] = [str(pid) for pid in values.get("product_ids", [])]
        values["listed"] = True
        values["card_at"] = card.get("at") or utcnow()
        await video_candidate_repository.upsert(session, values)
        catalog_version.invalidate_after_commit(session)

    async def do_remove(self, session: AsyncSession, video_id: str, at: datetime) -> None:
        await video_candidate_repository.unlist(session, video_id, at)
        catalog_version.invalidate_after_commit(session)

    async def do_count(self, session: AsyncSession, video_id: str, **deltas: int) -> bool:
        """Views, completions, likes, … of a video the feed holds (others are ignored)."""
        return await video_candidate_repository.add_to_counters(session, video_id, **deltas)

    # ---- candidates ---------------------------------------------------------------------------

    async def rows(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        window: Mapping[str, int],
        boosts: Mapping[str, RoomBoost],
        known: list[str],
    ) -> VideoRows:
        """Ready videos of a room whose publishing time has come, newest first, as catalog
        rows: ``exposures`` are feed impressions plus views (the video feed shows one video
        at a time), ``enters`` views, and the rates are over views. Views in the video feed
        are not told apart by fit, so a video is judged on all its viewers (no ``fit_*``)."""
        videos = await video_candidate_repository.visible(session, now, MAX_VIDEOS)
        n = len(videos)
        ids = [video.video_id for video in videos]
        room_ids = [str(video.room_id) for video in videos]
        rooms = await traffic_repository.rooms(session, room_ids)
        categories_of = await traffic_repository.product_categories(
            session, (str(pid) for video in videos for pid in video.product_ids)
        )
        impressions = await traffic_repository.impression_totals(session, ids)
        columns = ranking.empty_columns(n)
        vocabulary: list[str] = []
        tag_index: dict[str, int] = {}
        categories: list[set[str]] = []
        planned_at: list[float] = []
        room_names: dict[str, str] = {}
        for row, video in enumerate(videos):
            room = rooms.get(room_ids[row])
            extra = {str(tag) for tag in video.tags}
            extra |= {categories_of[str(p)] for p in video.product_ids if str(p) in categories_of}
            tags = room_tags([] if room is None else list(room.tags), extra)
            text = video.title if room is None else f"{video.title} {room.name}"
            tags |= {name for name in known if name in text}
            categories.append({name for name in known if name in tags})
            for position, tag in enumerate(sorted(tags)[: ranking.MAX_TAGS]):
                if tag not in tag_index:
                    tag_index[tag] = len(vocabulary)
                    vocabulary.append(tag)
                columns["tags"][row, position] = tag_index[tag]
            shown, clicked, _, _ = impressions.get(video.video_id, (0, 0, 0, 0))
            columns["kind"][row] = ranking.KIND_VIDEO
            columns["exposures"][row] = shown + video.views
            columns["enters"][row] = max(video.views, clicked)
            columns["completions"][row] = video.completions
            columns["likes"][row] = max(0, video.likes)
            columns["comments"][row] = video.comments
            columns["shares"][row] = video.shares
            columns["orders"][row] = video.orders
            columns["age_s"][row] = max(0.0, (now - video.visible_at).total_seconds())
            columns["room_window_exposures"][row] = window.get(room_ids[row], 0)
            boost = boosts.get(room_ids[row])
            # A room's pin puts its live sessions first, not all its videos; a demotion
            # demotes its videos too.
            columns["demoted"][row] = boost is not None and boost.kind == "demote"
            planned_at.append(video.visible_at.timestamp())
            if room is not None:
                room_names[room.id] = room.name
        catalog = ranking.Catalog(
            session_ids=ids,
            room_ids=room_ids,
            vocabulary=vocabulary,
            window_total=float(sum(window.values())),
            tag_index=tag_index,
            **columns,
        )
        return VideoRows(
            catalog=catalog,
            videos=videos,
            room_names=room_names,
            categories=categories,
            planned_at=planned_at,
            ended_at=list(planned_at),  # the follow tab lists them with replays, latest first
        )

    async def feed_figures(
        self, session: AsyncSession, video_ids: list[str]
    ) -> dict[str, tuple[int, int]]:
        """Per video: how often the home feed showed it, and how often it was opened."""
        totals = await traffic_repository.impression_totals(session, video_ids)
        return {video_id: (shown, clicked) for video_id, (shown, clicked, _, _) in totals.items()}

    # ---- the feed's cards, clicks and visits ---------------------------------------------------

    def impression_row(self, video: VideoCandidate) -> dict[str, Any]:
        return {"item_kind": ITEM_KIND, "session_id": video.video_id, "room_id": video.room_id}

    def feed_item(
        self,
        video: VideoCandidate,
        *,
        room_name: str,
        policy: str,
        reasons: list[ReasonOut],
        impression_id: str,
    ) -> FeedItem:
        separator = "&" if "?" in video.page_url else "?"
        return FeedItem(
            kind="video",
            id=video.video_id,
            session_id=None,
            room_id=str(video.room_id),
            title=video.title,
            room_name=room_name,
            cover_url=video.poster_url,
            online=0,
            planned_start_at=video.visible_at,
            reserved=None,
            url=f"{video.page_url}{separator}imp={impression_id}",
            policy=policy,
            reasons=reasons,
            impression_id=impression_id,
            duration_s=video.duration_s,
        )

    async def do_record_visit(
        self,
        session: AsyncSession,
        impression: FeedImpression,
        *,
        viewer_key: str,
        user_id: str | None,
        source: TrafficSource,
    ) -> None:
        """A video card was opened: the video's visit, with its feed as the source."""
        visit = await traffic_repository.add_visit(
            session,
            TrafficVisit(
                id=new_id(),
                item_kind=ITEM_KIND,
                session_id=impression.session_id,
                room_id=impression.room_id,
                viewer_key=viewer_key,
                user_id=user_id,
                source=str(source),
                impression_id=impression.id,
                share_code=None,
                created_at=utcnow(),
            ),
        )
        await publish(
            session,
            VideoVisitAttributed(
                visit_id=visit.id,
                video_id=impression.session_id,
                room_id=impression.room_id,
                user_id=user_id,
                viewer_key=viewer_key,
                source=str(source),
                impression_id=impression.id,
                at=visit.created_at,
            ),
        )


def merged(base: ranking.Catalog, extra: ranking.Catalog) -> ranking.Catalog:
    """One catalog of ``base``'s rows then ``extra``'s (tags re-indexed into one vocabulary)."""
    if len(extra) == 0:
        return base
    vocabulary = list(base.vocabulary)
    tag_index = dict(base.tag_index)
    remap = np.full(len(extra.vocabulary) + 1, -1, dtype=np.int64)  # the last one: padding
    for index, name in enumerate(extra.vocabulary):
        if name not in tag_index:
            tag_index[name] = len(vocabulary)
            vocabulary.append(name)
        remap[index] = tag_index[name]
    columns: dict[str, Any] = {
        name: np.concatenate([_column(base, name), _column(extra, name)])
        for name in (*_COLUMNS, "fit_exposures", "fit_enters")
    }
    return ranking.Catalog(
        session_ids=[*base.session_ids, *extra.session_ids],
        room_ids=[*base.room_ids, *extra.room_ids],
        vocabulary=vocabulary,
        window_total=max(base.window_total, extra.window_total),
        tag_index=tag_index,
        tags=np.concatenate([base.tags, remap[extra.tags]]),
        **columns,
    )


def _column(catalog: ranking.Catalog, name: str) -> Any:
    value = getattr(catalog, name)
    return np.zeros(len(catalog)) if value is None else value


video_candidate_service = VideoCandidateService()
