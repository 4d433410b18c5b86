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
# ``(token_hash, expires_at, User)`` of the live sessions among many tokens: the same
# read for the tokens of many requests at once.
_LIVE_AUTH_SESSIONS = (
    select(AuthSession.token_hash, AuthSession.expires_at, User)
    .join(User, User.id == AuthSession.user_id)
    .where(
        AuthSession.token_hash.in_(bindparam("token_hashes", expanding=True)),
        AuthSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


def padded_length(count: int) -> int:
    """The power of two at least ``count`` (1 for 0)."""
    return 1 << max(count - 1, 0).bit_length()


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

    def live_auth_sessions_query(
        self, token_hashes: list[str], now: datetime
    ) -> tuple[Select[str, datetime, User], dict[str, Any]]:
        """``live_auth_session_query`` for many tokens: ``(token_hash, expires_at,
        User)`` of each live one. The same statement object for every call; the list
        is padded (with its last hash) to a power of two, so the statement's text takes
        one of a few forms (PostgreSQL prepares each text once per connection)."""
        padded = list(token_hashes)
        if padded:
            padded += [padded[-1]] * (padded_length(len(padded)) - len(padded))
        return _LIVE_AUTH_SESSIONS, {"token_hashes": padded, "now": now}

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
