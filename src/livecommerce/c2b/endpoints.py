"""HTTP routes of C2B: pre-sales, pledges, production orders, demand and live polls."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from livecommerce.accounts.dependencies import CurrentUser, HostUser, MerchantUser, OptionalUser
from livecommerce.c2b.demand import demand_service
from livecommerce.c2b.fulfilment import fulfilment_service
from livecommerce.c2b.production import production_service
from livecommerce.c2b.schemas import (
    AudienceSummary,
    CampaignCreate,
    CampaignList,
    CampaignOut,
    CampaignUpdate,
    DecisionList,
    DecisionOut,
    DeliveryIn,
    DemandIn,
    DemandOut,
    DemandTable,
    DemandTableRow,
    JoinRequest,
    JoinResult,
    MyPledgeList,
    MyPledgeOut,
    PledgeList,
    PledgeOut,
    PollCreate,
    PollList,
    PollOut,
    PollVoteIn,
    ProductionList,
    ProductionOut,
    ProductionProgress,
    RuleIn,
    RuleList,
    RuleOut,
    ShipPledge,
    VariantDemand,
)
from livecommerce.c2b.service import CampaignDraft, campaign_service
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import PageQuery, PageRequest

router = APIRouter(prefix="/api/v1", tags=["c2b"])


# ---- pre-sales ---------------------------------------------------------------------


@router.post("/presales", status_code=201)
async def create_presale(
    body: CampaignCreate, user: MerchantUser, session: DbSession
) -> CampaignOut:
    """Turn a product's SKU into a pre-sale with a minimum order quantity."""
    supplier_id = body.supplier_id
    if body.supplier_email:
        supplier_id = await campaign_service.resolve_supplier_email(session, body.supplier_email)
    campaign = await campaign_service.do_create(
        session,
        user,
        CampaignDraft(
            sku_id=body.sku_id,
            title=body.title,
            price_cents=body.price_cents,
            deposit_cents=body.deposit_cents,
            moq=body.moq,
            max_units=body.max_units,
            per_buyer_limit=body.per_buyer_limit,
            deadline=body.deadline,
            expected_ship_at=body.expected_ship_at,
            balance_hours=body.balance_hours,
            on_balance_default=body.on_balance_default,
            customisation_fields=tuple(
                (field.name, field.max_length) for field in body.customisation_fields
            ),
            session_id=body.session_id,
            supplier_id=supplier_id,
            extend_share_bp=body.extend_share_bp,
            extend_hours=body.extend_hours,
            production_at_moq=body.production_at_moq,
            more_sku_ids=tuple(body.more_sku_ids),
        ),
    )
    return CampaignOut.model_validate(campaign)


# A null clears these; for the others it means "unchanged".
_CLEARABLE = ("title", "session_id", "supplier_id")


@router.patch("/presales/{campaign_id}")
async def update_presale(
    campaign_id: str, body: CampaignUpdate, user: MerchantUser, session: DbSession
) -> CampaignOut:
    """Change an open pre-sale (only the fields given). Price, deposit, MOQ, variants and
    customisation fields only until the first buyer joins (409 `c2b_terms_locked`)."""
    changes = {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if value is not None or name in _CLEARABLE
    }
    email = changes.pop("supplier_email", None)
    if email:
        changes["supplier_id"] = await campaign_service.resolve_supplier_email(session, email)
    if "customisation_fields" in changes and body.customisation_fields is not None:
        changes["customisation_fields"] = [
            (field.name, field.max_length) for field in body.customisation_fields
        ]
    campaign = await campaign_service.do_update(session, user, campaign_id, changes)
    return CampaignOut.model_validate(campaign)


