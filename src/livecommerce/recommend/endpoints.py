"""Recommendations for viewers, products and hosts; audiences; goods-find-people campaigns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from livecommerce.accounts.dependencies import CurrentUser, OptionalUser
from livecommerce.catalog.service import catalog_service
from livecommerce.insights.service import insights_service
from livecommerce.kit.errors import Forbidden, NotFound
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import PageQuery
from livecommerce.live.service import live_service
from livecommerce.models import Role
from livecommerce.profiles.schemas import InterestOut
from livecommerce.profiles.service import AudienceFilter, AudienceProfile, profile_service
from livecommerce.recommend.schemas import (
    AudienceOut,
    Buyers,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    PriceBand,
    ProductList,
    RoomList,
    RoomPick,
    UpliftOut,
)
from livecommerce.recommend.service import recommend_service
from livecommerce.recommend.targeting import CampaignAsk, CampaignResult, targeting_service

router = APIRouter(prefix="/api/v1", tags=["recommend"])


def segment_filter(
    interest: str | None = Query(None, min_length=1, max_length=60),
    price_band: PriceBand | None = None,
    buyers: Buyers = "all",
) -> AudienceFilter:
    """A segment's profile filters from the query: an interest among the person's strongest
    three, the price band they buy in most, new or returning buyers."""
    return AudienceFilter(interest=interest, price_band=price_band, buyers=buyers)


SegmentFilter = Annotated[AudienceFilter, Depends(segment_filter)]


def ask_of(body: CampaignIn) -> CampaignAsk:
    audience = body.audience
    return CampaignAsk(
        size=body.size,
        message=body.message,
        coupon_id=body.coupon_id,
        holdout_share=body.holdout_share,
        wanted=AudienceFilter(
            interest=audience.interest, price_band=audience.price_band, buyers=audience.buyers
        ),
    )


def audience_out(profile: AudienceProfile) -> AudienceOut:
    return AudienceOut(
        size=profile.size,
        interests=[InterestOut(name=i.name, score=i.score) for i in profile.interests],
        price_bands=profile.price_bands,
        new=profile.new,
        returning=profile.returning,
        fans=profile.fans,
    )


def campaign_out(result: CampaignResult) -> CampaignOut:
    campaign, uplift = result.campaign, result.uplift
    return CampaignOut(
        id=campaign.id,
        product_id=campaign.product_id,
        session_id=campaign.session_id,
        title=result.title,
        coupon_id=campaign.coupon_id,
        message=campaign.message,
        size=campaign.size,
        reached=campaign.reached,
        holdout_share=campaign.holdout_bp / 10_000,
        audience={str(k): str(v) for k, v in (campaign.audience or {}).items()},
        created_at=campaign.created_at,
        segment=audience_out(result.segment),
        uplift=UpliftOut(
            target_size=uplift.target_size,
            holdout_size=uplift.holdout_size,
            target_converted=uplift.target_converted,
            holdout_converted=uplift.holdout_converted,
            target_rate=round(uplift.target_rate, 4),
            holdout_rate=round(uplift.holdout_rate, 4),
            uplift=round(uplift.uplift, 4),
            relative=None if uplift.relative is None else round(uplift.relative, 4),
        ),
    )


@router.get("/recommendations/products")
async def products_for_me(
    user: OptionalUser, session: DbSession, limit: int = Query(12, ge=1, le=50)
) -> ProductList:
    """猜你喜欢: products on sale for the caller (popular ones without history or sign-in)."""
    products = await recommend_service.products_for_viewer(
        session, user.id if user else None, limit
    )
    personalised = user is not None and await profile_service.is_personalised(session, user.id)
    return ProductList(
        items=[catalog_service.product_out(p) for p in products], personalised=personalised
    )


@router.get("/recommendations/rooms")
async def rooms_for_me(
    user: OptionalUser, session: DbSession, limit: int = Query(6, ge=1, le=50)
) -> RoomList:
    """Rooms on air, the caller's favourite hosts and tags first."""
    picks = await recommend_service.rooms_for_viewer(session, user.id if user else None, limit)
    return RoomList(
        items=[
            RoomPick(
                room_id=room.id,
                room_name=room.name,
                session_id=live.id,
                title=live.title,
                tags=[str(tag) for tag in room.tags],
            )
            for room, live in picks
        ]
    )


@router.get("/products/{product_id}/also")
async def also_viewed(
    product_id: str, session: DbSession, limit: int = Query(8, ge=1, le=30)
) -> ProductList:
    """People who viewed or bought this also viewed or bought these (on sale now)."""
    await catalog_service.get_product(session, product_id)
    products = await recommend_service.also_for_product(session, product_id, limit)
    return ProductList(items=[catalog_service.product_out(p) for p in products], personalised=False)


