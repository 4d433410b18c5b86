"""Fan clubs' queries: the only place in fans that builds SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import FanChatAward, FanClub, FanClubMember, FanIntimacyDay, RoomMute


def _insert_ignoring_conflicts(session: AsyncSession, model: Any, values: dict[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(model).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(model).values(values).on_conflict_do_nothing()
    return insert(model).values(values)  # pragma: no cover - the supported databases are above


class FanRepository:
    # ---- clubs ---------------------------------------------------------------------------

    async def get_club(self, session: AsyncSession, room_id: str) -> FanClub | None:
        return await session.get(FanClub, room_id)

    async def ensure_club(self, session: AsyncSession, room_id: str, badge_name: str) -> FanClub:
        await session.execute(
            _insert_ignoring_conflicts(
                session, FanClub, {"room_id": room_id, "badge_name": badge_name}
            )
        )
        club = await session.get(FanClub, room_id)
        assert club is not None
        return club

    async def clubs_selling(self, session: AsyncSession, product_id: str) -> list[FanClub]:
        result = await session.execute(
            select(FanClub).where(FanClub.badge_product_id == product_id)
        )
        return list(result.scalars())

    async def change_members(self, session: AsyncSession, room_id: str, delta: int) -> None:
        await session.execute(
            update(FanClub)
            .where(FanClub.room_id == room_id, FanClub.members_count + delta >= 0)
            .values(members_count=FanClub.members_count + delta)
        )

    async def members_count(self, session: AsyncSession, room_id: str) -> int:
        result = await session.execute(
            select(FanClub.members_count).where(FanClub.room_id == room_id)
        )
        return int(result.scalar_one_or_none() or 0)

    # ---- members -------------------------------------------------------------------------

    async def insert_member(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        """Insert unless the viewer is a member already; True when a row was added."""
        statement = _insert_ignoring_conflicts(session, FanClubMember, values)
        result = await session.execute(statement.returning(FanClubMember.id))
        return result.first() is not None

    async def get_member(
        self, session: AsyncSession, room_id: str, user_id: str, *, for_update: bool = False
    ) -> FanClubMember | None:
        query = select(FanClubMember).where(
            FanClubMember.room_id == room_id, FanClubMember.user_id == user_id
        )
        if for_update:
            query = query.with_for_update()
        result = await session.execute(query.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def members_of(
        self, session: AsyncSession, pairs: set[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        """Which (room, user) pairs are members: one query for a batch of events."""
        if not pairs:
            return set()
        result = await session.execute(
            select(FanClubMember.room_id, FanClubMember.user_id).where(
                tuple_(FanClubMember.room_id, FanClubMember.user_id).in_(sorted(pairs))
            )
        )
        return {(room_id, user_id) for room_id, user_id in result.all()}

    async def delete_member(self, session: AsyncSession, room_id: str, user_id: str) -> bool:
        result = await session.execute(
            delete(FanClubMember)
            .where(FanClubMember.room_id == room_id, FanClubMember.user_id == user_id)
            .returning(FanClubMember.id)
        )
        return result.first() is not None

    async def touch_member(
        self, session: AsyncSession, room_id: str, user_id: str, at: datetime
    ) -> None:
        """Move ``last_active_at`` forward to ``at`` (never back)."""
        await session.execute(
            update(FanClubMember)
            .where(
                FanClubMember.room_id == room_id,
                FanClubMember.user_id == user_id,
                FanClubMember.last_active_at < at,
            )
            .values(last_active_at=at)
        )

    async def badges_of(
        self, session: AsyncSession, room_id: str, user_ids: set[str]
    ) -> dict[str, FanClubMember]:
        if not user_ids:
            return {}
        result = await session.execute(
            select(FanClubMember).where(
                FanClubMember.room_id == room_id, FanClubMember.user_id.in_(sorted(user_ids))
            )
        )
        return {member.user_id: member for member in result.scalars()}

    async def level_of(self, session: AsyncSession, room_id: str, user_id: str) -> int | None:
        result = await session.execute(
            select(FanClubMember.level).where(
                FanClubMember.room_id == room_id, FanClubMember.user_id == user_id
            )
        )
        level = result.scalar_one_or_none()
        return None if level is None else int(level)

    async def memberships_count(self, session: AsyncSession, user_id: str) -> int:
        result = await session.execute(select(func.count()).where(FanClubMember.user_id == user_id))
        return int(result.scalar_one())

    async def page_present(
        self, session: AsyncSession, session_id: str, since: datetime, page: PageRequest
    ) -> Page[FanClubMember]:
        """Members watching a session now, highest level (then intimacy) first."""
        query = select(FanClubMember).where(
            FanClubMember.present_session_id == session_id, FanClubMember.present_at >= since
        )
        keyset = (
            desc(FanClubMember.level),
            desc(FanClubMember.intimacy),
            asc(FanClubMember.id),
        )
        return await fetch_page(session, query, keyset, page)

    # ---- intimacy days -------------------------------------------------------------------

    async def day_for_update(
        self, session: AsyncSession, room_id: str, user_id: str, day: date
    ) -> FanIntimacyDay:
        await session.execute(
            _insert_ignoring_conflicts(
                session, FanIntimacyDay, {"room_id": room_id, "user_id": user_id, "day": day}
            )
        )
        result = await session.execute(
            select(FanIntimacyDay)
            .where(
                FanIntimacyDay.room_id == room_id,
                FanIntimacyDay.user_id == user_id,
                FanIntimacyDay.day == day,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one()

    async def get_day(
        self, session: AsyncSession, room_id: str, user_id: str, day: date
    ) -> FanIntimacyDay | None:
        return await session.get(FanIntimacyDay, (room_id, user_id, day))

    # ---- chat awards ---------------------------------------------------------------------

    async def insert_chat_award(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        """Store what a message earned unless a row exists (a removal came first)."""
        statement = _insert_ignoring_conflicts(session, FanChatAward, values)
        result = await session.execute(statement.returning(FanChatAward.message_id))
        return result.first() is not None

    async def get_chat_award_for_update(
        self, session: AsyncSession, message_id: str
    ) -> FanChatAward | None:
        result = await session.execute(
            select(FanChatAward)
            .where(FanChatAward.message_id == message_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    # ---- mutes (read from the moderation table, as the room stores them) -----------------

    async def is_muted(
        self, session: AsyncSession, room_id: str, user_id: str, at: datetime
    ) -> bool:
        result = await session.execute(
            select(RoomMute.id).where(
                RoomMute.room_id == room_id,
                RoomMute.user_id == user_id,
                RoomMute.created_at <= at,
                or_(RoomMute.until.is_(None), RoomMute.until > at),
            )
        )
        return result.first() is not None


fan_repository = FanRepository()
