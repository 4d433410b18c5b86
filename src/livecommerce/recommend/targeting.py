"""Goods-find-people (物找人): a product's or a session's likeliest audience as a segment,
targeted and measured.

The product's likeliest people (precomputed by the training job), narrowed by profile
filters (an interest, a price band, new or returning buyers), are split at random into the
segment (K, targeted with a message or a coupon through notifications, which respect each
person's opt-outs) and a hold-out that is left alone (its share of the two is chosen per
campaign, half by default: then the likeliest 2×K are split in two). Uplift is how much
more of the segment then viewed or bought the product than of the hold-out. The merchant
sees sizes, rates and the segment's profile, never who is in it.

A host does the same for an upcoming (or live) session: its likeliest people are those of
the products in its showcase, interleaved by rank, less those who already reserved it (the
reminders reach them anyway); the message links to the room, and a person converts by
reserving or entering the session after the campaign started.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.service import catalog_service
from livecommerce.coupons.service import coupon_service
from livecommerce.insights.service import insights_service
from livecommerce.kit.errors import Conflict, Forbidden, NotFound
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.live.service import live_service
from livecommerce.models import (
    LiveSession,
    LiveSessionStatus,
    Role,
    TargetingCampaign,
    TargetingMember,
    User,
)
from livecommerce.notifications.service import notification_service
from livecommerce.profiles.service import AudienceFilter, AudienceProfile, profile_service
from livecommerce.recommend.repository import recommend_repository
from livecommerce.recommend.service import recommend_service

MAX_SEGMENT = 500


@dataclass(frozen=True)
class Uplift:
    target_size: int
    holdout_size: int
    target_converted: int
    holdout_converted: int

    @property
    def target_rate(self) -> float:
        return self.target_converted / self.target_size if self.target_size else 0.0

    @property
    def holdout_rate(self) -> float:
        return self.holdout_converted / self.holdout_size if self.holdout_size else 0.0

    @property
    def uplift(self) -> float:
        """Percentage points the segment converted above the hold-out."""
        return self.target_rate - self.holdout_rate

    @property
    def relative(self) -> float | None:
        return self.target_rate / self.holdout_rate - 1.0 if self.holdout_rate else None


def measure(target: set[str], holdout: set[str], converted: set[str]) -> Uplift:
    return Uplift(len(target), len(holdout), len(target & converted), len(holdout & converted))


def interleave(ranked_lists: list[list[str]]) -> list[str]:
    """One list from several ranked ones: each one's first, then each one's second, …;
    a person already taken is skipped."""
    merged: dict[str, None] = {}
    for rank in range(max((len(ranked) for ranked in ranked_lists), default=0)):
        for ranked in ranked_lists:
            if rank < len(ranked):
                merged.setdefault(ranked[rank], None)
    return list(merged)


def split(
    candidates: list[str], size: int, seed: str, holdout_share: float = 0.5
) -> tuple[list[str], list[str]]:
    """The segment and its hold-out: the likeliest size / (1 − share) people, shuffled, cut
    so that the hold-out is `holdout_share` of them (at share ½: the likeliest 2×size,
    halved). With too few people both shrink in the same proportion."""
    keep = 1.0 - holdout_share
    pool = candidates[: size + math.floor(size * holdout_share / keep + 1e-9)]
    targets = math.floor(len(pool) * keep + 1e-9)
    held = math.floor(len(pool) * holdout_share + 1e-9)
    chooser = random.Random(seed)
    shuffled = pool[:]
    chooser.shuffle(shuffled)
    return sorted(shuffled[:targets]), sorted(shuffled[targets : targets + held])


@dataclass(frozen=True)
class CampaignAsk:
    """What a campaign's owner asks for: how many to reach, the message, an optional coupon,
    the hold-out's share and the profile filters of the segment."""

    size: int
    message: str
    coupon_id: str | None = None
    holdout_share: float = 0.5
    wanted: AudienceFilter = field(default_factory=AudienceFilter)


@dataclass
class CampaignResult:
    campaign: TargetingCampaign
    segment: AudienceProfile
    uplift: Uplift
    title: str  # the promoted product's or session's title


