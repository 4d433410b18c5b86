"""A viewer's own profile: read it, switch personalisation, erase the behaviour history."""

from __future__ import annotations

from fastapi import APIRouter

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.kit.http import DbSession
from livecommerce.profiles.schemas import ErasedOut, InterestOut, PersonalisedIn, ProfileOut
from livecommerce.profiles.service import ProfileSummary, profile_service

router = APIRouter(prefix="/api/v1", tags=["profiles"])


def profile_out(summary: ProfileSummary) -> ProfileOut:
    return ProfileOut(
        personalised=summary.personalised,
        interests=[InterestOut(name=i.name, score=i.score) for i in summary.interests],
        tags=[InterestOut(name=i.name, score=i.score) for i in summary.tags],
        hosts=[name for _room_id, name in summary.hosts],
        price_band=summary.price_band,
        orders_count=summary.orders_count,
        spent_cents=summary.spent_cents,
        last_order_at=summary.last_order_at,
        active_hours=summary.active_hours,
        events_count=summary.events_count,
        fan_clubs=summary.fan_clubs,
        sources=summary.sources,
    )


@router.get("/me/profile")
async def get_my_profile(user: CurrentUser, session: DbSession) -> ProfileOut:
    """What the platform has learnt about the caller: interests, price band, orders, hosts."""
    return profile_out(await profile_service.get_summary(session, user.id))


@router.put("/me/profile/personalised")
async def set_personalised(
    body: PersonalisedIn, user: CurrentUser, session: DbSession
) -> ProfileOut:
    """Switch personalised recommendations on or off (off: everyone's popular picks)."""
    await profile_service.do_set_personalised(session, user.id, body.on)
    return profile_out(await profile_service.get_summary(session, user.id))


@router.delete("/me/behaviour")
async def erase_my_behaviour(user: CurrentUser, session: DbSession) -> ErasedOut:
    """Erase the caller's behaviour history and profile; the rows erased, by kind."""
    erased = await profile_service.do_erase(session, user.id)
    return ErasedOut(
        product_actions=erased.product_actions,
        behaviour_events=erased.behaviour_events,
        profiles=erased.profiles,
        recommendation_lists=erased.recommendation_lists,
        total=erased.total,
    )
