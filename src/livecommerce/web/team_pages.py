"""The host's team: the page an invitation's link opens (accept it, signed in)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.http import DbSession
from livecommerce.live.team import team_service
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)


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
