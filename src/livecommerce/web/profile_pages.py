"""The viewer's own profile page (我的画像): plain words, a switch, an erase button."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.kit.http import DbSession
from livecommerce.profiles.service import profile_service
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/me/profile")
async def my_profile_page(page: PageDep, session: DbSession) -> Response:
    if page.user is None:
        return page.login_redirect()
    summary = await profile_service.get_summary(session, page.user.id)
    hours = [f"{hour:02d}:00–{(hour + 1) % 24:02d}:00" for hour in summary.active_hours]
    return page.render("profile.html", summary=summary, hours=hours)
