"""Dashboard routes: JSON for the pages and API clients, a CSV of the report, and a
WebSocket that pushes a session's dashboard whenever its rollups move."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import Response

from livecommerce.accounts.dependencies import CurrentUser, websocket_user
from livecommerce.dashboards.schemas import (
    MerchantProductPage,
    PlatformDashboard,
    SelectionInsight,
    SessionDashboard,
    SessionListPage,
    SessionReport,
)
from livecommerce.dashboards.service import dashboard_service
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.http import DbSession, get_ws_runtime
from livecommerce.kit.pagination import PageQuery
from livecommerce.kit.websocket import push_until_closed
from livecommerce.live.schemas import SessionStatusName
from livecommerce.realtime.connection import connection_language, origin_allowed, refuse
from livecommerce.realtime.events import CloseCode

router = APIRouter(prefix="/api/v1/dashboards", tags=["dashboards"])
socket_router = APIRouter(tags=["dashboards"])

PUSH_EVERY_S = 1.0  # the socket looks at the rollups this often and sends what changed


@router.get("/sessions")
async def dashboard_sessions(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    status: SessionStatusName | None = None,
) -> SessionListPage:
    """The sessions whose dashboards I may open (mine; my agency's hosts'; all for admins),
    latest planned start first; ``status=live`` includes interrupted ones, ``scheduled``
    lists the soonest first."""
    found = await dashboard_service.page_sessions(session, user, page, status=status)
    return SessionListPage(items=found.items, next_cursor=found.next_cursor)


@router.get("/sessions/{session_id}")
async def session_dashboard(
    session_id: str, user: CurrentUser, session: DbSession
) -> SessionDashboard:
    """A session's figures, per minute and in total (docs/metrics.md)."""
    live_session = await dashboard_service.get_session_for(session, user, session_id)
    room = await dashboard_service.check_can_view_session(session, user, live_session)
    return await dashboard_service.session_dashboard(session, live_session, room)


@router.get("/sessions/{session_id}/report")
async def session_report(session_id: str, user: CurrentUser, session: DbSession) -> SessionReport:
    """复盘: the dashboard against the host's previous sessions, moments, top products."""
    live_session = await dashboard_service.get_session_for(session, user, session_id)
    room = await dashboard_service.check_can_view_session(session, user, live_session)
    return await dashboard_service.session_report(session, live_session, room)


@router.get("/sessions/{session_id}/report.csv")
async def session_report_csv(session_id: str, user: CurrentUser, session: DbSession) -> Response:
    live_session = await dashboard_service.get_session_for(session, user, session_id)
    room = await dashboard_service.check_can_view_session(session, user, live_session)
    report = await dashboard_service.session_report(session, live_session, room)
    return Response(
        dashboard_service.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.csv"'},
    )


@router.get("/platform")
async def platform_dashboard(user: CurrentUser, session: DbSession) -> PlatformDashboard:
    """大盘: the whole platform now and over the last 30 days (platform admins)."""
    return await dashboard_service.platform_dashboard(session, user)


@router.get("/selection")
async def selection_insight(
    user: CurrentUser,
    session: DbSession,
    days: Annotated[int, Query(ge=1, le=30)] = 7,
    category: Annotated[str | None, Query(max_length=60)] = None,
    min_price_cents: Annotated[int | None, Query(ge=0, le=10**11)] = None,
    max_price_cents: Annotated[int | None, Query(ge=0, le=10**11)] = None,
) -> SelectionInsight:
    """选品: hot and rising products and categories (hosts, MCNs, merchants)."""
    return await dashboard_service.selection_insight(
        session,
        user,
        days=days,
        category=category or None,
        min_price_cents=min_price_cents,
        max_price_cents=max_price_cents,
    )


@router.get("/merchant/products")
async def merchant_products(
    user: CurrentUser, session: DbSession, page: PageQuery
) -> MerchantProductPage:
    """How my products do in each host's room (merchants; only their own products), the
    most GMV first."""
    found = await dashboard_service.merchant_products(session, user, page)
    return MerchantProductPage(items=found.items, next_cursor=found.next_cursor)


@socket_router.websocket("/ws/dashboards/sessions/{session_id}")
async def session_dashboard_socket(websocket: WebSocket, session_id: str) -> None:
    """``{"type": "dashboard", "dashboard": …}`` at once and whenever a figure changes."""
    runtime = get_ws_runtime(websocket)
    user = await websocket_user(websocket)
    if user is None:
        await refuse(
            websocket,
            "not_authenticated",
            "Please log in first.",
            CloseCode.NOT_AUTHENTICATED,
            language=connection_language(websocket, None),
            status=401,
        )
        return
    language = connection_language(websocket, user)
    if not websocket.query_params.get("token") and not origin_allowed(
        websocket, runtime.settings.public_url
    ):
        await refuse(
            websocket,
            "origin_not_allowed",
            "This page may not open the dashboard with your log-in.",
            CloseCode.ORIGIN_NOT_ALLOWED,
            language=language,
            status=403,
        )
        return
    try:
        async with runtime.db.reading() as session:
            live_session = await dashboard_service.get_session_for(session, user, session_id)
    except LiveCommerceError as error:
        await refuse(
            websocket,
            error.code,
            str(error),
            CloseCode.NOT_FOUND if error.status == 404 else CloseCode.ORIGIN_NOT_ALLOWED,
            language=language,
            status=error.status,
        )
        return
    await websocket.accept()

    async def push() -> None:
        last = ""
        while True:
            async with runtime.db.reading() as session:
                live = await dashboard_service.get_session_for(session, user, live_session.id)
                room = await dashboard_service.check_can_view_session(session, user, live)
                dashboard = await dashboard_service.session_dashboard(session, live, room)
            body = dashboard.model_dump(mode="json", exclude={"rolled_up_at"})
            text = json.dumps(body, sort_keys=True)
            if text != last:
                last = text
                await websocket.send_json({"type": "dashboard", "dashboard": body})
            await asyncio.sleep(PUSH_EVERY_S)

    await push_until_closed(websocket, push)
