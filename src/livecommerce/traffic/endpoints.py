from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from livecommerce.accounts.dependencies import AdminUser, CurrentUser, OptionalUser
from livecommerce.insights.service import VISITOR_COOKIE, valid_visitor_id
from livecommerce.kit.http import WRITES, DbSession, request_language
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.models import User
from livecommerce.traffic.schemas import (
    AuditPage,
    BoostIn,
    ClickResult,
    Distribution,
    FeedPage,
    PolicyValues,
    RoomControlPage,
    TrafficPanel,
    VisitIn,
    VisitOut,
)
from livecommerce.traffic.service import PAGE_SIZE, ViewerId, traffic_service

router = APIRouter(prefix="/api/v1", tags=["traffic"])

_VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600


def viewer_of(request: Request, response: Response, user: User | None) -> ViewerId:
    """The signed-in user, else the browser's visitor id (issued here when missing)."""
    if user is not None:
        return ViewerId(user=user, visitor_id=None)
    visitor_id = valid_visitor_id(request.cookies.get(VISITOR_COOKIE))
    if visitor_id is None:
        visitor_id = new_id()
        response.set_cookie(
            VISITOR_COOKIE,
            visitor_id,
            max_age=_VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.app.state.runtime.settings.session_cookie_secure,
        )
    return ViewerId(user=None, visitor_id=visitor_id)


@router.get("/feed", dependencies=[WRITES])
async def feed(
    request: Request,
    response: Response,
    user: OptionalUser,
    session: DbSession,
    tab: Annotated[
        str,
        Query(max_length=20, json_schema_extra={"enum": ["recommend", "follow", "category"]}),
    ] = "recommend",
    category: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page, 1 to 100 (default 10).")
    ] = PAGE_SIZE,
) -> FeedPage:
    """A page of the home feed: recommend (the policy blend), follow (followed hosts live,
    then upcoming, then replays) or category. Each item carries its reasons and an
    impression id; pass ``next_cursor`` back for the next page (no item repeats within
    the visit). Anonymous viewers get a feed too."""
    viewer = viewer_of(request, response, user)
    return await traffic_service.feed(
        session,
        viewer,
        tab=tab,
        category=category,
        cursor=cursor,
        language=request_language(request),
        limit=limit,
    )


@router.post("/feed/impressions/{impression_id}/click")
async def click(
    impression_id: Annotated[str, Path(max_length=32)],
    request: Request,
    response: Response,
    user: OptionalUser,
    session: DbSession,
) -> ClickResult:
    """The viewer opened a feed item: counted once, only by the viewer it was shown to,
    and the room visit gets its feed as traffic source."""
    viewer = viewer_of(request, response, user)
    return await traffic_service.do_click(session, viewer, impression_id)


@router.post("/traffic/visits")
async def record_visit(
    body: VisitIn, request: Request, response: Response, user: OptionalUser, session: DbSession
) -> VisitOut:
    """The room page reports where its viewer came from (feed impression, shared link's
    code, search, another site, or direct)."""
    viewer = viewer_of(request, response, user)
    return await traffic_service.do_record_visit(session, viewer, body, request_language(request))


@router.get("/traffic/sessions/{session_id}/panel")
async def panel(
    session_id: str, request: Request, user: CurrentUser, session: DbSession
) -> TrafficPanel:
    """The host's traffic panel: tier, promoting metrics and distance to the next tier,
    exposures, clicks and visits by source."""
    return await traffic_service.panel(session, user, session_id, request_language(request))


@router.get("/admin/traffic/policy")
async def get_policy(user: AdminUser, session: DbSession) -> PolicyValues:
    return traffic_service.policy_values(await traffic_service.policy_config(session))


@router.put("/admin/traffic/policy")
async def put_policy(body: PolicyValues, user: AdminUser, session: DbSession) -> PolicyValues:
    """Store the policy blend and its parameters (audited)."""
    return await traffic_service.do_store_policy(session, user, body)


@router.post("/admin/traffic/rooms/{room_id}/boost", status_code=204)
async def boost(room_id: str, body: BoostIn, user: AdminUser, session: DbSession) -> None:
    """Pin a room (first in every feed), demote it, or clear either (audited)."""
    await traffic_service.do_boost(session, user, room_id, body.kind)


@router.get("/admin/traffic/audit")
async def audit(user: AdminUser, session: DbSession, page: PageQuery) -> AuditPage:
    """The operators' changes to the feed (policy, pins, demotions), newest first."""
    return await traffic_service.audit(session, page)


@router.get("/admin/traffic/distribution")
async def distribution(user: AdminUser, session: DbSession) -> Distribution:
    """Exposures by room over the last day: Gini and top-10 share."""
    return await traffic_service.distribution(session)


@router.get("/admin/traffic/rooms")
async def room_controls(user: AdminUser, session: DbSession, page: PageQuery) -> RoomControlPage:
    """Rooms in the feed (or boosted): their pin or demotion and last day's exposures,
    most exposed first."""
    return await traffic_service.room_controls(session, page)
