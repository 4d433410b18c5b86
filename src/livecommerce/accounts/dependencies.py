"""Who is calling: bearer token for the API, cookie + CSRF token for the browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, WebSocket
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from livecommerce.accounts.security import tokens_equal
from livecommerce.accounts.service import TokenRead, account_service
from livecommerce.kit.errors import Forbidden, NotAuthenticated
from livecommerce.kit.http import get_runtime, get_ws_runtime
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role, User

SESSION_COOKIE = "lc_session"
CSRF_COOKIE = "lc_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        return token or None
    return None


def check_csrf(connection: HTTPConnection) -> None:
    """Double-submit: a cookie-authenticated write must echo the CSRF cookie in a header."""
    if connection.scope.get("method") in _SAFE_METHODS:
        return
    cookie = connection.cookies.get(CSRF_COOKIE)
    header = connection.headers.get(CSRF_HEADER)
    if not cookie or not header or not tokens_equal(cookie, header):
        raise Forbidden(
            "Missing or wrong CSRF token; reload the page and try again.", code="csrf_failed"
        )


async def caller(
    connection: HTTPConnection,
    runtime: Runtime,
    *,
    reader: AsyncSession | None = None,
    read: TokenRead | None = None,
) -> User | None:
    """Who sent this request (bearer token, else session cookie with its CSRF check), or
    None. ``reader``: a reading unit of work the caller has open, so that a token the
    cache does not know costs no unit of work of its own; ``read``: how to read it there
    (``AccountService.authenticate``). Shared by the dependencies below and by routes
    that answer outside FastAPI's routing (the flash-sale buy)."""
    token = bearer_token(connection.headers.get("authorization"))
    if token is not None:
        user = await account_service.authenticate(runtime, token, reader=reader, read=read)
        if user is None:
            raise NotAuthenticated("The bearer token is invalid or expired.", code="invalid_token")
        return user
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie:
        user = await account_service.authenticate(runtime, cookie, reader=reader, read=read)
        if user is not None:
            check_csrf(connection)
            return user
    return None


def require_user(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated("Please log in first.", code="not_authenticated")
    return user


async def optional_user(request: Request) -> User | None:
    """Authentication runs outside the request's unit of work (``authenticate``), so a
    cached token costs no database work and a writing request takes its lock later."""
    return await caller(request, get_runtime(request))


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    return require_user(user)


async def websocket_user(websocket: WebSocket) -> User | None:
    """WebSockets authenticate with the session cookie or ``?token=``. They only read
    and send chat, and the endpoint checks the Origin header against cross-site use."""
    token = websocket.query_params.get("token") or websocket.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await account_service.authenticate(get_ws_runtime(websocket), token)


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


async def _host_user(user: CurrentUser) -> User:
    account_service.check_role(user, Role.HOST, Role.MERCHANT)
    return user


async def _merchant_user(user: CurrentUser) -> User:
    account_service.check_role(user, Role.MERCHANT)
    return user


async def _admin_user(user: CurrentUser) -> User:
    account_service.check_role(user)
    return user


# Merchants may host their own room (商家自播), so both roles may run rooms.
HostUser = Annotated[User, Depends(_host_user)]
MerchantUser = Annotated[User, Depends(_merchant_user)]
AdminUser = Annotated[User, Depends(_admin_user)]
