"""The viewer's own profile page (我的画像): plain words, a switch, an erase button."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.kit.http import DbSession
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role
from livecommerce.profiles.service import profile_service
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


async def record_product_view(runtime: Runtime, user_id: str, product_id: str) -> None:
    """A signed-in viewer opened a product page: a view in their profile, in a unit of its
    own so that a busy database never costs the page."""
    try:
        async with runtime.db.transaction() as session:
            await profile_service.do_record_product_action(session, user_id, product_id, "pv")
    except Exception:  # the page matters more than one view
        log.warning("could not record a product view", exc_info=True)


@router.get("/me/profile")
async def my_profile_page(page: PageDep, session: DbSession) -> Response:
    if page.user is None:
        return page.login_redirect()
    summary = await profile_service.get_summary(session, page.user.id)
    hours = [f"{hour:02d}:00–{(hour + 1) % 24:02d}:00" for hour in summary.active_hours]
    return page.render("profile.html", summary=summary, hours=hours)


@router.get("/console/audiences")
async def audiences_console_page(page: PageDep) -> Response:
    """The goods-find-people console: a merchant builds a product's audience from profiles,
    a host an upcoming session's; see its size and mix, target it with a message or a
    coupon and a hold-out, read the uplift."""
    if page.user is None:
        return page.login_redirect()
    if not page.is_host:
        return page.forbidden()
    for_sessions = page.user.role == Role.HOST
    page.data.update(audience_subject="session" if for_sessions else "product")
    return page.render("console_audiences.html", for_sessions=for_sessions)
