"""Traffic: the feeds a viewer sees, the impressions and visits they leave, the host's
traffic panel and the operator's controls. Ranking itself is pure code in ``ranking``."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.fans.sharing import sharing_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Forbidden, RateLimited, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import BadCursor, PageRequest, decode_cursor, encode_cursor
from livecommerce.kit.runtime import Runtime, runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import (
    LiveSession,
    LiveSessionStatus,
    Role,
    TrafficAudit,
    TrafficSource,
    TrafficVisit,
    User,
    VideoCandidate,
)
from livecommerce.traffic import catalog_version, ranking
from livecommerce.traffic.events import VisitAttributed
from livecommerce.traffic.interests import room_tags, viewer_interests
from livecommerce.traffic.reasons import METRIC_NAMES, reason_text
from livecommerce.traffic.repository import traffic_repository
from livecommerce.traffic.schemas import (
    AuditPage,
    AuditRow,
    ClickResult,
    Distribution,
    FeedItem,
    FeedPage,
    MetricProgress,
    PolicyValues,
    ReasonOut,
    RoomControl,
    RoomControlPage,
    SourceRow,
    TrafficPanel,
    VisitIn,
    VisitOut,
)
from livecommerce.traffic.video_candidates import merged, video_candidate_service
from livecommerce.worker.events import publish

TABS = ("recommend", "follow", "category")
FEED_SOURCE = {
    "recommend": TrafficSource.FEED_RECOMMEND,
    "follow": TrafficSource.FEED_FOLLOW,
    "category": TrafficSource.FEED_CATEGORY,
}
PAGE_SIZE = 10
MAX_ITEMS = 300  # a visit's feed ends after 300 items
MAX_LIVE = 2000
MAX_UPCOMING = 200
MAX_REPLAYS = 200
UPCOMING_AHEAD = timedelta(days=7)
REPLAYS_BACK = timedelta(days=14)
NEW_ROOM_AGE = timedelta(days=3)
VISIT_DEDUPE = timedelta(minutes=30)
_VISIT_ID = re.compile(r"^[0-9a-f]{32}$")
_ON_AIR = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)
_CATALOG_CACHE = "traffic.catalog"


class UnknownTab(ValidationFailed):
    code = "unknown_feed_tab"

    def __init__(self) -> None:
        super().__init__("tab must be recommend, follow or category.")


class UnknownCategory(ValidationFailed):
    code = "unknown_feed_category"

    def __init__(self) -> None:
        super().__init__("No such category: pick one of the home page's category tabs.")


class ClickRateLimited(RateLimited):
    code = "feed_click_rate_limited"

    def __init__(self) -> None:
        super().__init__("Too many clicks: wait a minute.", retry_after_s=60)


class UnknownShareCode(ValidationFailed):
    code = "unknown_share_code"

    def __init__(self) -> None:
        super().__init__("This shared link is not valid.")


class UnknownPolicy(ValidationFailed):
    code = "unknown_traffic_policy"

    def __init__(self) -> None:
        super().__init__("Weights are for pools, tags, private and popular, at least one above 0.")


@dataclass(frozen=True)
class ViewerId:
    """Who is looking: a signed-in user, or a browser's visitor id (or nobody known)."""

    user: User | None
    visitor_id: str | None

    @property
    def key(self) -> str:
        if self.user is not None:
            return f"u:{self.user.id}"
        return f"v:{self.visitor_id or 'anonymous'}"


@dataclass
class Candidates:
    catalog: ranking.Catalog
    sessions: list[LiveSession]
    room_names: dict[str, str]
    planned_at: list[float]
    ended_at: list[float]
    categories: list[set[str]]
    # Rows after the sessions' are short videos (``traffic/video_candidates.py``).
    videos: list[VideoCandidate] = field(default_factory=list)


@dataclass
class PreparedCatalog:
    """One refresh tick's candidates, prepared for ranking, shared by a process's requests
    (``Prepared`` counts what they served, so test pools and caps hold across them)."""

    tick: int
    version: int
    config: ranking.PolicyConfig
    found: Candidates
    prepared: ranking.Prepared


