from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Query
from fastapi.responses import Response

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
)
from livecommerce.fans.service import fan_service
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery, PageRequest, decode_cursor

router = APIRouter(prefix="/api/v1", tags=["fans"])


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
