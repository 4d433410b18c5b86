"""Traffic's queries: impressions, visits, share links, stored policy, boosts, audit, and the
read-only aggregates the feed ranks on (sessions, their rooms, tags and behaviour)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    BehaviourEvent,
    FanClubMember,
    FeedImpression,
    Follow,
    LiveSession,
    Product,
    Room,
    RoomBoost,
    ShowcaseItem,
    TrafficAudit,
    TrafficPolicySetting,
    TrafficVisit,
)

POLICY_ROW = "current"


class TrafficRepository:
    # ---- candidates ---------------------------------------------------------------------

    async def sessions_with_status(
        self,
        session: AsyncSession,
        statuses: list[str],
        *,
        order: str,
        after: datetime | None = None,
        before: datetime | None = None,
        limit: int,
    ) -> list[LiveSession]:
        query = select(LiveSession).where(LiveSession.status.in_(statuses))
        if order == "planned":
            if after is not None:
                query = query.where(LiveSession.planned_start_at >= after)
            if before is not None:
                query = query.where(LiveSession.planned_start_at <= before)
            query = query.order_by(LiveSession.planned_start_at, LiveSession.id)
        elif order == "ended":
            if after is not None:
                query = query.where(LiveSession.ended_at >= after)
            query = query.order_by(LiveSession.ended_at.desc(), LiveSession.id)
        else:
            query = query.order_by(LiveSession.started_at.desc(), LiveSession.id)
        return list((await session.scalars(query.limit(limit))).all())

    async def rooms(self, session: AsyncSession, room_ids: Iterable[str]) -> dict[str, Room]:
        ids = list(set(room_ids))
        if not ids:
            return {}
        rows = await session.scalars(select(Room).where(Room.id.in_(ids)))
        return {room.id: room for room in rows}

    async def showcase_categories(
        self, session: AsyncSession, session_ids: Iterable[str]
    ) -> dict[str, set[str]]:
        ids = list(session_ids)
        found: dict[str, set[str]] = {}
        if not ids:
            return found
        rows = await session.execute(
            select(ShowcaseItem.session_id, Product.category)
            .join(Product, Product.id == ShowcaseItem.product_id)
            .where(ShowcaseItem.session_id.in_(ids))
        )
        for session_id, category in rows:
            if category:
                found.setdefault(session_id, set()).add(str(category))
        return found

    async def behaviour_totals(
        self, session: AsyncSession, session_ids: Iterable[str]
    ) -> dict[str, dict[str, tuple[int, int]]]:
        """Per session and kind: (events, sum of values)."""
        ids = list(session_ids)
        totals: dict[str, dict[str, tuple[int, int]]] = {}
        if not ids:
            return totals
        rows = await session.execute(
            select(
                BehaviourEvent.session_id,
                BehaviourEvent.kind,
                func.count(),
                func.coalesce(func.sum(BehaviourEvent.value), 0),
            )
            .where(BehaviourEvent.session_id.in_(ids))
            .group_by(BehaviourEvent.session_id, BehaviourEvent.kind)
        )
        for session_id, kind, count, value in rows:
            totals.setdefault(str(session_id), {})[str(kind)] = (int(count), int(value))
        return totals

    async def follows_since(
        self, session: AsyncSession, starts: dict[str, tuple[str, datetime]]
    ) -> dict[str, int]:
        """Per session: follows of its room since the session went on air."""
        counts: dict[str, int] = {}
        if not starts:
            return counts
        earliest = min(start for _, start in starts.values())
        rows = await session.execute(
            select(Follow.room_id, Follow.created_at).where(
                Follow.room_id.in_({room for room, _ in starts.values()}),
                Follow.created_at >= earliest,
            )
        )
        by_room: dict[str, list[datetime]] = {}
        for room_id, created_at in rows:
            by_room.setdefault(room_id, []).append(created_at)
        for session_id, (room_id, start) in starts.items():
            counts[session_id] = sum(1 for at in by_room.get(room_id, ()) if at >= start)
        return counts

    async def impression_totals(
        self, session: AsyncSession, session_ids: Iterable[str]
    ) -> dict[str, tuple[int, int, int, int]]:
        """Per session: (exposures, clicked exposures, exposures to viewers it fits, clicked
        exposures to viewers it fits)."""
        ids = list(session_ids)
        if not ids:
            return {}
        fitting = FeedImpression.fits.is_(True)
        rows = await session.execute(
            select(
                FeedImpression.session_id,
                func.count(),
                func.count(FeedImpression.clicked_at),
                func.count().filter(fitting),
                func.count(FeedImpression.clicked_at).filter(fitting),
            )
            .where(FeedImpression.session_id.in_(ids))
            .group_by(FeedImpression.session_id)
        )
        return {
            str(sid): (int(shown), int(clicked), int(fit_shown), int(fit_clicked))
            for sid, shown, clicked, fit_shown, fit_clicked in rows
        }

    async def room_exposures_since(self, session: AsyncSession, since: datetime) -> dict[str, int]:
        rows = await session.execute(
            select(FeedImpression.room_id, func.count())
            .where(FeedImpression.created_at >= since)
            .group_by(FeedImpression.room_id)
        )
        return {str(room_id): int(count) for room_id, count in rows}

    async def followed_rooms(self, session: AsyncSession, user_id: str) -> set[str]:
        rows = await session.scalars(select(Follow.room_id).where(Follow.user_id == user_id))
        return set(rows)

    async def fan_rooms(self, session: AsyncSession, user_id: str) -> set[str]:
        rows = await session.scalars(
            select(FanClubMember.room_id).where(FanClubMember.user_id == user_id)
        )
        return set(rows)

    async def shared_rooms(self, session: AsyncSession, viewer_key: str) -> set[str]:
        rows = await session.scalars(
            select(TrafficVisit.room_id)
            .where(TrafficVisit.viewer_key == viewer_key, TrafficVisit.source == "share")
            .distinct()
        )
        return set(rows)

    async def viewer_behaviour(
        self,
        session: AsyncSession,
        *,
        user_id: str | None,
        visitor_id: str | None,
        since: datetime,
        limit: int,
    ) -> list[tuple[str, str | None, str | None, int]]:
        """The viewer's latest behaviour: (kind, room id, product id, value)."""
        if user_id is not None:
            who = BehaviourEvent.user_id == user_id
        elif visitor_id is not None:
            who = BehaviourEvent.visitor_id == visitor_id
        else:
            return []
        rows = await session.execute(
            select(
                BehaviourEvent.kind,
                BehaviourEvent.room_id,
                BehaviourEvent.product_id,
                BehaviourEvent.value,
            )
            .where(who, BehaviourEvent.occurred_at >= since)
            .order_by(BehaviourEvent.id.desc())
            .limit(limit)
        )
        return [(str(kind), room, product, int(value)) for kind, room, product, value in rows]

    async def product_categories(
        self, session: AsyncSession, product_ids: Iterable[str]
    ) -> dict[str, str]:
        ids = list(set(product_ids))
        if not ids:
            return {}
        rows = await session.execute(
            select(Product.id, Product.category).where(Product.id.in_(ids))
        )
        return {str(pid): str(category) for pid, category in rows if category}

    # ---- impressions and visits -----------------------------------------------------------

    async def seen_sessions(
        self, session: AsyncSession, viewer_key: str, visit_id: str
    ) -> set[str]:
        rows = await session.scalars(
            select(FeedImpression.session_id).where(
                FeedImpression.viewer_key == viewer_key, FeedImpression.visit_id == visit_id
            )
        )
        return set(rows)

    async def insert_impressions(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """A page of impressions in one INSERT."""
        if rows:
            await session.execute(insert(FeedImpression), rows)

    async def mark_clicked(
        self, session: AsyncSession, impression_id: str, viewer_key: str, at: datetime
    ) -> FeedImpression | None:
        """The impression, if it is this viewer's and was not clicked before (now it is)."""
        result = await session.execute(
            update(FeedImpression)
            .where(
                FeedImpression.id == impression_id,
                FeedImpression.viewer_key == viewer_key,
                FeedImpression.clicked_at.is_(None),
            )
            .values(clicked_at=at)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        return await session.get(FeedImpression, impression_id)

    async def impression_of(
        self, session: AsyncSession, impression_id: str, viewer_key: str
    ) -> FeedImpression | None:
        found = await session.get(FeedImpression, impression_id)
        return found if found is not None and found.viewer_key == viewer_key else None

    async def clicks_since(self, session: AsyncSession, viewer_key: str, since: datetime) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(FeedImpression)
            .where(FeedImpression.viewer_key == viewer_key, FeedImpression.clicked_at >= since)
        )
        return int(count or 0)

    async def recent_visit(
        self, session: AsyncSession, viewer_key: str, session_id: str, since: datetime
    ) -> TrafficVisit | None:
        found = await session.scalars(
            select(TrafficVisit)
            .where(
                TrafficVisit.viewer_key == viewer_key,
                TrafficVisit.session_id == session_id,
                TrafficVisit.created_at >= since,
            )
            .limit(1)
        )
        return found.first()

    async def add_visit(self, session: AsyncSession, visit: TrafficVisit) -> TrafficVisit:
        session.add(visit)
        await session.flush()
        return visit

    async def exposures_by_feed(
        self, session: AsyncSession, session_id: str
    ) -> dict[str, tuple[int, int]]:
        rows = await session.execute(
            select(FeedImpression.feed, func.count(), func.count(FeedImpression.clicked_at))
            .where(FeedImpression.session_id == session_id)
            .group_by(FeedImpression.feed)
        )
        return {str(feed): (int(shown), int(clicked)) for feed, shown, clicked in rows}

    async def visits_by_source(self, session: AsyncSession, session_id: str) -> dict[str, int]:
        rows = await session.execute(
            select(TrafficVisit.source, func.count())
            .where(TrafficVisit.session_id == session_id)
            .group_by(TrafficVisit.source)
        )
        return {str(source): int(count) for source, count in rows}

    # ---- operator controls ---------------------------------------------------------------

    async def stored_policy(self, session: AsyncSession) -> TrafficPolicySetting | None:
        return await session.get(TrafficPolicySetting, POLICY_ROW)

    async def store_policy(
        self, session: AsyncSession, values: dict[str, Any], actor_id: str, at: datetime
    ) -> None:
        row = await session.get(TrafficPolicySetting, POLICY_ROW)
        if row is None:
            session.add(
                TrafficPolicySetting(
                    id=POLICY_ROW, values=values, updated_by=actor_id, updated_at=at
                )
            )
        else:
            row.values = values
            row.updated_by = actor_id
            row.updated_at = at
        await session.flush()

    async def boosts(self, session: AsyncSession) -> dict[str, RoomBoost]:
        rows = await session.scalars(select(RoomBoost))
        return {row.room_id: row for row in rows}

    async def set_boost(
        self, session: AsyncSession, room_id: str, kind: str | None, actor_id: str
    ) -> None:
        row = await session.get(RoomBoost, room_id)
        if kind is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(RoomBoost(room_id=room_id, kind=kind, created_by=actor_id))
        else:
            row.kind = kind
            row.created_by = actor_id
        await session.flush()

    async def add_audit(self, session: AsyncSession, entry: TrafficAudit) -> None:
        session.add(entry)
        await session.flush()

    async def page_audit(self, session: AsyncSession, page: PageRequest) -> Page[TrafficAudit]:
        return await fetch_page(
            session,
            select(TrafficAudit),
            (desc(TrafficAudit.created_at), asc(TrafficAudit.id)),
            page,
        )


traffic_repository = TrafficRepository()
