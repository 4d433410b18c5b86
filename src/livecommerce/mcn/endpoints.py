from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import RedirectResponse

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.accounts.service import account_service
from livecommerce.kit.errors import ValidationFailed
from livecommerce.kit.http import WRITES, DbSession
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.kit.types import INT32_MAX, MAX_CENTS
from livecommerce.live.schemas import ShowcaseItemOut
from livecommerce.live.team import team_service
from livecommerce.mcn.schemas import (
    AffiliateLinkIn,
    AffiliateLinkList,
    AffiliateLinkOut,
    AgencyDashboard,
    AgencyIn,
    AgencyOut,
    ContractIn,
    ContractList,
    ContractOut,
    ConversionOut,
    HostFigures,
    InviteIn,
    OfferIn,
    OfferList,
    OfferOut,
    OfferPatch,
    PostbackIn,
    SampleIn,
    SampleList,
    SampleOut,
    ShowcaseFromOffer,
    StaffIn,
    StaffList,
    StaffOut,
)
from livecommerce.mcn.service import mcn_service

router = APIRouter(prefix="/api/v1/mcn", tags=["mcn"])
go_router = APIRouter(tags=["mcn"])


# ---- agencies and contracts ----------------------------------------------------------


@router.post("/agencies", status_code=201)
async def create_agency(body: AgencyIn, user: CurrentUser, session: DbSession) -> AgencyOut:
    """An MCN admin opens its agency (one per admin)."""
    agency = await mcn_service.do_create_agency(session, user, body.name)
    return AgencyOut.model_validate(agency)


@router.get("/agency")
async def my_agency(user: CurrentUser, session: DbSession) -> AgencyOut:
    return AgencyOut.model_validate(await mcn_service.get_my_agency(session, user))


@router.get("/agency/dashboard")
async def agency_dashboard(user: CurrentUser, session: DbSession) -> AgencyDashboard:
    """The agency's hosts: sessions, paid orders, GMV and what each earned."""
    return await mcn_service.agency_dashboard(session, user)


@router.get("/agency/hosts/{host_id}")
async def agency_host(host_id: str, user: CurrentUser, session: DbSession) -> HostFigures:
    return await mcn_service.agency_host(session, user, host_id)


@router.post("/contracts", status_code=201)
async def invite_host(body: ContractIn, user: CurrentUser, session: DbSession) -> ContractOut:
    """The agency invites a host; the contract starts once the host accepts."""
    contract = await mcn_service.do_invite_host(
        session,
        user,
        host_id=body.host_id,
        host_email=body.host_email,
        share_bp=body.share_bp,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )
    return ContractOut.model_validate(contract)


@router.get("/contracts")
async def list_contracts(user: CurrentUser, session: DbSession, page: PageQuery) -> ContractList:
    """An agency's contracts, or a host's own, newest first (100 a page by default)."""
    found = await mcn_service.list_contracts(session, user, page.or_default(MAX_LIMIT))
    contracts = found.items
    names = await _user_names(session, {item.host_id for item in contracts})
    agencies = {
        agency_id: await mcn_service.agency_name(session, agency_id)
        for agency_id in {item.agency_id for item in contracts}
    }
    return ContractList(
        items=[
            ContractOut.model_validate(item).model_copy(
                update={
                    "host_name": names.get(item.host_id, ""),
                    "agency_name": agencies.get(item.agency_id, ""),
                }
            )
            for item in contracts
        ],
        next_cursor=found.next_cursor,
    )


async def _user_names(session: DbSession, user_ids: set[str]) -> dict[str, str]:
    users = await account_service.get_users(session, user_ids)
    return {user_id: user.display_name for user_id, user in users.items()}


@router.post("/contracts/{contract_id}/{action}")
async def answer_contract(
    contract_id: str,
    action: Literal["accept", "decline", "terminate"],
    user: CurrentUser,
    session: DbSession,
) -> ContractOut:
    if action == "terminate":
        contract = await mcn_service.do_terminate_contract(session, user, contract_id)
    else:
        contract = await mcn_service.do_answer_contract(
            session, user, contract_id, accept=action == "accept"
        )
    return ContractOut.model_validate(contract)


# ---- merchant staff (商家自播) ----------------------------------------------------------


@router.post("/staff", status_code=201)
async def add_staff(body: StaffIn, user: CurrentUser, session: DbSession) -> StaffOut:
    """A merchant names a host as its own staff; the host confirms. Staff earn no commission."""
    row = await mcn_service.do_add_staff(session, user, body.host_id, host_email=body.host_email)
    return StaffOut.model_validate(row)


