"""Partner consoles: the selection marketplace, a merchant's offers, the agency, earnings.

Each page is a shell; its ES module loads everything through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.models import Role
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)

PARTNER_ROLES = {Role.HOST, Role.MERCHANT, Role.MCN_ADMIN, Role.PLATFORM_ADMIN}


def _gate(page: PageDep, roles: set[Role]) -> Response | None:
    if page.user is None:
        return page.login_redirect()
    if page.user.role not in roles and page.user.role != Role.PLATFORM_ADMIN:
        return page.forbidden()
    return None


@router.get("/console/marketplace")
async def marketplace_page(page: PageDep) -> Response:
    return _gate(page, {Role.HOST, Role.MCN_ADMIN}) or page.render("console_marketplace.html")


@router.get("/console/offers")
async def offers_page(page: PageDep) -> Response:
    return _gate(page, {Role.MERCHANT}) or page.render("console_offers.html")


@router.get("/console/agency")
async def agency_page(page: PageDep) -> Response:
    return _gate(page, {Role.MCN_ADMIN}) or page.render("console_agency.html")


@router.get("/console/earnings")
async def earnings_page(page: PageDep) -> Response:
    return _gate(page, PARTNER_ROLES) or page.render("console_earnings.html")