class TargetingService:
    async def check_owner(self, session: AsyncSession, user: User, product_id: str) -> None:
        product = await catalog_service.get_product(session, product_id)
        if product.merchant_id != user.id and user.role != Role.PLATFORM_ADMIN:
            raise Forbidden(
                "Only the product's merchant may target its audience.", code="not_product_owner"
            )

    async def candidates(
        self,
        session: AsyncSession,
        user: User,
        product_id: str,
        wanted: AudienceFilter | None = None,
    ) -> list[str]:
        """The product's likeliest people, best first, who may be targeted and fit `wanted`."""
        audience = await recommend_service.audience_of_product(session, product_id)
        audience = [person for person in audience if person != user.id]
        return await profile_service.personalised_among(session, audience, wanted)

    async def preview(
        self,
        session: AsyncSession,
        user: User,
        product_id: str,
        size: int,
        wanted: AudienceFilter | None = None,
    ) -> AudienceProfile:
        """The segment a campaign of this size would reach: its size and profile."""
        await self.check_owner(session, user, product_id)
        people = (await self.candidates(session, user, product_id, wanted))[
            : min(size, MAX_SEGMENT)
        ]
        return await profile_service.audience_profile(session, people)

    async def page_campaigns(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[CampaignResult]:
        """The caller's campaigns, newest first, each with its uplift so far."""
        campaigns = await recommend_repository.page_campaigns(session, user.id, page)
        return Page(
            [await self._result_of(session, campaign) for campaign in campaigns.items],
            campaigns.next_cursor,
        )

    async def do_launch(
        self, session: AsyncSession, user: User, product_id: str, ask: CampaignAsk
    ) -> CampaignResult:
        await self.check_owner(session, user, product_id)
        product = await catalog_service.get_product(session, product_id)
        return await self._launch(
            session,
            user,
            TargetingCampaign(product_id=product_id),
            await self.candidates(session, user, product_id, ask.wanted),
            ask,
            title=product.title,
            link=f"/products/{product_id}",
        )

    # ---- sessions (a host's upcoming or live session) ---------------------------------

    async def check_session_host(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        """The session, if the caller hosts its room (or is an admin) and it has not ended."""
        live_session = await live_service.get_session(session, session_id)
        room = await live_service.get_room(session, live_session.room_id)
        if room.host_id != user.id and user.role != Role.PLATFORM_ADMIN:
            raise Forbidden(
                "Only the session's host may target its audience.", code="not_session_host"
            )
        if live_session.status not in (
            LiveSessionStatus.SCHEDULED,
            LiveSessionStatus.LIVE,
            LiveSessionStatus.INTERRUPTED,
        ):
            raise Conflict(
                "This session has ended: target an upcoming one.", code="targeting_session_ended"
            )
        return live_session

    async def session_candidates(
        self,
        session: AsyncSession,
        user: User,
        live_session: LiveSession,
        wanted: AudienceFilter | None = None,
    ) -> list[str]:
        """The session's likeliest people, best first: its showcase products' likeliest,
        interleaved by rank, less the host and those who already reserved it, who may be
        targeted and fit `wanted`."""
        product_ids = await live_service.showcase_product_ids(session, live_session.id)
        audience = interleave(
            [
                await recommend_service.audience_of_product(session, product_id)
                for product_id in product_ids
            ]
        )
        audience = [person for person in audience if person != user.id]
        reserved = await live_service.reservers_among(session, live_session.id, audience)
        audience = [person for person in audience if person not in reserved]
        return await profile_service.personalised_among(session, audience, wanted)

    async def preview_session(
        self,
        session: AsyncSession,
        user: User,
        session_id: str,
        size: int,
        wanted: AudienceFilter | None = None,
    ) -> AudienceProfile:
        """The segment a campaign for the session of this size would reach."""
        live_session = await self.check_session_host(session, user, session_id)
        people = await self.session_candidates(session, user, live_session, wanted)
        return await profile_service.audience_profile(session, people[: min(size, MAX_SEGMENT)])

    async def do_launch_for_session(
        self, session: AsyncSession, user: User, session_id: str, ask: CampaignAsk
    ) -> CampaignResult:
        live_session = await self.check_session_host(session, user, session_id)
        return await self._launch(
            session,
            user,
            TargetingCampaign(session_id=live_session.id),
            await self.session_candidates(session, user, live_session, ask.wanted),
            ask,
            title=live_session.title,
            link=f"/live/{live_session.id}",
        )

    async def _launch(
        self,
        session: AsyncSession,
        user: User,
        campaign: TargetingCampaign,
        candidates: list[str],
        ask: CampaignAsk,
        *,
        title: str,
        link: str,
    ) -> CampaignResult:
        """Split the candidates into segment and hold-out, grant the coupon and notify the
        segment (opt-outs respected); `campaign` names what is promoted."""
        size, message, coupon_id = ask.size, ask.message, ask.coupon_id
        holdout_share, wanted = ask.holdout_share, ask.wanted
        if coupon_id is not None:
            coupon = await coupon_service.get_coupon(session, coupon_id)
            await coupon_service.check_issuer(user, coupon)
        campaign.owner_id = user.id
        campaign.coupon_id = coupon_id
        campaign.message = message
        campaign.size = 0
        campaign.reached = 0
        campaign.holdout_bp = round(holdout_share * 10_000)
        campaign.audience = {
            key: value
            for key, value in (
                ("interest", wanted.interest),
                ("price_band", wanted.price_band),
                ("buyers", wanted.buyers),
            )
            if value is not None
        }
        session.add(campaign)
        await session.flush()
        target, holdout = split(candidates, min(size, MAX_SEGMENT), campaign.id, holdout_share)
        if not target:
            raise Conflict(
                "Nobody in this audience can be reached: widen the filters.",
                code="targeting_audience_empty",
            )
        campaign.size = len(target)
        session.add_all(
            [TargetingMember(campaign_id=campaign.id, user_id=u, group="target") for u in target]
            + [
                TargetingMember(campaign_id=campaign.id, user_id=u, group="holdout")
                for u in holdout
            ]
        )
        if coupon_id is not None:
            for person in target:
                await coupon_service.do_grant(session, coupon_id, person)
        reached = await notification_service.notify(
            session,
            target,
            "message",
            {"title": title, "body": message},
            link=link,
            dedupe_key=f"campaign:{campaign.id}",
            category="marketing",
        )
        campaign.reached = len(reached)
        return await self.result(session, user, campaign.id)

    async def result(self, session: AsyncSession, user: User, campaign_id: str) -> CampaignResult:
        campaign = await session.get(TargetingCampaign, campaign_id)
        if campaign is None or (campaign.owner_id != user.id and user.role != Role.PLATFORM_ADMIN):
            raise NotFound("No such campaign.", code="targeting_campaign_not_found")
        return await self._result_of(session, campaign)

    async def _result_of(
        self, session: AsyncSession, campaign: TargetingCampaign
    ) -> CampaignResult:
        members = await recommend_repository.campaign_members(session, campaign.id)
        target = {u for u, group in members if group == "target"}
        holdout = {u for u, group in members if group == "holdout"}
        everyone = sorted(target | holdout)
        if campaign.session_id is not None:
            # A session's campaign converts a person who reserved or entered it since.
            converted = await live_service.reservers_among(
                session, campaign.session_id, everyone, campaign.created_at
            ) | await insights_service.entered_among(
                session, campaign.session_id, everyone, campaign.created_at
            )
        else:
            assert campaign.product_id is not None
            converted = await recommend_service.acted_on(
                session, everyone, campaign.product_id, campaign.created_at
            )
        segment = await profile_service.audience_profile(session, sorted(target))
        return CampaignResult(
            campaign,
            segment,
            measure(target, holdout, converted),
            await self._title(session, campaign),
        )

    async def _title(self, session: AsyncSession, campaign: TargetingCampaign) -> str:
        try:
            if campaign.session_id is not None:
                return (await live_service.get_session(session, campaign.session_id)).title
            assert campaign.product_id is not None
            return (await catalog_service.get_product(session, campaign.product_id)).title
        except NotFound:
            return ""


targeting_service = TargetingService()