@router.get("/presales")
async def list_presales(
    session: DbSession,
    page: PageQuery,
    product_id: str | None = Query(default=None, max_length=32),
    session_id: str | None = Query(default=None, max_length=32),
    merchant_id: str | None = Query(default=None, max_length=32),
) -> CampaignList:
    """Pre-sales of a product, a merchant, or shown in a live session, newest first (50 by
    default)."""
    found = await campaign_service.page_campaigns(
        session, page, product_id=product_id, session_id=session_id, merchant_id=merchant_id
    )
    return CampaignList(
        items=[CampaignOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/presales/mine")
async def my_pledges(user: CurrentUser, session: DbSession, page: PageQuery) -> MyPledgeList:
    """My pre-sale pledges with where each item is (campaign, production, shipping),
    newest first (50 by default)."""
    items: list[MyPledgeOut] = []
    found = await campaign_service.page_my_pledges(session, user, page)
    for pledge in found.items:
        campaign = await campaign_service.get(session, pledge.campaign_id)
        productions = await production_service.list_for_campaign(session, campaign.id)
        production = productions[0] if productions else None
        items.append(
            MyPledgeOut(
                pledge=PledgeOut.model_validate(pledge),
                campaign=CampaignOut.model_validate(campaign),
                production_status=None if production is None else production.status,
                units_made=0 if production is None else production.units_delivered,
                units_total=0 if production is None else production.units_total,
            )
        )
    return MyPledgeList(items=items, next_cursor=found.next_cursor)


@router.get("/presales/{campaign_id}")
async def get_presale(campaign_id: str, session: DbSession) -> CampaignOut:
    return CampaignOut.model_validate(await campaign_service.get(session, campaign_id))


@router.post("/presales/{campaign_id}/join", status_code=201)
async def join_presale(
    campaign_id: str, body: JoinRequest, user: CurrentUser, session: DbSession
) -> JoinResult:
    """Reserve units and get the order to pay (the deposit, or the full price)."""
    joined = await campaign_service.do_join(
        session,
        user,
        campaign_id,
        quantity=body.quantity,
        address_id=body.address_id,
        customisation=dict(body.customisation),
        sku_id=body.sku_id,
    )
    return JoinResult(
        pledge=PledgeOut.model_validate(joined.pledge),
        order_id=joined.order.id,
        amount_cents=joined.order.total_cents,
        expires_at=joined.order.expires_at,
    )


@router.get("/presales/{campaign_id}/pledges")
async def list_pledges(
    campaign_id: str, user: MerchantUser, session: DbSession, page: PageQuery
) -> PledgeList:
    """The pre-sale's pledges, oldest first (50 by default)."""
    campaign = await campaign_service.get_for_merchant(session, user, campaign_id)
    found = await campaign_service.page_pledges(session, campaign, page)
    return PledgeList(
        items=[PledgeOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/presales/{campaign_id}/decisions")
async def list_decisions(
    campaign_id: str, user: MerchantUser, session: DbSession, page: PageQuery
) -> DecisionList:
    """The automatic decisions about this pre-sale, with the figures behind each, oldest
    first (50 by default)."""
    campaign = await campaign_service.get_for_merchant(session, user, campaign_id)
    found = await fulfilment_service.page_decisions(session, user, page, campaign_id=campaign.id)
    return DecisionList(
        items=[DecisionOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.post("/pledges/{pledge_id}/ship")
async def ship_pledge(
    pledge_id: str, body: ShipPledge, user: MerchantUser, session: DbSession
) -> PledgeOut:
    pledge = await fulfilment_service.do_ship_pledge(
        session, user, pledge_id, carrier=body.carrier, tracking_number=body.tracking_number
    )
    return PledgeOut.model_validate(pledge)


# ---- production orders -------------------------------------------------------------


@router.get("/production-orders")
async def list_production(user: CurrentUser, session: DbSession, page: PageQuery) -> ProductionList:
    """A supplier's production orders, or a merchant's, newest first (50 by default)."""
    found = await production_service.page_for_user(session, user, page)
    return ProductionList(
        items=[ProductionOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/production-orders/{production_id}")
async def get_production(
    production_id: str, user: CurrentUser, session: DbSession
) -> ProductionOut:
    order = await production_service.get_for_user(session, user, production_id)
    return ProductionOut.model_validate(order)


@router.post("/production-orders/{production_id}/accept")
async def accept_production(
    production_id: str, user: CurrentUser, session: DbSession
) -> ProductionOut:
    order = await production_service.do_accept(session, user, production_id)
    return ProductionOut.model_validate(order)


@router.post("/production-orders/{production_id}/decline")
async def decline_production(
    production_id: str, user: CurrentUser, session: DbSession
) -> ProductionOut:
    order = await production_service.do_decline(session, user, production_id)
    return ProductionOut.model_validate(order)


@router.post("/production-orders/{production_id}/progress")
async def report_progress(
    production_id: str, body: ProductionProgress, user: CurrentUser, session: DbSession
) -> ProductionOut:
    order = await production_service.do_progress(session, user, production_id, body.status)
    return ProductionOut.model_validate(order)


@router.post("/production-orders/{production_id}/deliveries", status_code=201)
async def deliver(
    production_id: str, body: DeliveryIn, user: CurrentUser, session: DbSession
) -> ProductionOut:
    order = await production_service.do_deliver(
        session, user, production_id, units=body.units, note=body.note
    )
    return ProductionOut.model_validate(order)


# ---- demand and polls --------------------------------------------------------------


@router.post("/products/{product_id}/demand", status_code=201)
async def want_variant(
    product_id: str, body: DemandIn, user: CurrentUser, session: DbSession
) -> DemandOut:
    """Vote for a variant (or propose one), optionally with the price you would pay."""
    await demand_service.do_vote(
        session,
        user,
        product_id,
        variant=body.variant,
        proposed=body.proposed,
        price_willing_cents=body.price_willing_cents,
        session_id=body.session_id,
    )
    return await _demand(session, user, product_id, PageRequest())


@router.get("/products/{product_id}/demand")
async def product_demand(
    product_id: str, user: OptionalUser, session: DbSession, page: PageQuery
) -> DemandOut:
    """Votes per variant, most wanted first (viewers may propose variants, so it pages);
    the prices people would pay only for the merchant and hosts."""
    return await _demand(session, user, product_id, page)


async def _demand(
    session: DbSession, user: OptionalUser, product_id: str, page: PageRequest
) -> DemandOut:
    found = await demand_service.demand_of(session, product_id, page)
    prices = await demand_service.check_may_read_prices(session, user, product_id)
    return DemandOut(
        product_id=product_id,
        variants=[
            VariantDemand(
                variant=total.variant,
                proposed=total.proposed,
                votes=total.votes,
                average_price_cents=total.average_price_cents if prices else None,
                priced=total.priced if prices else 0,
            )
            for total in found.items
        ],
        next_cursor=found.next_cursor,
    )


@router.get("/c2b/demand")
async def demand_table(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    scope: Literal["products", "room"] | None = Query(default=None),
) -> DemandTable:
    """The demand table: votes, proposals and the price people would pay per product and
    variant, most wanted first (50 by default), with the profile of the people asking.
    `products` (merchants' default): demand for the caller's products; `room` (hosts'
    default): what viewers asked for in the caller's room."""
    used, found = await demand_service.demand_table(session, user, page, scope)
    return DemandTable(
        scope="room" if used == "room" else "products",
        items=[
            DemandTableRow(
                product_id=row.product_id,
                product_title=row.product_title,
                currency=row.currency,
                variant=row.variant,
                proposed=row.proposed,
                votes=row.votes,
                average_price_cents=row.average_price_cents,
                priced=row.priced,
                profiled=row.profiled,
                audience=None
                if row.audience is None
                else AudienceSummary(
                    size=row.audience.size,
                    interests=[
                        {"name": item.name, "share": item.score} for item in row.audience.interests
                    ],
                    price_bands=row.audience.price_bands,
                    new=row.audience.new,
                    returning=row.audience.returning,
                ),
            )
            for row in found.items
        ],
        next_cursor=found.next_cursor,
    )


@router.get("/c2b-rules")
async def list_rules(user: MerchantUser, session: DbSession, page: PageQuery) -> RuleList:
    """The merchant's decision rules, on and off, oldest first (50 by default)."""
    found = await demand_service.page_rules(session, user, page)
    return RuleList(
        items=[RuleOut.model_validate(rule) for rule in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/c2b-decisions")
async def merchant_decisions(
    user: MerchantUser,
    session: DbSession,
    page: PageQuery,
    product_id: str | None = Query(default=None, max_length=32),
) -> DecisionList:
    """Every automatic decision about the merchant's products and pre-sales with the
    figures that triggered it, newest first (50 by default)."""
    found = await fulfilment_service.page_merchant_decisions(
        session, user, page, product_id=product_id
    )
    return DecisionList(
        items=[DecisionOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.put("/products/{product_id}/c2b-rules")
async def set_rule(
    product_id: str, body: RuleIn, user: MerchantUser, session: DbSession
) -> RuleOut:
    """Switch an automatic decision on or off for a product (auto_launch, reorder)."""
    rule = await demand_service.do_set_rule(
        session, user, product_id, body.kind, dict(body.params), body.enabled
    )
    return RuleOut.model_validate(rule)


@router.post("/live-sessions/{session_id}/polls", status_code=201)
async def create_poll(
    session_id: str, body: PollCreate, user: HostUser, session: DbSession
) -> PollOut:
    poll = await demand_service.do_create_poll(
        session,
        user,
        session_id,
        question=body.question,
        options=list(body.options),
        product_id=body.product_id,
    )
    return PollOut.model_validate(poll)


@router.get("/live-sessions/{session_id}/polls")
async def list_polls(session_id: str, session: DbSession) -> PollList:
    polls = await demand_service.list_polls(session, session_id)
    return PollList(items=[PollOut.model_validate(item) for item in polls])


@router.post("/polls/{poll_id}/vote")
async def vote_poll(
    poll_id: str, body: PollVoteIn, user: CurrentUser, session: DbSession
) -> PollOut:
    poll = await demand_service.do_vote_poll(session, user, poll_id, body.option)
    return PollOut.model_validate(poll)


@router.post("/polls/{poll_id}/close")
async def close_poll(poll_id: str, user: HostUser, session: DbSession) -> PollOut:
    poll = await demand_service.do_close_poll(session, user, poll_id)
    return PollOut.model_validate(poll)
