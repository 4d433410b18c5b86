"""Behaviour events (the raw material of analytics) and the live numbers of a session."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.events import BehaviourItem, BehaviourRecorded
from livecommerce.insights.repository import insights_repository
from livecommerce.insights.schemas import SessionStats
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import NotFound
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import BehaviourEvent, BehaviourKind, User
from livecommerce.worker.events import publish


class _LikeCounter(Protocol):
    async def like_total(self, session_id: str, session: AsyncSession | None = None) -> int: ...


class LiveCounters(Protocol):
    """The room's live counters as insights reads them: the realtime hub
    (``runtime.extras["hub"]``) provides them, and insights never imports it."""

    @property
    def activity(self) -> _LikeCounter: ...

    async def current_online(self, session_id: str) -> int: ...


# A long-lived random id for browsers without an account, so anonymous viewers count once.
VISITOR_COOKIE = "lc_visitor"
_VISITOR_ID = re.compile(r"^[0-9a-f]{32}$")


def valid_visitor_id(value: str | None) -> str | None:
    """The visitor cookie's value if it has the shape we issue, else None."""
    if value is not None and _VISITOR_ID.fullmatch(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class BehaviourRecord:
    """One event of a batch written with a single INSERT."""

    kind: str
    user_id: str | None = None
    visitor_id: str | None = None
    room_id: str | None = None
    session_id: str | None = None
    product_id: str | None = None
    order_id: str | None = None
    value: int = 1
    payload: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None  # None: when the batch is written


class InsightsService:
    async def do_record(
        self,
        session: AsyncSession,
        kind: BehaviourKind,
        *,
        user_id: str | None = None,
        visitor_id: str | None = None,
        room_id: str | None = None,
        session_id: str | None = None,
        product_id: str | None = None,
        order_id: str | None = None,
        value: int = 1,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Add one event to the current unit of work; it is stored only if that commits."""
        now = utcnow()
        session.add(
            BehaviourEvent(
                kind=kind.value,
                user_id=user_id,
                visitor_id=visitor_id,
                room_id=room_id,
                session_id=session_id,
                product_id=product_id,
                order_id=order_id,
                value=value,
                payload=payload or {},
                occurred_at=now,
            )
        )
        if user_id is not None and room_id is not None:
            item = BehaviourItem(
                kind=kind.value,
                user_id=user_id,
                room_id=room_id,
                session_id=session_id,
                product_id=product_id,
                value=value,
                at=now,
            )
            await publish(session, BehaviourRecorded(items=[item]))

    async def do_record_many(self, session: AsyncSession, records: list[BehaviourRecord]) -> None:
        now = utcnow()
        # Plain dicts built field by field (``asdict`` deep-copies every payload), all
        # with the same keys: the repository writes the batch as one executemany.
        await insights_repository.insert_many(
            session,
            [
                {
                    "kind": record.kind,
                    "user_id": record.user_id,
                    "visitor_id": record.visitor_id,
                    "room_id": record.room_id,
                    "session_id": record.session_id,
                    "product_id": record.product_id,
                    "order_id": record.order_id,
                    "value": record.value,
                    "payload": record.payload,
                    "occurred_at": record.occurred_at or now,
                }
                for record in records
            ],
        )
        items = [
            BehaviourItem(
                kind=record.kind,
                user_id=record.user_id,
                room_id=record.room_id,
                session_id=record.session_id,
                product_id=record.product_id,
                value=record.value,
                at=record.occurred_at or now,
            )
            for record in records
            if record.user_id is not None and record.room_id is not None
        ]
        if items:
            # One event for the batch: listeners read it once, however many viewers.
            await publish(session, BehaviourRecorded(items=items))

    async def events_after(
        self, session: AsyncSession, after_id: int, also_ids: list[int], limit: int
    ) -> list[Any]:
        """The stored events a rollup has not read yet: ids past its watermark and the
        older ids it is still waiting for (gaps), oldest first, at most ``limit``; plain
        rows with the columns of ``BehaviourEvent`` but the payload, and ``source``: the
        payload's traffic source, if it names one."""
        return await insights_repository.events_after(session, after_id, also_ids, limit)

    async def last_event_id(self, session: AsyncSession) -> int:
        return await insights_repository.last_id(session)

    async def user_ids_in_room(
        self, session: AsyncSession, room_id: str, limit: int = 1000
    ) -> list[str]:
        """Signed-in people who were in the room, the latest first (a room's audience)."""
        return await insights_repository.user_ids_in_room(session, room_id, limit)

    async def entered_among(
        self, session: AsyncSession, session_id: str, user_ids: Sequence[str], since: datetime
    ) -> set[str]:
        """Which of these users entered the session since then."""
        return await insights_repository.entered_among(session, session_id, user_ids, since)

    async def do_erase_user(self, session: AsyncSession, user_id: str) -> int:
        """Erase a user's behaviour history (the user asked); the number of events erased."""
        return await insights_repository.delete_user(session, user_id)

    async def get_like_total(self, session: AsyncSession, session_id: str) -> int:
        """Likes stored as events (each row carries the likes merged in one flush)."""
        return await insights_repository.sum_values(session, session_id, BehaviourKind.LIKE)

    async def do_record_page_event(
        self,
        session: AsyncSession,
        *,
        session_id: str,
        kind: BehaviourKind,
        product_id: str | None,
        user: User | None,
        visitor_id: str,
    ) -> None:
        live_session = await live_service.get_session(session, session_id)
        if product_id is not None:
            item = await live_service.get_showcase_item_for_product(
                session, live_session.id, product_id
            )
            if item is None:
                raise NotFound(
                    "That product is not in this session's showcase.",
                    code="showcase_item_not_found",
                )
        await self.do_record(
            session,
            kind,
            user_id=user.id if user is not None else None,
            visitor_id=visitor_id,
            room_id=live_session.room_id,
            session_id=live_session.id,
            product_id=product_id,
        )

    async def check_can_view_stats(
        self, session: AsyncSession, user: User, session_id: str
    ) -> None:
        """Sales figures are the host's business: the room's host or a platform admin."""
        live_session = await live_service.get_session(session, session_id)
        await live_service.check_can_moderate(session, user, live_session)

    async def get_session_stats(self, session: AsyncSession, session_id: str) -> SessionStats:
        live_session = await live_service.get_session(session, session_id)
        hub: LiveCounters = runtime_of(session).extras["hub"]
        online = await hub.current_online(live_session.id)
        likes = await hub.activity.like_total(live_session.id, session=session)
        totals = await insights_repository.session_totals(session, live_session.id)
        return SessionStats(
            online=online,
            # The stored peak is raised as viewers join; never report less than now.
            peak_online=max(live_session.peak_online, online),
            viewers=totals.viewers,
            likes=likes,
            chats=totals.chats,
            orders=totals.orders,
            gmv_cents=totals.gmv_cents,
        )


insights_service = InsightsService()
