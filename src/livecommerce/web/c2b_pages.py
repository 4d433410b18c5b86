"""Pages of C2B: the factory console (suppliers and merchants), a pre-sale's page, the
merchant's pre-sale console and form, and the demand table (merchants and hosts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.c2b.production import production_service
from livecommerce.c2b.schemas import CampaignOut
from livecommerce.c2b.service import MAX_VARIANTS, campaign_service
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import PageRequest
from livecommerce.models import Role, User
from livecommerce.web.rendering import Page, PageDep

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


# ---- the merchant's pre-sale console ------------------------------------------------


def _spec_key(specs: list[dict[str, Any]], default: str) -> str:
    """The name a new variant goes under: the products' one spec name, if it has one."""
    keys = {tuple(spec) for spec in specs}
    if len(keys) == 1:
        (only,) = keys
        if len(only) == 1:
            return str(only[0])
    return default


PRODUCTS_IN_FORM = 100


async def _merchant_products(
    session: AsyncSession, page: Page, also: str | None = None, query: str | None = None
) -> list[dict[str, Any]]:
    """The merchant's products (the newest ``PRODUCTS_IN_FORM``, those whose title matches
    ``query`` when given, and ``also`` if it is another one of theirs) with their SKUs, for
    the forms' choices."""
    user = page.user
    assert user is not None
    default_key = page.t("c2b.spec_name")
    found, _ = await catalog_service.list_products(
        session,
        user,
        mine=True,
        status=None,
        merchant_id=None,
        category=None,
        query=query or None,
        page=PageRequest(limit=PRODUCTS_IN_FORM),
        offset=0,
    )
    products = list(found.items)
    if also is not None and all(product.id != also for product in products):
        try:
            extra = await catalog_service.get_product(session, also)
        except LiveCommerceError:
            extra = None
        if extra is not None and catalog_service.can_edit(user, extra):
            products.append(extra)
    return [
        {
            "id": product.id,
            "title": product.title,
            "currency": product.currency,
            "spec_key": _spec_key([dict(sku.spec) for sku in product.skus], default_key),
            "skus": [
                {
                    "id": sku.id,
                    "label": " / ".join(str(value) for value in dict(sku.spec).values()),
                    "price_cents": sku.price_cents,
                }
                for sku in product.skus
            ],
        }
        for product in products
    ]


async def _suppliers(session: AsyncSession, user: User) -> list[dict[str, str]]:
    return [
        {"id": supplier.id, "name": supplier.display_name}
        for supplier in await campaign_service.known_suppliers(session, user)
    ]


@router.get("/console/presales")
async def presales_console(page: PageDep, session: DbSession) -> Response:
    """预售管理: the merchant's pre-sales with progress, state and production; the decision
    rules with their switches and the log of what they decided (lists filled by
    presales_console.js from the API)."""
    if page.user is None:
        return page.login_redirect()
    if not page.is_merchant:
        return page.not_found()
    page.data.update(
        products=await _merchant_products(session, page),
        suppliers=await _suppliers(session, page.user),
    )
    return page.render("presales_console.html")


@router.get("/console/presales/new")
async def presale_new(
    page: PageDep,
    session: DbSession,
    product_id: str | None = Query(default=None, max_length=32),
    variant: str | None = Query(default=None, max_length=40),
    q: str | None = Query(default=None, max_length=100),
) -> Response:
    """The form for a new pre-sale, from a product or from a demanded variant; ``q``
    narrows the product choice to the merchant's products whose title matches."""
    if page.user is None:
        return page.login_redirect()
    if not page.is_merchant:
        return page.not_found()
    query = (q or "").strip()
    products = await _merchant_products(session, page, product_id, query)
    page.data.update(
        products=products,
        suppliers=await _suppliers(session, page.user),
        prefill={"product_id": product_id, "variant": variant},
        campaign=None,
        locked=False,
        max_variants=MAX_VARIANTS,
    )
    return page.render(
        "presale_form.html",
        editing=False,
        product_query=query,
        products_shown=len(products),
        products_capped=len(products) >= PRODUCTS_IN_FORM,
        prefill_variant=variant or "",
    )


@router.get("/console/presales/{campaign_id}/edit")
async def presale_edit(campaign_id: str, page: PageDep, session: DbSession) -> Response:
    """The same form for an open pre-sale; its terms are read-only once buyers joined."""
    if page.user is None:
        return page.login_redirect()
    if not page.is_merchant:
        return page.not_found()
    try:
        campaign = await campaign_service.get_for_merchant(session, page.user, campaign_id)
    except LiveCommerceError:
        return page.not_found()
    page.data.update(
        products=await _merchant_products(session, page, campaign.product_id),
        suppliers=await _suppliers(session, page.user),
        prefill={"product_id": campaign.product_id, "variant": None},
        campaign=CampaignOut.model_validate(campaign).model_dump(mode="json"),
        locked=await campaign_service.has_buyers(session, campaign),
        max_variants=MAX_VARIANTS,
    )
    return page.render("presale_form.html", editing=True)


@router.get("/console/demand")
async def demand_page(page: PageDep) -> Response:
    """需求看板: demand per product and variant with the profile of the people asking
    (filled by demand_table.js from the API)."""
    if page.user is None:
        return page.login_redirect()
    if page.user.role not in (Role.MERCHANT, Role.HOST, Role.PLATFORM_ADMIN):
        return page.not_found()
    return page.render("demand_table.html")
