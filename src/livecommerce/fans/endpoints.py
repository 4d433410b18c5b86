from __future__ import annotations

import csv
import io
import re

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from livecommerce.accounts.dependencies import CurrentUser, OptionalUser
from livecommerce.fans.hosts import host_page_service
from livecommerce.fans.schemas import (
    FanClubOut,
    FanClubUpdate,
    FanList,
    FanOnlineList,
    FanSegment,
    FanSort,
    HostPageOut,
    ShareLinkIn,
    ShareLinkList,
    ShareLinkOut,
    ShareTotals,
)
from livecommerce.fans.service import fan_service
from livecommerce.fans.sharing import sharing_service
from livecommerce.kit.http import WRITES, DbSession
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery, PageRequest, decode_cursor
from livecommerce.kit.runtime import runtime_of

router = APIRouter(prefix="/api/v1", tags=["fans"])
share_router = APIRouter(tags=["fans"])

# The browser's visitor id (the insights domain issues and reads the same cookie).
VISITOR_COOKIE = "lc_visitor"
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600
_VISITOR_ID = re.compile(r"^[0-9a-f]{32}$")


@router.get("/rooms/{room_id}/fan-club")
async def get_fan_club(room_id: str, user: OptionalUser, session: DbSession) -> FanClubOut:
    """The room's fan club (粉丝团) and, signed in, the caller's membership: intimacy,
    level, badge and what was earned today against the daily caps."""
    return await fan_service.get_club_out(session, room_id, user)


@router.post("/rooms/{room_id}/fan-club")
async def join_fan_club(room_id: str, user: CurrentUser, session: DbSession) -> FanClubOut:
    """Join (idempotent). When the operator requires paid badges and the room sells one,
    409 ``fan_club_badge_required`` names the product: buying it makes the buyer a member."""
    return await fan_service.do_join(session, user, room_id)


@router.delete("/rooms/{room_id}/fan-club")
async def leave_fan_club(room_id: str, user: CurrentUser, session: DbSession) -> FanClubOut:
    """Leave (idempotent). The intimacy is gone; today's caps stay spent."""
    return await fan_service.do_leave(session, user, room_id)


@router.patch("/rooms/{room_id}/fan-club")
async def update_fan_club(
    room_id: str, body: FanClubUpdate, user: CurrentUser, session: DbSession
) -> FanClubOut:
    """The host names the badge and may sell it as one of their own products."""
    return await fan_service.do_update_club(session, user, room_id, body)


@router.get("/hosts/{room_id}")
async def get_host_page(room_id: str, user: OptionalUser, session: DbSession) -> HostPageOut:
    """The host's persona page: bio, tags, catchphrases, counts, sessions, replays, shop."""
    return await host_page_service.get_host_page(session, room_id, user)


@router.get("/live-sessions/{session_id}/fans-online")
async def list_online_fans(session_id: str, session: DbSession, page: PageQuery) -> FanOnlineList:
    """The room's online list of fan-club members with their badges, highest level first
    (members whose visit or heartbeat in this session is recent)."""
    found = await fan_service.page_online(session, session_id, page)
    return FanOnlineList(items=found.items, next_cursor=found.next_cursor)


MinLevel = Query(default=None, ge=1, le=20, description="Fan-club members at this level or up.")
CSV_COLUMNS = [
    "user_id",
    "display_name",
    "following",
    "member",
    "level",
    "intimacy",
    "joined_at",
    "last_seen_at",
    "sessions_watched",
    "orders",
    "spend_cents",
]


@router.get("/rooms/{room_id}/fans")
async def list_fans(
    room_id: str,
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    segment: FanSegment = "all",
    min_level: int | None = MinLevel,
    sort: FanSort = "level",
) -> FanList:
    """The host's fan list (私域): followers and fan-club members with level, last visit,
    sessions watched, paid orders and spend. Highest first by ``sort``."""
    found = await fan_service.page_fans(
        session, user, room_id, segment=segment, min_level=min_level, sort=sort, page=page
    )
    return FanList(items=found.items, next_cursor=found.next_cursor)


@router.get("/rooms/{room_id}/fans.csv", response_class=Response)
async def export_fans(
    room_id: str,
    user: CurrentUser,
    session: DbSession,
    segment: FanSegment = "all",
    min_level: int | None = MinLevel,
    sort: FanSort = "level",
) -> Response:
    """The same list as ``/fans`` with the same filters and order, every page, as CSV:
    the host's fans are the host's own."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    request = PageRequest(limit=MAX_LIMIT)
    while True:
        found = await fan_service.page_fans(
            session, user, room_id, segment=segment, min_level=min_level, sort=sort, page=request
        )
        for row in found.items:
            data = row.model_dump(mode="json")
            writer.writerow([_cell(data[name]) for name in CSV_COLUMNS])
        if found.next_cursor is None:
            break
        request = PageRequest(limit=MAX_LIMIT, after=decode_cursor(found.next_cursor))
    return Response(
        content="\ufeff" + buffer.getvalue(),  # a BOM, so spreadsheet apps read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="fans.csv"'},
    )


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# ---- share links --------------------------------------------------------------------


@router.post("/share-links", status_code=201)
async def create_share_link(
    body: ShareLinkIn, user: CurrentUser, session: DbSession
) -> ShareLinkOut:
    """The caller's link to a room, one of its sessions or a product, carrying the
    caller's attribution code (the same link when asked again)."""
    link = await sharing_service.do_create(session, user, body)
    return sharing_service.link_out(session, link)


@router.get("/share-links")
async def list_my_share_links(
    user: CurrentUser, session: DbSession, page: PageQuery
) -> ShareLinkList:
    """The caller's links, newest first: how many came through each and how many bought."""
    found = await sharing_service.page_mine(session, user, page)
    return ShareLinkList(items=found.items, next_cursor=found.next_cursor)


@router.get("/rooms/{room_id}/share-links")
async def list_room_share_links(
    room_id: str, user: CurrentUser, session: DbSession, page: PageQuery
) -> ShareTotals:
    """The host's view of every share link to the room: totals, and the links."""
    return await sharing_service.room_totals(session, user, room_id, page)


@share_router.get("/s/{code}", include_in_schema=False, dependencies=[WRITES])
async def visit_share_link(
    code: str, request: Request, user: OptionalUser, session: DbSession
) -> RedirectResponse:
    """Count the visit for the sharer and lead on to what was shared."""
    cookie = request.cookies.get(VISITOR_COOKIE)
    visitor_id = cookie if cookie is not None and _VISITOR_ID.fullmatch(cookie) else None
    fresh = visitor_id is None and user is None
    if fresh:
        visitor_id = new_id()
    path = await sharing_service.do_visit(session, code[:16], user, visitor_id)
    response = RedirectResponse(path, status_code=302)
    if fresh and visitor_id is not None:
        response.set_cookie(
            VISITOR_COOKIE,
            visitor_id,
            max_age=VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=runtime_of(session).settings.session_cookie_secure,
        )
    return response