@router.get("/recommendations/selection")
async def selection_for_host(
    user: CurrentUser, session: DbSession, limit: int = Query(12, ge=1, le=50)
) -> ProductList:
    """选品: marketplace products that fit the caller's room audience (hosts)."""
    try:
        room = await live_service.get_room_of_host(session, user)
    except NotFound:
        raise Forbidden("Only a host with a room gets a selection.", code="not_room_host") from None
    audience = await insights_service.user_ids_in_room(session, room.id)
    profile = await profile_service.audience_profile(session, audience)
    products = await recommend_service.products_for_audience(
        session, [i.name for i in profile.interests], limit, exclude_merchant=user.id
    )
    return ProductList(items=[catalog_service.product_out(p) for p in products], personalised=True)


@router.get("/rooms/{room_id}/audience")
async def room_audience(room_id: str, user: CurrentUser, session: DbSession) -> AudienceOut:
    """The 画像 of the room's viewers and buyers (its host only): interest mix, price
    bands, new vs returning, fans vs non-fans."""
    room = await live_service.get_room(session, room_id)
    if room.host_id != user.id and user.role != Role.PLATFORM_ADMIN:
        raise Forbidden("Only the room's host may see its audience.", code="not_room_host")
    audience = await insights_service.user_ids_in_room(session, room_id)
    return audience_out(await profile_service.audience_profile(session, audience, room_id))


@router.get("/products/{product_id}/audience")
async def product_audience(product_id: str, user: CurrentUser, session: DbSession) -> AudienceOut:
    """The 画像 of the people who viewed or bought the product (its merchant only)."""
    await targeting_service.check_owner(session, user, product_id)
    audience = await profile_service.users_of_product(session, product_id)
    return audience_out(await profile_service.audience_profile(session, audience))


@router.get("/products/{product_id}/segment")
async def product_segment(
    product_id: str,
    user: CurrentUser,
    session: DbSession,
    wanted: SegmentFilter,
    size: int = Query(100, ge=1, le=500),
) -> AudienceOut:
    """物找人: the product's likeliest audience of this size, narrowed by profile filters
    (an interest among the person's strongest three, the price band they buy in most, new
    or returning buyers), as a size and a profile."""
    return audience_out(await targeting_service.preview(session, user, product_id, size, wanted))


@router.post("/products/{product_id}/campaigns", status_code=201)
async def launch_campaign(
    product_id: str, body: CampaignIn, user: CurrentUser, session: DbSession
) -> CampaignOut:
    """Target the product's likeliest audience with a message (and a coupon); a random
    hold-out of the same size is left alone to measure the uplift."""
    result = await targeting_service.do_launch(
        session,
        user,
        product_id,
        ask_of(body),
    )
    return campaign_out(result)


@router.get("/live-sessions/{session_id}/segment")
async def session_segment(
    session_id: str,
    user: CurrentUser,
    session: DbSession,
    wanted: SegmentFilter,
    size: int = Query(100, ge=1, le=500),
) -> AudienceOut:
    """物找人 for a host: the likeliest audience of an upcoming (or live) session (its
    showcase products' likeliest people who have not reserved it yet), narrowed by the same
    profile filters, as a size and a profile."""
    return audience_out(
        await targeting_service.preview_session(session, user, session_id, size, wanted)
    )


@router.post("/live-sessions/{session_id}/campaigns", status_code=201)
async def launch_session_campaign(
    session_id: str, body: CampaignIn, user: CurrentUser, session: DbSession
) -> CampaignOut:
    """Invite the session's likeliest audience with a message linking to the room (and a
    coupon); a random hold-out of the same size is left alone. A person converts by
    reserving or entering the session after the campaign started."""
    result = await targeting_service.do_launch_for_session(
        session,
        user,
        session_id,
        ask_of(body),
    )
    return campaign_out(result)


@router.get("/campaigns")
async def my_campaigns(user: CurrentUser, session: DbSession, page: PageQuery) -> CampaignPage:
    """The caller's targeting campaigns, newest first (20 a page by default), each with how
    its segment behaved against its hold-out so far."""
    found = await targeting_service.page_campaigns(session, user, page.or_default(20))
    return CampaignPage(
        items=[campaign_out(result) for result in found.items], next_cursor=found.next_cursor
    )


@router.get("/campaigns/{campaign_id}")
async def campaign_result(campaign_id: str, user: CurrentUser, session: DbSession) -> CampaignOut:
    """How the targeted segment behaved since, against its hold-out (the uplift)."""
    return campaign_out(await targeting_service.result(session, user, campaign_id))