@router.get("/staff")
async def list_staff(user: CurrentUser, session: DbSession, page: PageQuery) -> StaffList:
    """A merchant's staff hosts, or the merchants I staff for, oldest first (100 a page)."""
    found = await mcn_service.list_staff(session, user, page.or_default(MAX_LIMIT))
    rows = found.items
    names = await _user_names(
        session, {row.host_id for row in rows} | {row.merchant_id for row in rows}
    )
    return StaffList(
        items=[
            StaffOut.model_validate(row).model_copy(
                update={
                    "host_name": names.get(row.host_id, ""),
                    "merchant_name": names.get(row.merchant_id, ""),
                }
            )
            for row in rows
        ],
        next_cursor=found.next_cursor,
    )


@router.post("/staff/{merchant_id}/accept")
async def accept_staff(merchant_id: str, user: CurrentUser, session: DbSession) -> StaffOut:
    return StaffOut.model_validate(await mcn_service.do_accept_staff(session, user, merchant_id))


@router.delete("/staff/{merchant_id}/{host_id}", status_code=204)
async def remove_staff(
    merchant_id: str, host_id: str, user: CurrentUser, session: DbSession
) -> None:
    await mcn_service.do_remove_staff(session, user, merchant_id, host_id)


# ---- selection marketplace ----------------------------------------------------------


@router.post("/offers", status_code=201)
async def create_offer(body: OfferIn, user: CurrentUser, session: DbSession) -> OfferOut:
    """A merchant offers one of its products to hosts for a commission."""
    return await mcn_service.do_create_offer(session, user, **body.model_dump())


@router.get("/offers", responses={404: {"description": "No such room (``room_id``)"}})
async def browse_offers(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    mine: bool = False,
    category: Annotated[str | None, Query(max_length=60)] = None,
    min_price_cents: Annotated[int | None, Query(ge=0, le=MAX_CENTS)] = None,
    max_price_cents: Annotated[int | None, Query(ge=0, le=MAX_CENTS)] = None,
    min_commission_bp: Annotated[int | None, Query(ge=0, le=10000)] = None,
    min_sales: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None,
    sort: Literal["newest", "commission", "sales", "price"] = "newest",
    room_id: Annotated[
        str | None,
        Query(
            max_length=32,
            description="Browse for this room, as its host sees the marketplace (the host, "
            "or a 选品 member of its team).",
        ),
    ] = None,
) -> OfferList:
    """The selection marketplace (选品广场); ``mine`` lists a merchant's own offers."""
    if room_id is not None:
        user = await team_service.act_for_room(session, user, room_id, "marketplace", record=False)
    offers = await mcn_service.browse_offers(
        session,
        user,
        mine=mine,
        category=category,
        min_price_cents=min_price_cents,
        max_price_cents=max_price_cents,
        min_commission_bp=min_commission_bp,
        min_sales=min_sales,
        sort=sort,
        page=page,
    )
    return OfferList(items=offers.items, next_cursor=offers.next_cursor)


@router.get("/offers/{offer_id}")
async def get_offer(offer_id: str, user: CurrentUser, session: DbSession) -> OfferOut:
    return await mcn_service.offer_detail(session, user, offer_id)


@router.patch("/offers/{offer_id}")
async def update_offer(
    offer_id: str, body: OfferPatch, user: CurrentUser, session: DbSession
) -> OfferOut:
    return await mcn_service.do_update_offer(
        session, user, offer_id, body.model_dump(exclude_unset=True)
    )


@router.post("/offers/{offer_id}/invites")
async def invite_to_offer(
    offer_id: str, body: InviteIn, user: CurrentUser, session: DbSession
) -> dict[str, int]:
    added = await mcn_service.do_invite_to_offer(session, user, offer_id, body.host_ids)
    return {"invited": added}


@router.post("/offers/{offer_id}/showcase", status_code=201)
async def add_offer_to_showcase(
    offer_id: str, body: ShowcaseFromOffer, user: CurrentUser, session: DbSession
) -> ShowcaseItemOut:
    """Put the offer's product in one of my sessions' showcase, optionally at live prices
    no lower than the offer's price floor (``min_live_price_cents``, else catalog prices)."""
    return await mcn_service.do_add_offer_to_showcase(
        session, user, offer_id, body.session_id, body
    )


