from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Order as KeyOrder
from livecommerce.kit.pagination import Page, PageRequest, asc, fetch_page
from livecommerce.models import (
    Follow,
    LiveSession,
    LiveSessionStatus,
    PinEvent,
    Reservation,
    Room,
    ShowcaseItem,
)

ON_AIR = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)


class LiveRepository:
    # ---- rooms -----------------------------------------------------------------------

    async def get_room(self, session: AsyncSession, room_id: str) -> Room | None:
        return await session.get(Room, room_id)

    async def get_room_by_host(self, session: AsyncSession, host_id: str) -> Room | None:
        result = await session.execute(select(Room).where(Room.host_id == host_id))
        return result.scalar_one_or_none()

    async def get_rooms(self, session: AsyncSession, room_ids: set[str]) -> dict[str, Room]:
        if not room_ids:
            return {}
        result = await session.execute(select(Room).where(Room.id.in_(room_ids)))
        return {room.id: room for room in result.scalars()}

    async def get_rooms_of_hosts(
        self, session: AsyncSession, host_ids: set[str]
    ) -> dict[str, Room]:
        if not host_ids:
            return {}
        result = await session.execute(select(Room).where(Room.host_id.in_(host_ids)))
        return {room.host_id: room for room in result.scalars()}

    async def is_following(self, session: AsyncSession, user_id: str, room_id: str) -> bool:
        found = await session.scalar(
            select(Follow.user_id).where(Follow.user_id == user_id, Follow.room_id == room_id)
        )
        return found is not None

    async def insert_follow(self, session: AsyncSession, user_id: str, room_id: str) -> bool:
        """Insert the follow unless it exists; True when a row was added."""
        values: dict[str, Any] = {"user_id": user_id, "room_id": room_id}
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            statement: Any = postgresql_insert(Follow).values(values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite_insert(Follow).values(values).on_conflict_do_nothing()
        else:  # pragma: no cover - the supported databases are above
            if await self.is_following(session, user_id, room_id):
                return False
            statement = insert(Follow).values(values)
        result = await session.execute(statement.returning(Follow.user_id))
        return result.first() is not None

    # ---- reservations ----------------------------------------------------------------

    async def insert_reservation(
        self, session: AsyncSession, user_id: str, session_id: str
    ) -> bool:
        """Insert the reservation unless it exists; True when a row was added."""
        values: dict[str, Any] = {"user_id": user_id, "session_id": session_id}
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            statement: Any = postgresql_insert(Reservation).values(values).on_conflict_do_nothing()
        else:
            statement = sqlite_insert(Reservation).values(values).on_conflict_do_nothing()
        result = await session.execute(statement.returning(Reservation.user_id))
        return result.first() is not None

    async def delete_reservation(
        self, session: AsyncSession, user_id: str, session_id: str
    ) -> bool:
        result = await session.execute(
            delete(Reservation)
            .where(Reservation.user_id == user_id, Reservation.session_id == session_id)
            .returning(Reservation.user_id)
        )
        return result.first() is not None

    async def change_reservations(self, session: AsyncSession, session_id: str, delta: int) -> int:
        result = await session.execute(
            update(LiveSession)
            .where(LiveSession.id == session_id)
            .values(reservation_count=LiveSession.reservation_count + delta)
            .returning(LiveSession.reservation_count)
            .execution_options(synchronize_session=False)
        )
        return int(result.scalar_one())

    async def reservation_count(self, session: AsyncSession, session_id: str) -> int:
        count = await session.scalar(
            select(LiveSession.reservation_count).where(LiveSession.id == session_id)
        )
        return int(count or 0)

    async def reserved_session_ids(
        self, session: AsyncSession, user_id: str, session_ids: set[str]
    ) -> set[str]:
        if not session_ids:
            return set()
        result = await session.execute(
            select(Reservation.session_id).where(
                Reservation.user_id == user_id, Reservation.session_id.in_(session_ids)
            )
        )
        return set(result.scalars())

    async def reservers_among(
        self,
        session: AsyncSession,
        session_id: str,
        user_ids: Sequence[str],
        since: datetime | None = None,
    ) -> set[str]:
        """Which of these users reserved the session (since then, if given)."""
        found: set[str] = set()
        ids = list(user_ids)
        for start in range(0, len(ids), 500):
            query = select(Reservation.user_id).where(
                Reservation.session_id == session_id,
                Reservation.user_id.in_(ids[start : start + 500]),
            )
            if since is not None:
                query = query.where(Reservation.created_at >= since)
            found.update(await session.scalars(query))
        return found

    async def reserver_ids(
        self, session: AsyncSession, session_id: str, *, after: str | None, limit: int
    ) -> list[str]:
        """Reservers of a session in user-id order, ``limit`` at a time after ``after``."""
        query = select(Reservation.user_id).where(Reservation.session_id == session_id)
        if after is not None:
            query = query.where(Reservation.user_id > after)
        result = await session.execute(query.order_by(Reservation.user_id).limit(limit))
        return list(result.scalars())

    async def delete_follow(self, session: AsyncSession, user_id: str, room_id: str) -> bool:
        result = await session.execute(
            delete(Follow)
            .where(Follow.user_id == user_id, Follow.room_id == room_id)
            .returning(Follow.user_id)
        )
        return result.first() is not None

    async def change_followers(self, session: AsyncSession, room_id: str, delta: int) -> int:
        """``followers_count += delta`` in one statement, never below zero; the new count."""
        result = await session.execute(
            update(Room)
            .where(Room.id == room_id, Room.followers_count + delta >= 0)
            .values(followers_count=Room.followers_count + delta)
            .returning(Room.followers_count)
            .execution_options(synchronize_session=False)
        )
        count = result.scalar_one_or_none()
        if count is None:
            count = await self.followers_count(session, room_id)
        return count

    async def followers_count(self, session: AsyncSession, room_id: str) -> int:
        count = await session.scalar(select(Room.followers_count).where(Room.id == room_id))
        return int(count or 0)

    # ---- sessions ----------------------------------------------------------------------

    async def get_session(self, session: AsyncSession, session_id: str) -> LiveSession | None:
        return await session.get(LiveSession, session_id)

    async def get_on_air_session(
        self, session: AsyncSession, room_id: str, *, other_than: str | None = None
    ) -> LiveSession | None:
        conditions: list[ColumnElement[bool]] = [
            LiveSession.room_id == room_id,
            LiveSession.status.in_(ON_AIR),
        ]
        if other_than is not None:
            conditions.append(LiveSession.id != other_than)
        result = await session.execute(
            select(LiveSession).where(*conditions).order_by(LiveSession.started_at.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    async def sessions_of_rooms_for_search(
        self, session: AsyncSession, room_id: str, *, limit: int
    ) -> list[LiveSession]:
        """A room's sessions that describe it: on air first, then upcoming, then latest."""
        rank = case(
            (LiveSession.status.in_(ON_AIR), 0),
            (LiveSession.status == LiveSessionStatus.SCHEDULED, 1),
            else_=2,
        )
        result = await session.execute(
            select(LiveSession)
            .where(
                LiveSession.room_id == room_id,
                LiveSession.status != LiveSessionStatus.CANCELLED,
            )
            .order_by(rank, LiveSession.planned_start_at.desc(), LiveSession.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def on_air_sessions_of_rooms(
        self, session: AsyncSession, room_ids: set[str]
    ) -> dict[str, LiveSession]:
        if not room_ids:
            return {}
        result = await session.execute(
            select(LiveSession)
            .where(LiveSession.room_id.in_(room_ids), LiveSession.status.in_(ON_AIR))
            .order_by(LiveSession.started_at)
        )
        return {row.room_id: row for row in result.scalars()}

    async def on_air_sessions_selling(
        self, session: AsyncSession, product_id: str, *, limit: int
    ) -> list[LiveSession]:
        result = await session.execute(
            select(LiveSession)
            .join(ShowcaseItem, ShowcaseItem.session_id == LiveSession.id)
            .where(ShowcaseItem.product_id == product_id, LiveSession.status.in_(ON_AIR))
            .order_by(LiveSession.started_at.desc(), LiveSession.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def all_room_ids(self, session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(Room.id).order_by(Room.id)))

    async def list_sessions(
        self,
        session: AsyncSession,
        *,
        statuses: Sequence[str] | None,
        room_id: str | None,
        page: PageRequest,
        room_ids: Sequence[str] | None = None,
    ) -> Page[LiveSession]:
        """``room_id`` or ``room_ids``: only the sessions of that room or those rooms."""
        conditions: list[ColumnElement[bool]] = []
        if statuses is not None:
            conditions.append(LiveSession.status.in_(statuses))
        if room_id is not None:
            conditions.append(LiveSession.room_id == room_id)
        if room_ids is not None:
            conditions.append(LiveSession.room_id.in_(list(room_ids)))
        # The keyset never holds a null: a time not yet set falls back to the planned start.
        column: Any = LiveSession.planned_start_at
        descending = True
        if statuses is not None and set(statuses) <= {LiveSessionStatus.SCHEDULED}:
            descending = False  # soonest first
        elif statuses is not None and set(statuses) <= set(ON_AIR):
            column = LiveSession.started_at
        elif statuses is not None and set(statuses) <= {LiveSessionStatus.ENDED}:
            column = LiveSession.ended_at
        sort_key = func.coalesce(column, LiveSession.planned_start_at)
        first = KeyOrder(sort_key, descending=descending)
        query = select(LiveSession).where(*conditions)
        return await fetch_page(
            session,
            query,
            (first, asc(LiveSession.id)),
            page,
            key=lambda row: (
                getattr(row, column.key) or row.planned_start_at,
                row.id,
            ),
        )

    async def transition(
        self,
        session: AsyncSession,
        live_session: LiveSession,
        from_statuses: Sequence[str],
        values: dict[str, Any],
    ) -> bool:
        """Change a session's state only if it is still in ``from_statuses``.

        One conditional UPDATE, so two concurrent requests cannot both end (or
        both start) the same session.
        """
        result = await session.execute(
            update(LiveSession)
            .where(LiveSession.id == live_session.id, LiveSession.status.in_(from_statuses))
            .values(**values)
            .returning(LiveSession.id)
            .execution_options(synchronize_session=False)
        )
        if result.first() is None:
            return False
        await session.refresh(live_session)
        return True

    # ---- showcase ----------------------------------------------------------------------

    async def list_showcase(self, session: AsyncSession, session_id: str) -> list[ShowcaseItem]:
        result = await session.execute(
            select(ShowcaseItem)
            .where(ShowcaseItem.session_id == session_id)
            .order_by(ShowcaseItem.position, ShowcaseItem.created_at, ShowcaseItem.id)
        )
        return list(result.scalars())

    async def count_showcase(self, session: AsyncSession, session_id: str) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(ShowcaseItem)
            .where(ShowcaseItem.session_id == session_id)
        )
        return int(count or 0)

    async def get_showcase_item(self, session: AsyncSession, item_id: str) -> ShowcaseItem | None:
        return await session.get(ShowcaseItem, item_id)

    async def get_showcase_item_for_product(
        self, session: AsyncSession, session_id: str, product_id: str
    ) -> ShowcaseItem | None:
        result = await session.execute(
            select(ShowcaseItem).where(
                ShowcaseItem.session_id == session_id, ShowcaseItem.product_id == product_id
            )
        )
        return result.scalar_one_or_none()

    async def next_showcase_position(self, session: AsyncSession, session_id: str) -> int:
        current = await session.scalar(
            select(func.max(ShowcaseItem.position)).where(ShowcaseItem.session_id == session_id)
        )
        return 0 if current is None else current + 1

    async def add_pin_event(
        self, session: AsyncSession, session_id: str, item_id: str | None
    ) -> PinEvent:
        event = PinEvent(session_id=session_id, showcase_item_id=item_id)
        session.add(event)
        await session.flush()
        return event


live_repository = LiveRepository()
