"""Short-video pages: the vertical feed (刷视频) and the host's video console."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.models import Role
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/videos")
async def video_feed_page(page: PageDep, v: str | None = None) -> Response:
    """Full-screen swipe feed on phones, a grid on wide screens; ``v`` opens a shared one."""
    page.data.update(first_video=v)
    return page.render("videos.html")


@router.get("/console/videos")
async def video_console_page(page: PageDep) -> Response:
    if page.user is None:
        return page.login_redirect()
    if page.user.role not in (Role.HOST, Role.MERCHANT, Role.PLATFORM_ADMIN):
        return page.forbidden()
    return page.render("console_videos.html")