@router.post("/offers/{offer_id}/samples", status_code=201)
async def request_sample(
    offer_id: str, body: SampleIn, user: CurrentUser, session: DbSession
) -> SampleOut:
    """A host (or an agency) asks the merchant for a sample. With ``room_id``, for that
    room: its host, or a 选品 member of its team (the request is the host's, and the team's
    log names the member)."""
    if body.room_id is not None:
        user = await team_service.act_for_room(
            session, user, body.room_id, "sample_request", target=offer_id
        )
    request = await mcn_service.do_request_sample(session, user, offer_id, body.note)
    return SampleOut.model_validate(request)


@router.get("/samples")
async def list_samples(user: CurrentUser, session: DbSession, page: PageQuery) -> SampleList:
    """A merchant's incoming sample requests, or the requests I made (100 a page by default)."""
    found = await mcn_service.list_samples(session, user, page.or_default(MAX_LIMIT))
    requests = found.items
    names = await _user_names(session, {item.requester_id for item in requests})
    return SampleList(
        items=[
            SampleOut.model_validate(item).model_copy(
                update={"requester_name": names.get(item.requester_id, "")}
            )
            for item in requests
        ],
        next_cursor=found.next_cursor,
    )


@router.post("/samples/{sample_id}/{action}")
async def decide_sample(
    sample_id: str,
    action: Literal["approve", "decline"],
    user: CurrentUser,
    session: DbSession,
) -> SampleOut:
    request = await mcn_service.do_decide_sample(
        session, user, sample_id, approve=action == "approve"
    )
    return SampleOut.model_validate(request)


# ---- affiliate links ----------------------------------------------------------------


@router.post("/affiliate-links", status_code=201)
async def create_link(
    body: AffiliateLinkIn, user: CurrentUser, session: DbSession
) -> AffiliateLinkOut:
    """A host's tracked link to a product in an external store: share ``/go/{code}``."""
    link = await mcn_service.do_create_link(
        session,
        user,
        title=body.title,
        target_url=str(body.target_url),
        store_name=body.store_name,
        commission_bp=body.commission_bp,
        currency=body.currency,
    )
    return AffiliateLinkOut.model_validate(link)


@router.get("/affiliate-links")
async def list_links(user: CurrentUser, session: DbSession, page: PageQuery) -> AffiliateLinkList:
    """My affiliate links, newest first (100 a page by default)."""
    links = await mcn_service.list_links(session, user, page.or_default(MAX_LIMIT))
    return AffiliateLinkList(
        items=[AffiliateLinkOut.model_validate(link) for link in links.items],
        next_cursor=links.next_cursor,
    )


@router.post("/affiliate-links/{link_id}/rotate-secret")
async def rotate_postback_secret(
    link_id: str, user: CurrentUser, session: DbSession
) -> AffiliateLinkOut:
    """A new ``postback_secret`` for my link, for when the old one may have leaked: from
    now on only postbacks signed with the new one are taken (the old one gets
    ``403 bad_signature``). Someone else's link is ``404 link_not_found``."""
    link = await mcn_service.do_rotate_postback_secret(session, user, link_id)
    return AffiliateLinkOut.model_validate(link)


@router.post("/affiliate/postback")
async def affiliate_postback(
    request: Request,
    session: DbSession,
    response: Response,
    x_signature: Annotated[str | None, Header()] = None,
) -> ConversionOut:
    """An external store reports a sale: JSON body signed with HMAC-SHA256 in
    ``X-Signature`` (hex), keyed with the link's own ``postback_secret``. Idempotent per
    link and external order id."""
    raw = await request.body()
    await mcn_service.check_postback(session, raw, x_signature)
    try:
        body = PostbackIn.model_validate_json(raw)
    except ValueError as exc:
        raise ValidationFailed("The postback body is not valid.", code="bad_postback") from exc
    recorded = await mcn_service.do_record_conversion(
        session,
        code=body.code,
        external_order_id=body.external_order_id,
        amount_cents=body.amount_cents,
        currency=body.currency,
        commission_cents=body.commission_cents,
    )
    response.status_code = 201 if recorded.created else 200
    conversion = recorded.conversion
    return ConversionOut(
        id=conversion.id,
        link_id=conversion.link_id,
        external_order_id=conversion.external_order_id,
        amount_cents=conversion.amount_cents,
        commission_cents=conversion.commission_cents,
        created=recorded.created,
    )


@go_router.get("/go/{code}", include_in_schema=False, dependencies=[WRITES])
async def follow_link(code: str, session: DbSession) -> RedirectResponse:
    """Count the click and send the browser on to the external store."""
    target = await mcn_service.do_follow_link(session, code)
    return RedirectResponse(target, status_code=302)
