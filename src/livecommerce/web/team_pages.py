"""The host's team: the page an invitation's link opens (accept it, signed in), and the
team tools page where members work for their rooms (客服: the room's orders, messages to
buyers, refund requests; 选品: the marketplace and sample requests)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.http import DbSession
from livecommerce.live.service import live_service
from livecommerce.live.team import ROLE_ACTIONS, team_service
from livecommerce.models import User
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)


async def team_console(session: AsyncSession, user: User, room_id: str) -> dict[str, Any] | None:
    """Who opens a room's session console: its host (everything), a member of its team
    (``actions``: only the parts their role may use — a 场控 pins, runs flash sales,
    lotteries, coupon drops, Q&A and chat moderation; a 选品 manages the showcase; a 客服
    answers questions), or no one else (``None``). Sales figures, the cover, start/end and
    the traffic panel are the host's."""
    room = await live_service.get_room(session, room_id)
    role = await team_service.role_of(session, user, room)
    if role is None:
        return None
    if role == "host":
        return {"role": "host", "actions": None}
    return {"role": role, "actions": sorted(ROLE_ACTIONS[role])}


@router.get("/team/invite/{token}")
async def team_invite_page(token: str, page: PageDep, session: DbSession) -> Response:
    """What the invitation offers and one button; signing in first when needed."""
    if page.user is None:
        return page.login_redirect()
    try:
        staff, room = await team_service.get_invite(session, token[:64])
    except LiveCommerceError:
        return page.render("team_invite.html", valid=False, room=None, role=None)
    page.data.update(token=token[:64], room_id=room.id)
    return page.render(
        "team_invite.html",
        valid=True,
        room={"id": room.id, "name": room.name},
        role=staff.role,
        status=staff.status,
        expires_at=staff.expires_at.isoformat(),
    )


@router.get("/team")
async def team_tools_page(page: PageDep) -> Response:
    """The rooms the signed-in user works for, each with its role's tools (filled by
    team_tools.js from the API)."""
    if page.user is None:
        return page.login_redirect()
    return page.render("team_tools.html")
