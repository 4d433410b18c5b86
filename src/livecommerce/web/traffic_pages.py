"""The operator's traffic page: the policy blend, pins and demotions, the distribution."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.models import Role
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/admin/traffic")
async def admin_traffic_page(page: PageDep) -> Response:
    if page.user is None:
        return page.login_redirect()
    if page.user.role != Role.PLATFORM_ADMIN:
        return page.forbidden()
    return page.render("admin_traffic.html")
