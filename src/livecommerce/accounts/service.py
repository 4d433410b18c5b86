"""Sign-up, log-in, log-out and the checks every other domain uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.repository import account_repository
from livecommerce.accounts.security import hash_password, hash_token, verify_password
from livecommerce.accounts.throttle import dummy_password_hash
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from livecommerce.kit.ids import new_token
from livecommerce.kit.runtime import runtime_of
from livecommerce.models import AuthSession, Role, User


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
        if await account_repository.get_user_by_email(session, email) is not None:
            raise Conflict("An account with this e-mail already exists.", code="email_taken")
        user = User(
            email=email,
            display_name=display_name,
            password_hash=hash_password(password),
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
        user = await account_repository.get_user_by_email(session, email.strip().lower())
        # An unknown e-mail costs one hash check too: timing does not tell which exist.
        stored = user.password_hash if user is not None else dummy_password_hash()
        matches = verify_password(stored, password)
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

    async def do_log_out(self, session: AsyncSession, token: str) -> None:
        await account_repository.delete_auth_session(session, hash_token(token))

    async def do_set_locale(self, session: AsyncSession, user: User, locale: str) -> None:
        user.locale = locale

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
