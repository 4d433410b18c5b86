"""Sign-up, log-in, log-out and the checks every other domain uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.repository import account_repository
from livecommerce.accounts.security import (
    hash_password_off_loop,
    hash_token,
    verify_password_off_loop,
)
from livecommerce.accounts.throttle import dummy_password_hash
from livecommerce.accounts.token_cache import forget as forget_cached
from livecommerce.accounts.token_cache import token_cache
from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from livecommerce.kit.ids import new_token
from livecommerce.kit.runtime import Runtime, runtime_of
from livecommerce.models import AuthSession, Role, User


def mask_name(name: str) -> str:
    """What a room sees of a buyer or winner: the first character, the rest hidden
    ("小*", "A***")."""
    name = name.strip()
    if not name:
        return "*"
    return name[0] + "*" * min(max(len(name) - 1, 1), 3)


# Reads a token the cache does not know in the caller's reading unit: ``(expires_at, user)``
# of its live session, or None (``AccountService.authenticate(read=…)``).
TokenRead = Callable[[AsyncSession, str], Awaitable[tuple[datetime, User] | None]]


@dataclass(frozen=True)
class IssuedSession:
    token: str
    auth_session: AuthSession


class AccountService:
    async def do_sign_up(
        self,
        session: AsyncSession,
        *,
        email: str,
        password: str,
        display_name: str,
        role: Role = Role.VIEWER,
        locale: str = "zh",
    ) -> User:
        email = email.strip().lower()
        # Hash before the first statement: the unit of work (on SQLite, the write lock)
        # begins only after the slow part.
        password_hash = await hash_password_off_loop(password)
        if await account_repository.get_user_by_email(session, email) is not None:
            raise Conflict("An account with this e-mail already exists.", code="email_taken")
        user = User(
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            locale=locale,
        )
        session.add(user)
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent sign-up with the same e-mail
            raise Conflict(
                "An account with this e-mail already exists.", code="email_taken"
            ) from exc
        return user

    async def check_credentials(self, session: AsyncSession, email: str, password: str) -> User:
        """The account these credentials open. It is read outside ``session``'s unit of
        work and the password verified off the event loop, so a log-in's transaction
        holds no lock while argon2 runs; the user returned is detached (read-only)."""
        async with runtime_of(session).db.reading() as reader:
            user = await account_repository.get_user_by_email(reader, email.strip().lower())
        # An unknown e-mail costs one hash check too: timing does not tell which exist.
        stored = user.password_hash if user is not None else dummy_password_hash()
        matches = await verify_password_off_loop(stored, password)
        if user is None or not user.is_active or not matches:
            raise NotAuthenticated("Wrong e-mail or password.", code="invalid_credentials")
        return user

    async def do_issue_session(
        self, session: AsyncSession, user: User, *, kind: str
    ) -> IssuedSession:
        ttl = runtime_of(session).settings.session_ttl_s
        token = new_token()
        auth_session = AuthSession(
            user_id=user.id,
            token_hash=hash_token(token),
            kind=kind,
            expires_at=utcnow() + timedelta(seconds=ttl),
        )
        session.add(auth_session)
        await session.flush()
        return IssuedSession(token=token, auth_session=auth_session)

    async def get_user_for_token(self, session: AsyncSession, token: str) -> User | None:
        found = await account_repository.get_live_auth_session(session, hash_token(token), utcnow())
        return None if found is None else found[1]

    def live_token_query(
        self, token: str, now: datetime
    ) -> tuple[Select[datetime, User], dict[str, Any]]:
        """``(expires_at, User)`` of the live session of ``token``: the statement
        authentication reads and its parameters, for a domain that reads more beside it
        in one statement (``authenticate(read=…)``). The statement is the same object
        for every token, so that domain may build its own on it once."""
        return account_repository.live_auth_session_query(hash_token(token), now)

    def live_tokens_query(
        self, tokens: list[str], now: datetime
    ) -> tuple[Select[str, datetime, User], dict[str, Any], dict[str, str]]:
        """``live_token_query`` for many tokens at once: the statement (``(token_hash,
        expires_at, User)`` of each live one), its parameters, and which token each
        hash is of. The statement is the same object for every call."""
        by_hash = {hash_token(token): token for token in tokens}
        query, params = account_repository.live_auth_sessions_query(list(by_hash), now)
        return query, params, by_hash

    async def authenticate(
        self,
        runtime: Runtime,
        token: str,
        *,
        reader: AsyncSession | None = None,
        read: TokenRead | None = None,
    ) -> User | None:
        """Who a token (bearer or session cookie) belongs to, outside any request's unit
        of work: from the token cache (``accounts/token_cache.py``), or one indexed
        read in a reading unit of work (no write lock) that fills it — ``reader`` when
        the caller has one open for its own reads (one unit of work for both), else a
        unit of its own. The user returned belongs to no database session: read it;
        change accounts through the service. ``read``: on a miss, reads the token (with
        ``reader``) in place of the plain read — a statement built on
        ``live_token_query`` that reads more beside it."""
        token_hash = hash_token(token)
        cache = await token_cache(runtime)
        cached = cache.get(token_hash)
        if cached is not None:
            return cached
        if reader is not None and read is not None:
            found = await read(reader, token)
        elif reader is not None:
            found = await account_repository.get_live_auth_session(reader, token_hash, utcnow())
        else:
            async with runtime.db.reading() as session:
                found = await account_repository.get_live_auth_session(
                    session, token_hash, utcnow()
                )
        if found is None:
            return None
        expires_at, user = found
        return cache.put(token_hash, user, expires_at)

    async def do_log_out(self, session: AsyncSession, token: str) -> None:
        token_hash = hash_token(token)
        await account_repository.delete_auth_session(session, token_hash)
        runtime = runtime_of(session)
        # Forgotten now on this worker, and once more after the commit everywhere (a
        # read racing the log-out could have cached the token again meanwhile).
        await forget_cached(runtime, token_hash=token_hash)

        async def _forget_everywhere() -> None:
            await forget_cached(runtime, token_hash=token_hash)

        after_commit(session, _forget_everywhere)

    async def do_set_locale(self, session: AsyncSession, user: User, locale: str) -> None:
        # ``user`` may come from authentication, outside this unit of work: write the row.
        await account_repository.set_locale(session, user.id, locale)
        user.locale = locale
        runtime = runtime_of(session)
        user_id = user.id

        async def _forget_everywhere() -> None:
            await forget_cached(runtime, user_id=user_id)

        after_commit(session, _forget_everywhere)

    async def get_user(self, session: AsyncSession, user_id: str) -> User:
        user = await account_repository.get_user(session, user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        return user

    async def find_user_by_email(self, session: AsyncSession, email: str) -> User | None:
        return await account_repository.get_user_by_email(session, email.strip().lower())

    async def get_users(self, session: AsyncSession, user_ids: set[str]) -> dict[str, User]:
        return await account_repository.get_users(session, user_ids)

    def check_role(self, user: User, *roles: Role) -> None:
        """Platform admins pass every role check."""
        if user.role == Role.PLATFORM_ADMIN or user.role in roles:
            return
        wanted = ", ".join(role.value for role in roles)
        raise Forbidden(f"This needs one of the roles: {wanted}.", code="role_required")

    def is_admin(self, user: User) -> bool:
        return user.role == Role.PLATFORM_ADMIN


account_service = AccountService()
