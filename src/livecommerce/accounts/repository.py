from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import AuthSession, User

# ``(expires_at, User)`` of a live session with a token: built once (authentication
# reads it for every token the cache does not know), its values bound at execution.
_LIVE_AUTH_SESSION = (
    select(AuthSession.expires_at, User)
    .join(User, User.id == AuthSession.user_id)
    .where(
        AuthSession.token_hash == bindparam("token_hash"),
        AuthSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


class AccountRepository:
    async def get_user(self, session: AsyncSession, user_id: str) -> User | None:
        return await session.get(User, user_id)

    async def get_user_by_email(self, session: AsyncSession, email: str) -> User | None:
        result = await session.execute(select(User).where(User.email == email))
        return result.scalar_one_or_none()

    async def get_users(self, session: AsyncSession, user_ids: set[str]) -> dict[str, User]:
        if not user_ids:
            return {}
        result = await session.execute(select(User).where(User.id.in_(user_ids)))
        return {user.id: user for user in result.scalars()}

    def live_auth_session_query(
        self, token_hash: str, now: datetime
    ) -> tuple[Select[datetime, User], dict[str, Any]]:
        """``(expires_at, User)`` of a live session with this token (the session's other
        columns are not loaded), as a statement and its parameters: what authentication
        reads, for a caller that reads more beside it in the same statement. The
        statement is the same object for every token (only the parameters differ), so
        a caller may build on it once."""
        return _LIVE_AUTH_SESSION, {"token_hash": token_hash, "now": now}

    async def get_live_auth_session(
        self, session: AsyncSession, token_hash: str, now: datetime
    ) -> tuple[datetime, User] | None:
        """The user of a live session with this token, and when the session expires:
        one indexed read."""
        result = await session.execute(*self.live_auth_session_query(token_hash, now))
        row = result.first()
        return None if row is None else (row[0], row[1])

    async def set_locale(self, session: AsyncSession, user_id: str, locale: str) -> None:
        await session.execute(update(User).where(User.id == user_id).values(locale=locale))

    async def delete_auth_session(self, session: AsyncSession, token_hash: str) -> None:
        await session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))


account_repository = AccountRepository()
