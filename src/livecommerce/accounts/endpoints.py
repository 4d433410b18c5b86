from __future__ import annotations

from fastapi import APIRouter, Request, Response

from livecommerce.accounts.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    bearer_token,
)
from livecommerce.accounts.schemas import (
    LocaleUpdate,
    LogInRequest,
    SignUpRequest,
    TokenOut,
    UserOut,
)
from livecommerce.accounts.service import IssuedSession, account_service
from livecommerce.accounts.throttle import login_attempt
from livecommerce.kit.http import DbSession, RuntimeDep
from livecommerce.kit.ids import new_token
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _set_session_cookies(response: Response, issued: IssuedSession, runtime: Runtime) -> None:
    settings = runtime.settings
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        new_token(16),
        max_age=settings.session_ttl_s,
        httponly=False,  # the page's script reads it and echoes it in X-CSRF-Token
        samesite="lax",
        secure=settings.session_cookie_secure,
    )


@router.post("/auth/signup", status_code=201)
async def sign_up(
    body: SignUpRequest, session: DbSession, response: Response, runtime: RuntimeDep
) -> TokenOut:
    """Create an account and log it in (cookie for browsers, token in the body for APIs)."""
    user = await account_service.do_sign_up(
        session,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        role=Role(body.role),
        locale=body.locale,
    )
    issued = await account_service.do_issue_session(session, user, kind="cookie")
    _set_session_cookies(response, issued, runtime)
    return TokenOut(
        token=issued.token,
        expires_at=issued.auth_session.expires_at,
        user=UserOut.model_validate(user),
    )


@router.post("/auth/login")
async def log_in(
    body: LogInRequest,
    session: DbSession,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
) -> TokenOut:
    """Log in from the browser: sets the session and CSRF cookies."""
    async with login_attempt(runtime, request, body.email):
        user = await account_service.check_credentials(session, body.email, body.password)
    issued = await account_service.do_issue_session(session, user, kind="cookie")
    _set_session_cookies(response, issued, runtime)
    return TokenOut(
        token=issued.token,
        expires_at=issued.auth_session.expires_at,
        user=UserOut.model_validate(user),
    )


@router.post("/auth/token")
async def issue_api_token(
    body: LogInRequest, session: DbSession, request: Request, runtime: RuntimeDep
) -> TokenOut:
    """Exchange credentials for a bearer token (API clients, apps, scripts)."""
    async with login_attempt(runtime, request, body.email):
        user = await account_service.check_credentials(session, body.email, body.password)
    issued = await account_service.do_issue_session(session, user, kind="api")
    return TokenOut(
        token=issued.token,
        expires_at=issued.auth_session.expires_at,
        user=UserOut.model_validate(user),
    )


@router.post("/auth/logout", status_code=204)
async def log_out(
    request: Request, user: CurrentUser, session: DbSession, response: Response
) -> None:
    token = bearer_token(request.headers.get("authorization")) or request.cookies.get(
        SESSION_COOKIE
    )
    if token:
        await account_service.do_log_out(session, token)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me", response_model=UserOut)
async def who_am_i(user: CurrentUser) -> Response:
    """Who the caller is. Polled by every page: encoded once here, not validated again
    by the framework on the way out."""
    return Response(UserOut.model_validate(user).model_dump_json(), media_type="application/json")


@router.patch("/me/locale")
async def set_locale(body: LocaleUpdate, user: CurrentUser, session: DbSession) -> UserOut:
    await account_service.do_set_locale(session, user, body.locale)
    return UserOut.model_validate(user)
