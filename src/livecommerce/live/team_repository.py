"""The host's team's queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import RoomStaff, StaffAction, StaffStatus, User


class TeamRepository:
    async def get(self, session: AsyncSession, staff_id: str) -> RoomStaff | None:
        return await session.get(RoomStaff, staff_id)

    async def get_by_token_hash(
        self, session: AsyncSession, token_hash: str, *, for_update: bool = False
    ) -> RoomStaff | None:
        query = select(RoomStaff).where(RoomStaff.token_hash == token_hash)
        if for_update:
            query = query.with_for_update()
        result = await session.execute(query)
        return result.scalar_one_or_none()

    async def user_id_by_email(self, session: AsyncSession, email: str) -> str | None:
        result = await session.execute(select(User.id).where(User.email == email))
        return result.scalar_one_or_none()

    async def active_role(self, session: AsyncSession, room_id: str, user_id: str) -> str | None:
        result = await session.execute(
            select(RoomStaff.role)
            .where(
                RoomStaff.room_id == room_id,
                RoomStaff.user_id == user_id,
                RoomStaff.status == StaffStatus.ACTIVE,
            )
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def has_active(self, session: AsyncSession, user_id: str) -> bool:
        result = await session.execute(
            select(RoomStaff.id)
            .where(RoomStaff.user_id == user_id, RoomStaff.status == StaffStatus.ACTIVE)
            .limit(1)
        )
        return result.first() is not None

    async def page_of_room(
        self, session: AsyncSession, room_id: str, page: PageRequest
    ) -> Page[RoomStaff]:
        query = select(RoomStaff).where(
            RoomStaff.room_id == room_id, RoomStaff.status != StaffStatus.REVOKED
        )
        return await fetch_page(
            session, query, (asc(RoomStaff.created_at), asc(RoomStaff.id)), page
        )

    async def page_of_user(
        self, session: AsyncSession, user_id: str, page: PageRequest
    ) -> Page[RoomStaff]:
        """The user's active memberships, in the order they joined (by the row's
        creation, which never changes and is never null)."""
        query = select(RoomStaff).where(
            RoomStaff.user_id == user_id, RoomStaff.status == StaffStatus.ACTIVE
        )
        return await fetch_page(
            session, query, (asc(RoomStaff.created_at), asc(RoomStaff.id)), page
        )

    async def revoke_active(
        self, session: AsyncSession, room_id: str, user_id: str, now: datetime
    ) -> None:
        """End any other active membership of the user in the room (a new role replaces it)."""
        await session.execute(
            update(RoomStaff)
            .where(
                RoomStaff.room_id == room_id,
                RoomStaff.user_id == user_id,
                RoomStaff.status == StaffStatus.ACTIVE,
            )
            .values(status=StaffStatus.REVOKED, revoked_at=now)
        )

    def add_action(self, session: AsyncSession, action: StaffAction) -> None:
        session.add(action)

    async def page_actions(
        self, session: AsyncSession, room_id: str, user_id: str | None, page: PageRequest
    ) -> Page[StaffAction]:
        query = select(StaffAction).where(StaffAction.room_id == room_id)
        if user_id is not None:
            query = query.where(StaffAction.user_id == user_id)
        return await fetch_page(
            session, query, (desc(StaffAction.created_at), desc(StaffAction.id)), page
        )


team_repository = TeamRepository()