@dataclass
class _CatalogCache:
    entry: PreparedCatalog | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    builds: int = 0  # catalogs prepared in this process (the tests and the bench read it)


class TrafficService:
    # ---- configuration ---------------------------------------------------------------

    async def policy_config(self, session: AsyncSession) -> ranking.PolicyConfig:
        """The settings' blend, overridden by what the admin page stored."""
        settings = runtime_of(session).settings
        values: dict[str, Any] = {
            "weights": dict(settings.traffic_weights),
            "pool_scale": settings.traffic_pool_scale,
            "cold_start_share": settings.traffic_cold_start_share,
            "judge_share": settings.traffic_judge_share,
            "trial_share": settings.traffic_trial_share,
            "exposure_cap_share": settings.traffic_exposure_cap_share,
            "exposure_window_s": settings.traffic_exposure_window_s,
            "thresholds": dict(ranking.DEFAULT_THRESHOLDS),
        }
        stored = await traffic_repository.stored_policy(session)
        if stored is not None:
            values.update({key: value for key, value in stored.values.items() if key in values})
            # A metric added since the operator stored the policy keeps its default.
            values["thresholds"] = {**ranking.DEFAULT_THRESHOLDS, **values["thresholds"]}
        return ranking.PolicyConfig(
            weights={str(k): float(v) for k, v in values["weights"].items()},
            pool_scale=float(values["pool_scale"]),
            cold_start_share=float(values["cold_start_share"]),
            exposure_cap_share=float(values["exposure_cap_share"]),
            exposure_window_s=float(values["exposure_window_s"]),
            thresholds={str(k): float(v) for k, v in values["thresholds"].items()},
            exploration=settings.traffic_exploration,
            evidence=10.0,
            evidence_events=3.0,
            pool_push=1.0,
            judge_share=float(values["judge_share"]),
            trial_share=float(values["trial_share"]),
            trial_smallest_first=True,
        )

    def policy_values(self, config: ranking.PolicyConfig) -> PolicyValues:
        return PolicyValues(
            weights={name: float(config.weights.get(name, 0.0)) for name in ranking.POLICIES},
            pool_scale=config.pool_scale,
            cold_start_share=config.cold_start_share,
            judge_share=config.judge_share,
            trial_share=config.trial_share,
            exposure_cap_share=config.exposure_cap_share,
            exposure_window_s=int(config.exposure_window_s),
            thresholds=dict(config.thresholds),
        )

    def categories(self, session: AsyncSession) -> list[str]:
        return list(runtime_of(session).settings.traffic_categories)

    # ---- candidates ------------------------------------------------------------------

    async def candidates(self, session: AsyncSession, config: ranking.PolicyConfig) -> Candidates:
        """Sessions on air, upcoming in the next week and replays of the last two weeks,
        with everything the policies rank on, as the ranking's columns."""
        now = utcnow()
        live = await traffic_repository.sessions_with_status(
            session, [str(s) for s in _ON_AIR], order="started", limit=MAX_LIVE
        )
        upcoming = await traffic_repository.sessions_with_status(
            session,
            [str(LiveSessionStatus.SCHEDULED)],
            order="planned",
            after=now - timedelta(hours=1),
            before=now + UPCOMING_AHEAD,
            limit=MAX_UPCOMING,
        )
        replays = await traffic_repository.sessions_with_status(
            session,
            [str(LiveSessionStatus.ENDED)],
            order="ended",
            after=now - REPLAYS_BACK,
            limit=MAX_REPLAYS,
        )
        sessions = [*live, *upcoming, *replays]
        n = len(sessions)
        ids = [item.id for item in sessions]
        rooms = await traffic_repository.rooms(session, (item.room_id for item in sessions))
        showcase = await traffic_repository.showcase_categories(session, ids)
        behaviour = await traffic_repository.behaviour_totals(session, [s.id for s in live])
        impressions = await traffic_repository.impression_totals(session, ids)
        follows = await traffic_repository.follows_since(
            session,
            {s.id: (s.room_id, s.started_at) for s in live if s.started_at is not None},
        )
        window_start = now - timedelta(seconds=config.exposure_window_s)
        window = await traffic_repository.room_exposures_since(session, window_start)
        boosts = await traffic_repository.boosts(session)
        known = self.categories(session)

        columns = ranking.empty_columns(n)
        columns["fit_exposures"] = np.zeros(n)
        columns["fit_enters"] = np.zeros(n)
        vocabulary: list[str] = []
        tag_index: dict[str, int] = {}
        categories: list[set[str]] = []
        planned_at: list[float] = []
        ended_at: list[float] = []
        for row, item in enumerate(sessions):
            room = rooms.get(item.room_id)
            kind = (
                ranking.KIND_LIVE
                if item.status in _ON_AIR
                else ranking.KIND_UPCOMING
                if item.status == LiveSessionStatus.SCHEDULED
                else ranking.KIND_REPLAY
            )
            columns["kind"][row] = kind
            text = " ".join([item.title, "" if room is None else f"{room.name} {room.bio}"])
            tags = room_tags([] if room is None else list(room.tags), showcase.get(item.id, set()))
            tags |= {name for name in known if name in text}
            categories.append({name for name in known if name in tags})
            for position, tag in enumerate(sorted(tags)[: ranking.MAX_TAGS]):
                if tag not in tag_index:
                    tag_index[tag] = len(vocabulary)
                    vocabulary.append(tag)
                columns["tags"][row, position] = tag_index[tag]
            if kind == ranking.KIND_LIVE:
                columns["online"][row] = live_service.online_count(session, item.id)
                counts = behaviour.get(item.id, {})
                columns["watch_s"][row] = counts.get("heartbeat", (0, 0))[1]
                columns["likes"][row] = counts.get("like", (0, 0))[1]
                columns["comments"][row] = counts.get("chat", (0, 0))[0]
                columns["shares"][row] = counts.get("share", (0, 0))[0]
                columns["orders"][row] = counts.get("order", (0, 0))[0]
                columns["follows"][row] = follows.get(item.id, 0)
                columns["enters"][row] = counts.get("enter", (0, 0))[0]
                start = item.started_at or item.created_at
                columns["age_s"][row] = max(0.0, (now - start).total_seconds())
            shown, clicked, fit_shown, fit_clicked = impressions.get(item.id, (0, 0, 0, 0))
            columns["exposures"][row] = shown
            # The enter rate is clicks over exposures; other rates are over entries.
            columns["enters"][row] = max(float(columns["enters"][row]), float(clicked))
            # Exposures to viewers the session fits, and the entries they made through them.
            columns["fit_exposures"][row] = fit_shown
            columns["fit_enters"][row] = fit_clicked
            columns["room_window_exposures"][row] = window.get(item.room_id, 0)
            boost = boosts.get(item.room_id)
            columns["pinned"][row] = boost is not None and boost.kind == "pin"
            columns["demoted"][row] = boost is not None and boost.kind == "demote"
            columns["new_room"][row] = room is not None and now - room.created_at <= NEW_ROOM_AGE
            planned_at.append(item.planned_start_at.timestamp())
            ended_at.append((item.ended_at or item.planned_start_at).timestamp())
        catalog = ranking.Catalog(
            session_ids=ids,
            room_ids=[item.room_id for item in sessions],
            vocabulary=vocabulary,
            window_total=float(sum(window.values())),
            tag_index=tag_index,
            **columns,
        )
        videos = await video_candidate_service.rows(
            session, now=now, window=window, boosts=boosts, known=known
        )
        return Candidates(
            catalog=merged(catalog, videos.catalog),
            sessions=sessions,
            room_names={room_id: room.name for room_id, room in rooms.items()} | videos.room_names,
            planned_at=planned_at + videos.planned_at,
            ended_at=ended_at + videos.ended_at,
            categories=categories + videos.categories,
            videos=videos.videos,
        )

    # ---- the shared catalog ------------------------------------------------------------

    def _cache(self, session: AsyncSession) -> _CatalogCache:
        extras = runtime_of(session).extras
        cache = extras.get(_CATALOG_CACHE)
        if not isinstance(cache, _CatalogCache):
            cache = extras[_CATALOG_CACHE] = _CatalogCache()
        return cache

    def catalog_builds(self, runtime: Runtime) -> int:
        """How many catalogs this process has prepared (the tests and the bench read it)."""
        cache = runtime.extras.get(_CATALOG_CACHE)
        return cache.builds if isinstance(cache, _CatalogCache) else 0

    async def prepared_catalog(self, session: AsyncSession) -> PreparedCatalog:
        """This tick's prepared catalog: built by the first request of the tick (or after an
        invalidation), reused by the others. Ticks are ``traffic_catalog_refresh_s`` long and
        aligned on the clock; the version read before building is what the entry is kept
        under, so a change committed while it is built starts another one at once."""
        runtime = runtime_of(session)
        refresh_s = runtime.settings.traffic_catalog_refresh_s
        cache = self._cache(session)
        if refresh_s <= 0:
            cache.builds += 1
            return await self._build_catalog(session, tick=0, version=0)
        tick = int(utcnow().timestamp() // refresh_s)
        version = await catalog_version.current(session)
        entry = cache.entry
        if entry is not None and entry.tick == tick and entry.version == version:
            return entry
        async with cache.lock:
            entry = cache.entry
            if entry is not None and entry.tick == tick and entry.version == version:
                return entry
            entry = await self._build_catalog(session, tick=tick, version=version)
            cache.entry = entry
            cache.builds += 1
            return entry

    async def _build_catalog(
        self, session: AsyncSession, *, tick: int, version: int
    ) -> PreparedCatalog:
        config = await self.policy_config(session)
        found = await self.candidates(session, config)
        return PreparedCatalog(
            tick=tick,
            version=version,
            config=config,
            found=found,
            prepared=ranking.prepare(found.catalog, config),
        )

    async def invalidate_catalog(self, session: AsyncSession) -> None:
        await catalog_version.invalidate(session)

    def invalidate_catalog_after_commit(self, session: AsyncSession) -> None:
        catalog_version.invalidate_after_commit(session)

    # ---- the feed ----------------------------------------------------------------------

    def check_tab(self, session: AsyncSession, tab: str, category: str | None) -> None:
        if tab not in TABS:
            raise UnknownTab()
        if tab == "category" and (category is None or category not in self.categories(session)):
            raise UnknownCategory()
        if tab != "category" and category:
            raise UnknownCategory()

    def _decode(self, cursor: str | None) -> tuple[str, int]:
        """The visit and how many items it has been shown so far."""
        if cursor is None:
            return new_id(), 0
        key = decode_cursor(cursor)
        if len(key) != 2:
            raise BadCursor()
        visit_id, shown = key
        if not isinstance(visit_id, str) or not _VISIT_ID.fullmatch(visit_id):
            raise BadCursor()
        if not isinstance(shown, int) or isinstance(shown, bool) or not 1 <= shown < MAX_ITEMS:
            raise BadCursor()
        return visit_id, shown

    async def feed(
        self,
        session: AsyncSession,
        viewer: ViewerId,
        *,
        tab: str,
        category: str | None,
        cursor: str | None,
        language: str,
        limit: int = PAGE_SIZE,
    ) -> FeedPage:
        """A page of the feed: ranked, never repeating an item of this visit, each item
        stored as an impression (one INSERT for the page) with its reasons."""
        self.check_tab(session, tab, category)
        visit_id, shown = self._decode(cursor)
        limit = min(limit, MAX_ITEMS - shown)
        shared = await self.prepared_catalog(session)
        config, found = shared.config, shared.found
        catalog = found.catalog
        seen = await traffic_repository.seen_sessions(session, viewer.key, visit_id)
        exclude = [row for row, sid in enumerate(catalog.session_ids) if sid in seen]
        followed: set[str] = set()
        fans: set[str] = set()
        if viewer.user is not None:
            followed = await traffic_repository.followed_rooms(session, viewer.user.id)
            fans = await traffic_repository.fan_rooms(session, viewer.user.id)
        if tab == "follow":
            excluded = set(exclude)
            picks = [
                pick
                for pick in ranking.follow_order(
                    catalog, followed, found.planned_at, found.ended_at
                )
                if pick.row not in excluded
            ][:limit]
        else:
            interests = await viewer_interests(
                session,
                user_id=None if viewer.user is None else viewer.user.id,
                visitor_id=viewer.visitor_id,
            )
            shared_rooms = await traffic_repository.shared_rooms(session, viewer.key)
            allowed = None
            if tab == "category":
                allowed = np.array([category in tags for tags in found.categories], dtype=bool)
            picks = ranking.rank(
                shared.prepared,
                ranking.Viewer(
                    followed_rooms=frozenset(followed),
                    fan_rooms=frozenset(fans),
                    shared_rooms=frozenset(shared_rooms),
                    interests=interests,
                ),
                limit,
                exclude=exclude,
                allowed=allowed,
                rng=np.random.default_rng() if config.exploration > 0 else None,
            )
        now = utcnow()
        rows: list[dict[str, Any]] = []
        items: list[FeedItem] = []
        sessions_count = len(found.sessions)
        session_picks = [pick for pick in picks if pick.row < sessions_count]
        summaries = await live_service.session_summaries(
            session, [found.sessions[pick.row] for pick in session_picks], viewer.user
        )
        summary_of = {
            pick.row: summary for pick, summary in zip(session_picks, summaries, strict=True)
        }
        for position, pick in enumerate(picks):
            impression_id = new_id()
            reasons = list(pick.reasons)
            if tab == "category" and category:
                reasons.append(ranking.Reason("category", {"category": category}))
            shown_row = {
                "id": impression_id,
                "viewer_key": viewer.key,
                "visit_id": visit_id,
                "feed": tab,
                "category": category,
                "policy": pick.policy,
                "reason": reasons[0].code if reasons else "",
                "reasons": [{"code": r.code, **dict(r.params)} for r in reasons],
                "position": shown + position,
                "fits": pick.fits,
                "created_at": now,
            }
            if pick.row >= sessions_count:  # a short video
                video = found.videos[pick.row - sessions_count]
                rows.append({**shown_row, **video_candidate_service.impression_row(video)})
                items.append(
                    video_candidate_service.feed_item(
                        video,
                        room_name=found.room_names.get(str(video.room_id), ""),
                        policy=pick.policy,
                        reasons=[
                            ReasonOut(code=r.code, text=reason_text(r.code, r.params, language))
                            for r in reasons
                        ],
                        impression_id=impression_id,
                    )
                )
                continue
            summary = summary_of[pick.row]
            rows.append(
                {
                    **shown_row,
                    "item_kind": "session",
                    "session_id": summary.id,
                    "room_id": summary.room_id,
                }
            )
            kind = ranking.KIND_NAMES[int(catalog.kind[pick.row])]
            items.append(
                FeedItem(
                    kind=kind,
                    id=summary.id,
                    session_id=summary.id,
                    room_id=summary.room_id,
                    title=summary.title,
                    room_name=summary.room_name,
                    cover_url=summary.cover_url,
                    online=summary.online,
                    planned_start_at=summary.planned_start_at,
                    reserved=summary.reserved,
                    url=f"/live/{summary.id}?imp={impression_id}",
                    policy=pick.policy,
                    reasons=[
                        ReasonOut(code=r.code, text=reason_text(r.code, r.params, language))
                        for r in reasons
                    ],
                    impression_id=impression_id,
                )
            )
        await traffic_repository.insert_impressions(session, rows)
        shown += len(items)
        more = len(items) == limit and shown < MAX_ITEMS
        return FeedPage(items=items, next_cursor=encode_cursor([visit_id, shown]) if more else None)

    # ---- clicks and visits -----------------------------------------------------------------

    async def do_click(
        self, session: AsyncSession, viewer: ViewerId, impression_id: str
    ) -> ClickResult:
        """A viewer opened a feed item. Counts once, only for the viewer it was shown to;
        at most ``traffic_clicks_per_minute`` clicks a minute per viewer."""
        now = utcnow()
        limit = runtime_of(session).settings.traffic_clicks_per_minute
        if (
            await traffic_repository.clicks_since(session, viewer.key, now - timedelta(minutes=1))
            >= limit
        ):
            raise ClickRateLimited()
        impression = await traffic_repository.mark_clicked(session, impression_id, viewer.key, now)
        if impression is None:
            return ClickResult(counted=False, visit_source=None)
        source = FEED_SOURCE.get(impression.feed, TrafficSource.FEED_RECOMMEND)
        if impression.item_kind == "video":
            await video_candidate_service.do_record_visit(
                session,
                impression,
                viewer_key=viewer.key,
                user_id=None if viewer.user is None else viewer.user.id,
                source=source,
            )
            return ClickResult(counted=True, visit_source=str(source))
        await self._add_visit(
            session,
            viewer,
            session_id=impression.session_id,
            room_id=impression.room_id,
            source=source,
            impression_id=impression.id,
            share_code=None,
        )
        return ClickResult(counted=True, visit_source=str(source))

    async def do_record_visit(
        self, session: AsyncSession, viewer: ViewerId, data: VisitIn, language: str = "zh"
    ) -> VisitOut:
        """The room page tells where its viewer came from: a feed impression (a click), a
        shared link's code, search, another site or nowhere (direct). One visit per viewer
        and session in half an hour."""
        if data.impression_id:
            click = await self.do_click(session, viewer, data.impression_id)
            impression = await traffic_repository.impression_of(
                session, data.impression_id, viewer.key
            )
            if impression is not None and impression.session_id == data.session_id:
                source = FEED_SOURCE.get(impression.feed, TrafficSource.FEED_RECOMMEND)
                return VisitOut(
                    source=str(source),
                    counted=click.counted,
                    reasons=[
                        ReasonOut(
                            code=str(reason.get("code", "")),
                            text=reason_text(str(reason.get("code", "")), reason, language),
                        )
                        for reason in impression.reasons
                        if isinstance(reason, dict)
                    ],
                )
        live_session = await live_service.get_session(session, data.session_id)
        share_code: str | None = None
        if data.share_code:
            link = await sharing_service.find_by_code(session, data.share_code)
            if link is None:
                raise UnknownShareCode()
            share_code = link.code
            source = TrafficSource.SHARE
        elif data.came_from == "search":
            source = TrafficSource.SEARCH
        elif data.came_from == "external":
            source = TrafficSource.EXTERNAL
        else:
            source = TrafficSource.DIRECT
        now = utcnow()
        if await traffic_repository.recent_visit(
            session, viewer.key, live_session.id, now - VISIT_DEDUPE
        ):
            return VisitOut(source=str(source), counted=False)
        await self._add_visit(
            session,
            viewer,
            session_id=live_session.id,
            room_id=live_session.room_id,
            source=source,
            impression_id=None,
            share_code=share_code,
        )
        return VisitOut(source=str(source), counted=True)

    async def _add_visit(
        self,
        session: AsyncSession,
        viewer: ViewerId,
        *,
        session_id: str,
        room_id: str,
        source: TrafficSource,
        impression_id: str | None,
        share_code: str | None,
    ) -> None:
        visit = await traffic_repository.add_visit(
            session,
            TrafficVisit(
                id=new_id(),
                session_id=session_id,
                room_id=room_id,
                viewer_key=viewer.key if viewer.user or viewer.visitor_id else None,
                user_id=None if viewer.user is None else viewer.user.id,
                source=str(source),
                impression_id=impression_id,
                share_code=share_code,
                created_at=utcnow(),
            ),
        )
        await publish(
            session,
            VisitAttributed(
                visit_id=visit.id,
                session_id=session_id,
                room_id=room_id,
                user_id=visit.user_id,
                source=str(source),
                impression_id=impression_id,
                share_code=share_code,
                at=visit.created_at,
                viewer_key=viewer.key,
            ),
        )

    # ---- the host's panel --------------------------------------------------------------

    async def panel(
        self, session: AsyncSession, user: User, session_id: str, language: str
    ) -> TrafficPanel:
        live_session = await live_service.get_session(session, session_id)
        room = await live_service.get_room(session, live_session.room_id)
        if user.role != Role.PLATFORM_ADMIN:
            live_service.check_can_manage_room(user, room)
        config = await self.policy_config(session)
        found = await self.candidates(session, config)
        catalog = found.catalog
        index = {sid: row for row, sid in enumerate(catalog.session_ids)}
        row = index.get(live_session.id)
        rules = config.tier_rules()
        english = language == "en"
        if row is None:
            exposures, tier, promoted = 0, 1, None
            rates = dict.fromkeys(ranking.METRICS, 0.0)
        else:
            all_rates = ranking.metric_rates(catalog, config)
            rates = {name: float(all_rates[name][row]) for name in ranking.METRICS}
            exposures = int(catalog.exposures[row])
            tier, promoted = ranking.tier_of(exposures, rates, config)
        metrics = []
        for name in ranking.METRICS:
            if name in ranking.VIDEO_ONLY_METRICS:
                continue  # a session is not judged on it
            threshold = float(config.thresholds.get(name, 0.0))
            value = rates[name]
            metrics.append(
                MetricProgress(
                    metric=name,
                    label=METRIC_NAMES[name][1 if english else 0],
                    value=round(value, 4),
                    threshold=threshold,
                    reached=threshold > 0 and value >= threshold,
                    distance=round(max(0.0, threshold - value), 4),
                )
            )
        by_feed = await traffic_repository.exposures_by_feed(session, live_session.id)
        visits = await traffic_repository.visits_by_source(session, live_session.id)
        sources = []
        for source in TrafficSource:
            feed = next((tab for tab, src in FEED_SOURCE.items() if src == source), None)
            shown, clicked = by_feed.get(feed, (0, 0)) if feed else (0, 0)
            sources.append(
                SourceRow(
                    source=str(source),
                    exposures=shown,
                    clicks=clicked,
                    ctr=round(clicked / shown, 4) if shown else 0.0,
                    visits=visits.get(str(source), 0),
                )
            )
        rule = rules[tier - 1]
        next_sample = rule.sample if tier < len(rules) else None
        tips = (
            [
                "Share the room: visits through your link count as share traffic.",
                "Ask viewers to like and comment: the like rate promotes to the next pool.",
                "Pin a product and explain it: orders per 1,000 views promote too.",
            ]
            if english
            else [
                "分享直播间：通过你的链接进来的观众计为分享流量。",
                "引导观众点赞评论：点赞率达标即可晋级下一级流量池。",
                "置顶商品并讲解：千次观看成交同样可以晋级。",
            ]
        )
        return TrafficPanel(
            session_id=live_session.id,
            tier=tier,
            tiers=len(rules),
            exposures=exposures,
            next_tier_sample=next_sample,
            exposures_to_judge=max(0, (next_sample or 0) - exposures),
            pool_size=rule.size,
            promoted_by=None if promoted is None else promoted[0],
            metrics=metrics,
            sources=sources,
            tips=tips,
        )

    # ---- operator controls ----------------------------------------------------------------

    async def do_store_policy(
        self, session: AsyncSession, admin: User, values: PolicyValues
    ) -> PolicyValues:
        weights = {name: float(values.weights.get(name, 0.0)) for name in ranking.POLICIES}
        if set(values.weights) - set(ranking.POLICIES) or not any(w > 0 for w in weights.values()):
            raise UnknownPolicy()
        if any(w < 0 or w > 100 for w in weights.values()):
            raise UnknownPolicy()
        thresholds = {
            name: float(values.thresholds[name])
            for name in ranking.METRICS
            if name in values.thresholds and values.thresholds[name] >= 0
        }
        stored = {
            "weights": weights,
            "pool_scale": values.pool_scale,
            "cold_start_share": values.cold_start_share,
            "judge_share": values.judge_share,
            "trial_share": values.trial_share,
            "exposure_cap_share": values.exposure_cap_share,
            "exposure_window_s": values.exposure_window_s,
            "thresholds": thresholds or dict(ranking.DEFAULT_THRESHOLDS),
        }
        now = utcnow()
        await traffic_repository.store_policy(session, stored, admin.id, now)
        self.invalidate_catalog_after_commit(session)
        await traffic_repository.add_audit(
            session,
            TrafficAudit(actor_id=admin.id, action="policy", detail=stored, created_at=now),
        )
        return self.policy_values(await self.policy_config(session))

    async def do_boost(self, session: AsyncSession, admin: User, room_id: str, kind: str) -> None:
        room = await live_service.get_room(session, room_id)
        await traffic_repository.set_boost(
            session, room.id, None if kind == "clear" else kind, admin.id
        )
        self.invalidate_catalog_after_commit(session)
        await traffic_repository.add_audit(
            session,
            TrafficAudit(
                actor_id=admin.id,
                action=kind,
                room_id=room.id,
                detail={"room_name": room.name},
                created_at=utcnow(),
            ),
        )

    async def audit(self, session: AsyncSession, page: PageRequest) -> AuditPage:
        """The operators' changes to the feed, newest first (50 by default)."""
        found = await traffic_repository.page_audit(session, page)
        return AuditPage(
            items=[
                AuditRow(
                    id=row.id,
                    at=row.created_at,
                    actor_id=row.actor_id,
                    action=row.action,
                    room_id=row.room_id,
                    detail=dict(row.detail),
                )
                for row in found.items
            ],
            next_cursor=found.next_cursor,
        )

    async def boosts(self, session: AsyncSession) -> dict[str, str]:
        return {
            room_id: row.kind for room_id, row in (await traffic_repository.boosts(session)).items()
        }

    async def distribution(self, session: AsyncSession, window_s: int = 86400) -> Distribution:
        """How exposures spread over rooms in the last ``window_s`` seconds."""
        counts = await traffic_repository.room_exposures_since(
            session, utcnow() - timedelta(seconds=window_s)
        )
        rooms = await traffic_repository.rooms(session, counts)
        values = list(counts.values())
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
        return Distribution(
            window_s=window_s,
            exposures=sum(values),
            rooms=len(values),
            gini=round(ranking.gini(values), 4),
            top10_share=round(ranking.top_share(values, 10), 4),
            by_room=[
                (room_id, rooms[room_id].name if room_id in rooms else "", count)
                for room_id, count in top
            ],
        )

    async def room_controls(self, session: AsyncSession, page: PageRequest) -> RoomControlPage:
        """Rooms with a session in the feed, or boosted, with their boost and last day's
        exposures: most exposed first (50 by default). Boosts are not capped, so the list
        pages; its cursor is the last row's (exposures, name, room id)."""
        config = await self.policy_config(session)
        found = await self.candidates(session, config)
        boosts = await self.boosts(session)
        counts = await traffic_repository.room_exposures_since(
            session, utcnow() - timedelta(days=1)
        )
        names = dict(found.room_names)
        missing = set(boosts) - set(names)
        if missing:
            names.update(
                {
                    rid: room.name
                    for rid, room in (await traffic_repository.rooms(session, missing)).items()
                }
            )
        rows = sorted(
            (
                RoomControl(
                    room_id=room_id,
                    name=name,
                    boost=boosts.get(room_id),
                    exposures=counts.get(room_id, 0),
                )
                for room_id, name in names.items()
            ),
            key=_room_order,
        )
        if page.after is not None:
            after = page.after
            if (
                len(after) != 3
                or not isinstance(after[0], int)
                or isinstance(after[0], bool)
                or not all(isinstance(value, str) for value in after[1:])
            ):
                raise BadCursor()
            bound = (-after[0], after[1], after[2])
            rows = [row for row in rows if _room_order(row) > bound]
        if len(rows) <= page.size:
            return RoomControlPage(items=rows, next_cursor=None)
        rows = rows[: page.size]
        last = rows[-1]
        return RoomControlPage(
            items=rows, next_cursor=encode_cursor([last.exposures, last.name, last.room_id])
        )

    def check_admin(self, user: User) -> None:
        if user.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the platform's operators may do this.")

    def visit_time(self, at: datetime) -> str:
        return at.isoformat()


def _room_order(row: RoomControl) -> tuple[int, str, str]:
    return (-row.exposures, row.name, row.room_id)


traffic_service = TrafficService()
