"""Lotteries (福袋): entry conditions, a commit–reveal draw, prize orders for winners."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import mask_name
from livecommerce.catalog.service import catalog_service
from livecommerce.fans.service import fan_service
from livecommerce.interactions import draw
from livecommerce.interactions.repository import lottery_repository
from livecommerce.interactions.schemas import (
    LotteryConditions,
    LotteryCreate,
    LotteryOut,
    LotteryWinner,
    LotteryYou,
)
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit
from livecommerce.live.service import live_service
from livecommerce.models import (
    LiveSessionStatus,
    Lottery,
    LotteryStatus,
    Order,
    OrderItem,
    OrderStatus,
    PrizeKind,
    User,
)
from livecommerce.orders.service import order_service
from livecommerce.selling.service import SellAction
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

LOTTERY_DRAW_JOB = "lottery.draw"
ON_AIR = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)


class LotteryService:
    async def get_lottery(self, session: AsyncSession, lottery_id: str) -> Lottery:
        lottery = await lottery_repository.get(session, lottery_id)
        if lottery is None:
            raise NotFound("No such lottery.", code="lottery_not_found")
        return lottery

    async def list_lotteries(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[Lottery]:
        await live_service.get_session(session, session_id)
        return await lottery_repository.page_for_session(session, session_id, page)

    async def latest(self, session: AsyncSession, session_id: str) -> Lottery | None:
        found = await lottery_repository.list_for_session(session, session_id)
        open_ones = [lottery for lottery in found if lottery.status == LotteryStatus.OPEN]
        return open_ones[0] if open_ones else (found[0] if found else None)

    async def list_won(self, session: AsyncSession, user: User, page: PageRequest) -> Page[Lottery]:
        return await lottery_repository.won_by(session, user.id, page)

    # ---- the host -------------------------------------------------------------------

    async def do_launch(
        self, session: AsyncSession, user: User, session_id: str, data: LotteryCreate
    ) -> Lottery:
        live_session = await live_service.get_session(session, session_id)
        await live_service.check_can_moderate(session, user, live_session, "lottery", session_id)
        if live_session.status not in ON_AIR:
            raise Conflict("Lotteries run while the session is on air.", code="session_not_live")
        now = utcnow()
        lottery = Lottery(
            id=new_id(),
            session_id=live_session.id,
            room_id=live_session.room_id,
            created_by=user.id,
            title=data.title,
            prize_kind=data.prize_kind,
            winners_count=data.winners,
            conditions=data.conditions.model_dump(),
            status=LotteryStatus.OPEN,
            draw_at=now + timedelta(seconds=data.countdown_s),
            entrants_count=0,
            prize_units_reserved=0,
            created_at=now,
        )
        if data.prize_kind == "product":
            if data.prize_sku_id is None:
                raise ValidationFailed("Choose the prize SKU.", code="prize_required")
            sku = await catalog_service.get_sku(session, data.prize_sku_id)
            product = await catalog_service.get_product(session, sku.product_id)
            room = await live_service.get_room(session, live_session.room_id)
            await live_service.check_host_may_sell(session, live_session, product, SellAction.PRIZE)
            item = await live_service.get_showcase_item_for_product(
                session, live_session.id, product.id
            )
            if item is None and product.merchant_id != room.host_id:
                raise Conflict(
                    "The prize must be in the session's showcase.", code="not_in_showcase"
                )
            # The prizes leave stock now; unclaimed ones come back at the draw.
            await catalog_service.do_take_stock(session, sku.id, data.winners)
            lottery.prize_sku_id = sku.id
            lottery.prize_units_reserved = data.winners
        else:
            from livecommerce.coupons.service import coupon_service

            if data.prize_coupon_id is None:
                raise ValidationFailed("Choose the prize coupon.", code="prize_required")
            coupon = await coupon_service.get_coupon(session, data.prize_coupon_id)
            await coupon_service.check_issuer(user, coupon)
            if coupon.total_limit - coupon.claimed_count < data.winners:
                raise Conflict(
                    "Not enough of this coupon is left for every winner.",
                    code="coupon_sold_out",
                )
            lottery.prize_coupon_id = coupon.id
        lottery.seed = draw.new_seed()
        lottery.seed_hash = draw.seed_hash(lottery.seed)
        await lottery_repository.add(session, lottery)
        job_service.do_schedule(
            session, LOTTERY_DRAW_JOB, run_at=lottery.draw_at, payload={"lottery_id": lottery.id}
        )
        await self._announce(session, lottery, "lottery")
        return lottery

    async def do_draw_now(self, session: AsyncSession, user: User, lottery_id: str) -> Lottery:
        lottery = await self.get_lottery(session, lottery_id)
        live_session = await live_service.get_session(session, lottery.session_id)
        await live_service.check_can_moderate(session, user, live_session, "lottery", lottery_id)
        if not await self.do_draw(session, lottery.id):
            raise Conflict("This lottery has been drawn already.", code="lottery_drawn")
        await lottery_repository.refresh(session, lottery)
        return lottery

    async def do_draw(self, session: AsyncSession, lottery_id: str) -> bool:
        """Reveal the seed and pick the winners (run by the worker at the countdown's end)."""
        lottery = await self.get_lottery(session, lottery_id)
        if not await lottery_repository.mark_drawn(session, lottery.id, utcnow()):
            return False
        entries = await lottery_repository.entries(session, lottery.id)
        winners = draw.draw_winners(
            lottery.seed, [entry.user_id for entry in entries], lottery.winners_count
        )
        await lottery_repository.mark_winners(session, lottery.id, winners)
        if lottery.prize_kind == PrizeKind.COUPON and lottery.prize_coupon_id is not None:
            from livecommerce.coupons.service import coupon_service

            for user_id in winners:
                if not await coupon_service.do_grant(session, lottery.prize_coupon_id, user_id):
                    log.warning("lottery %s: coupon prize ran out for %s", lottery.id, user_id)
        unused = lottery.prize_units_reserved - len(winners)
        if lottery.prize_sku_id is not None and unused > 0:
            await catalog_service.do_return_stock(session, lottery.prize_sku_id, unused)
        await lottery_repository.refresh(session, lottery)
        await self._announce(session, lottery, "lottery_result")
        return True

    async def _announce(self, session: AsyncSession, lottery: Lottery, kind: str) -> None:
        out = await self.lottery_out(session, lottery, None)
        publish_after_commit(
            session,
            live_channel(lottery.session_id),
            {"type": kind, "lottery": out.model_dump(mode="json")},
        )

    # ---- viewers --------------------------------------------------------------------

    async def missing_conditions(
        self, session: AsyncSession, lottery: Lottery, user: User
    ) -> list[str]:
        conditions = LotteryConditions.model_validate(lottery.conditions)
        missing: list[str] = []
        if conditions.follow and not await live_service.is_following(
            session, user.id, lottery.room_id
        ):
            missing.append("follow")
        if conditions.keyword and not await lottery_repository.sent_keyword(
            session, lottery.session_id, user.id, conditions.keyword, lottery.created_at
        ):
            missing.append("keyword")
        if conditions.fan_club or conditions.fan_level is not None:
            level = await fan_service.get_level(session, lottery.room_id, user.id)
            if level is None:
                missing.append("fan_club")
            elif conditions.fan_level is not None and level < conditions.fan_level:
                missing.append("fan_level")
        if conditions.watch_minutes:
            watched = await lottery_repository.watched_seconds(session, lottery.session_id, user.id)
            if watched < conditions.watch_minutes * 60:
                missing.append("watch_minutes")
        return missing

    async def do_enter(self, session: AsyncSession, user: User, lottery_id: str) -> Lottery:
        lottery = await self.get_lottery(session, lottery_id)
        if lottery.status != LotteryStatus.OPEN or utcnow() >= lottery.draw_at:
            raise Conflict("This lottery is closed.", code="lottery_closed")
        missing = await self.missing_conditions(session, lottery, user)
        if missing:
            raise Conflict(
                "You do not meet this lottery's conditions yet.",
                code="conditions_not_met",
                details={"missing": missing},
            )
        await lottery_repository.add_entry(session, lottery.id, user.id, user.display_name)
        await lottery_repository.refresh(session, lottery)
        return lottery

    async def do_claim(
        self, session: AsyncSession, user: User, lottery_id: str, address_id: str | None
    ) -> Order:
        """A winner of a product prize claims it: a zero-price order to their address."""
        lottery = await self.get_lottery(session, lottery_id)
        entry = await lottery_repository.get_entry(session, lottery.id, user.id)
        if entry is None or not entry.won:
            raise Conflict("Only winners can claim this prize.", code="not_a_winner")
        if lottery.prize_sku_id is None:
            raise Conflict(
                "This prize is a coupon; it is in your wallet already.", code="nothing_to_claim"
            )
        if entry.prize_order_id is not None:
            return await order_service.get_order(session, entry.prize_order_id)
        if address_id is not None:
            address = await order_service.get_own_address(session, user, address_id)
        else:
            found = await order_service.get_default_address(session, user)
            if found is None:
                raise Conflict("Add a delivery address first.", code="address_required")
            address = found
        sku = await catalog_service.get_sku(session, lottery.prize_sku_id)
        product = await catalog_service.get_product(session, sku.product_id)
        room = await live_service.get_room(session, lottery.room_id)
        now = utcnow()
        order = Order(
            id=new_id(),
            buyer_id=user.id,
            merchant_id=product.merchant_id,
            room_id=room.id,
            session_id=lottery.session_id,
            host_id=room.host_id,
            status=OrderStatus.PAID,
            currency=product.currency,
            subtotal_cents=0,
            discount_cents=0,
            total_cents=0,
            shipping_address=order_service.address_snapshot(address),
            created_at=now,
            expires_at=now,
            paid_at=now,
            items=[
                OrderItem(
                    id=new_id(),
                    product_id=product.id,
                    sku_id=sku.id,
                    title=product.title,
                    spec=dict(sku.spec),
                    unit_price_cents=0,
                    quantity=1,
                    line_total_cents=0,
                )
            ],
        )
        if not await lottery_repository.set_prize_order(session, entry.id, order.id):
            raise Conflict("This prize has been claimed already.", code="prize_claimed")
        await order_service.do_add_prepared_order(session, order)
        return order

    # ---- shaping --------------------------------------------------------------------

    async def prize_title(self, session: AsyncSession, lottery: Lottery) -> str:
        if lottery.prize_sku_id is not None:
            sku = await catalog_service.get_sku(session, lottery.prize_sku_id)
            return (await catalog_service.get_product(session, sku.product_id)).title
        if lottery.prize_coupon_id is not None:
            from livecommerce.coupons.service import coupon_service

            return (await coupon_service.get_coupon(session, lottery.prize_coupon_id)).title
        return ""

    async def lottery_out(
        self, session: AsyncSession, lottery: Lottery, viewer: User | None
    ) -> LotteryOut:
        drawn = lottery.status == LotteryStatus.DRAWN
        entrants: list[str] | None = None
        winners: list[LotteryWinner] | None = None
        if drawn:
            entries = await lottery_repository.entries(session, lottery.id)
            entrants = sorted(entry.user_id for entry in entries)
            names = {entry.user_id: entry.display_name for entry in entries}
            winners = [
                LotteryWinner(user_id=user_id, display_name=mask_name(names[user_id]))
                for user_id in draw.draw_winners(lottery.seed, entrants, lottery.winners_count)
            ]
        you: LotteryYou | None = None
        if viewer is not None:
            entry = await lottery_repository.get_entry(session, lottery.id, viewer.id)
            you = LotteryYou(
                entered=entry is not None,
                won=entry is not None and entry.won,
                prize_order_id=None if entry is None else entry.prize_order_id,
                missing=[]
                if entry is not None or lottery.status != LotteryStatus.OPEN
                else await self.missing_conditions(session, lottery, viewer),
            )
        return LotteryOut(
            id=lottery.id,
            session_id=lottery.session_id,
            title=lottery.title,
            prize_kind=lottery.prize_kind,
            prize_title=await self.prize_title(session, lottery),
            prize_sku_id=lottery.prize_sku_id,
            prize_coupon_id=lottery.prize_coupon_id,
            winners_count=lottery.winners_count,
            conditions=LotteryConditions.model_validate(lottery.conditions),
            status=lottery.status,
            seed_hash=lottery.seed_hash,
            seed=lottery.seed if drawn else None,
            draw_at=lottery.draw_at,
            drawn_at=lottery.drawn_at,
            entrants_count=lottery.entrants_count,
            entrants=entrants,
            winners=winners,
            algorithm=draw.ALGORITHM,
            server_now=utcnow(),
            you=you,
        )


lottery_service = LotteryService()
