"""Pages of C2B: the factory console (suppliers and merchants) and a pre-sale's page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from livecommerce.c2b.production import production_service
from livecommerce.c2b.service import campaign_service
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.http import DbSession
from livecommerce.models import Role
from livecommerce.web.rendering import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/factory")
async def factory_page(page: PageDep, session: DbSession) -> Response:
    """工厂工作台: a supplier's production orders (accept, progress, deliveries); a
    merchant sees the state of its own."""
    if page.user is None:
        return page.login_redirect()
    if page.user.role not in (Role.SUPPLIER, Role.MERCHANT, Role.PLATFORM_ADMIN):
        return page.not_found()
    orders = await production_service.list_for_user(session, page.user)
    campaigns = []
    if page.user.role in (Role.MERCHANT, Role.PLATFORM_ADMIN):
        for campaign in await campaign_service.list_campaigns(session, merchant_id=page.user.id):
            pledges = await campaign_service.list_pledges(session, campaign)
            campaigns.append((campaign, pledges))
    return page.render(
        "factory.html",
        orders=orders,
        campaigns=campaigns,
        is_supplier=page.user.role == Role.SUPPLIER,
    )


@router.get("/presales/{campaign_id}")
async def presale_page(campaign_id: str, page: PageDep, session: DbSession) -> Response:
    """A pre-sale: its progress and, for a buyer, where their item is."""
    try:
        campaign = await campaign_service.get(session, campaign_id)
    except LiveCommerceError:
        return page.not_found()
    page.data.update(campaign_id=campaign.id)
    return page.render("presale.html", campaign=campaign)
