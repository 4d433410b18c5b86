"""Dashboard pages: the list of my sessions, a session's live dashboard and report,
the platform dashboard and selection insight. Figures load from the dashboards API
(and the session's WebSocket); the pages render the frame."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.dashboards.metrics import METRIC_KEYS
from livecommerce.dashboards.service import dashboard_service
from livecommerce.kit.errors import Forbidden, NotFound
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import PageRequest
from livecommerce.models import Role
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)

_PARTNERS = (Role.HOST, Role.MERCHANT, Role.MCN_ADMIN, Role.PLATFORM_ADMIN)


@router.get("/dashboards")
async def dashboards_page(page: PageDep, session: DbSession) -> Response:
    user = page.user
    if user is None:
        return page.login_redirect()
    if user.role not in _PARTNERS:
        return page.forbidden()
    sessions = await dashboard_service.page_sessions(session, user, PageRequest())
    page.data.update(view="list", next_cursor=sessions.next_cursor)
    return page.render(
        "dashboards.html",
        sessions=sessions.items,
        more=sessions.next_cursor is not None,
        is_admin=user.role == Role.PLATFORM_ADMIN,
        is_merchant=user.role == Role.MERCHANT,
    )


@router.get("/dashboards/sessions/{session_id}")
async def session_dashboard_page(session_id: str, page: PageDep, session: DbSession) -> Response:
    return await _session_page(session_id, page, session, report=False)


@router.get("/dashboards/sessions/{session_id}/report")
async def session_report_page(session_id: str, page: PageDep, session: DbSession) -> Response:
    return await _session_page(session_id, page, session, report=True)


async def _session_page(
    session_id: str, page: PageDep, session: DbSession, *, report: bool
) -> Response:
    """The live dashboard of a session, or its after-session report: one page, two views."""
    user = page.user
    if user is None:
        return page.login_redirect()
    try:
        live_session = await dashboard_service.get_session_for(session, user, session_id)
    except NotFound:
        return page.not_found("error.session_not_found")
    except Forbidden:
        return page.forbidden()
    page.data.update(
        session_id=live_session.id,
        metrics=list(METRIC_KEYS),
        view="report" if report else "session",
    )
    return page.render("dashboard_session.html", live_session=live_session, report=report)


@router.get("/dashboards/platform")
async def platform_page(page: PageDep) -> Response:
    if page.user is None:
        return page.login_redirect()
    if page.user.role != Role.PLATFORM_ADMIN:
        return page.forbidden()
    page.data.update(view="platform")
    return page.render("dashboard_platform.html")


@router.get("/dashboards/selection")
async def selection_page(page: PageDep, session: DbSession) -> Response:
    user = page.user
    if user is None:
        return page.login_redirect()
    if user.role not in _PARTNERS:
        return page.forbidden()
    page.data.update(view="selection", role=user.role)
    return page.render("dashboard_selection.html", is_merchant=user.role == Role.MERCHANT)
