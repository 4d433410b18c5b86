from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.coupons.schemas import (
    ClaimList,
    ClaimOut,
    CouponCreate,
    CouponList,
    CouponOut,
    QuoteOut,
    QuoteRequest,
)
from livecommerce.coupons.service import coupon_out, coupon_service, draft_order
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.live.dependencies import RoomWorker
from livecommerce.live.team import team_service

router = APIRouter(prefix="/api/v1", tags=["coupons"])


@router.post("/coupons", status_code=201)
async def create_coupon(body: CouponCreate, user: CurrentUser, session: DbSession) -> CouponOut:
    """Hosts issue room or fans-only coupons for their room; merchants issue merchant ones."""
    return coupon_out(await coupon_service.do_create(session, user, body))


@router.get("/coupons/issued")
async def list_issued(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    room_id: Annotated[
        str | None,
        Query(max_length=32, description="A room whose team drops its host's coupons (场控)."),
    ] = None,
) -> CouponList:
    """Coupons I issued, newest first (100 a page by default); with ``room_id``, the
    coupons that room's host issued, for its host or a member of its team who drops
    coupons (403 ``not_room_host`` / ``staff_role_forbidden`` otherwise)."""
    if room_id is not None:
        user = await team_service.act_for_room(session, user, room_id, "coupon", record=False)
    coupons = await coupon_service.list_issued(session, user, page.or_default(MAX_LIMIT))
    return CouponList(
        items=[coupon_out(coupon) for coupon in coupons.items], next_cursor=coupons.next_cursor
    )


@router.get("/coupons/mine")
async def my_wallet(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    status: Annotated[Literal["available", "used"] | None, Query()] = None,
) -> ClaimList:
    """My claimed coupons, newest first (100 a page by default)."""
    claims = await coupon_service.list_wallet(session, user, status, page.or_default(MAX_LIMIT))
    return ClaimList(items=claims.items, next_cursor=claims.next_cursor)


@router.post("/coupons/quote")
async def quote(body: QuoteRequest, user: CurrentUser, session: DbSession) -> QuoteOut:
    """What checkout would charge with these coupons, and which wallet coupons apply."""
    order = await draft_order(session, user, body.sku_id, body.quantity, body.session_id)
    priced = await coupon_service.price(session, user, body.coupon_claim_ids, order)
    discount = sum(value for _, value in priced)
    return QuoteOut(
        currency=order.currency,
        subtotal_cents=order.subtotal_cents,
        discount_cents=discount,
        total_cents=order.subtotal_cents - discount,
        usable_claim_ids=await coupon_service.usable_claims(session, user, order),
    )


@router.get("/coupons/{coupon_id}")
async def get_coupon(coupon_id: str, session: DbSession) -> CouponOut:
    return coupon_out(await coupon_service.get_coupon(session, coupon_id))


@router.post("/coupons/{coupon_id}/claim", status_code=201)
async def claim_coupon(coupon_id: str, user: CurrentUser, session: DbSession) -> ClaimOut:
    claim = await coupon_service.do_claim(session, user, coupon_id)
    coupon = await coupon_service.get_coupon(session, coupon_id)
    return coupon_service.claim_out(claim, coupon)


@router.get("/rooms/{room_id}/coupons")
async def room_coupons(room_id: str, session: DbSession, page: PageQuery) -> CouponList:
    """The room's coupons that can be claimed now, newest first."""
    coupons = await coupon_service.list_for_room(session, room_id, page)
    return CouponList(
        items=[coupon_out(coupon) for coupon in coupons.items], next_cursor=coupons.next_cursor
    )


@router.post("/live-sessions/{session_id}/coupons/{coupon_id}/drop")
async def drop_coupon(
    session_id: str, coupon_id: str, user: RoomWorker, session: DbSession
) -> CouponOut:
    """Hand a room coupon out live: viewers see a claim button (``coupon_drop``)."""
    return coupon_out(await coupon_service.do_drop(session, user, session_id, coupon_id))
