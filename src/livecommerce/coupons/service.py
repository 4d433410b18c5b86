"""Coupons: issue, claim into a wallet, apply at checkout, give back on cancellation.

Limits are counters moved by conditional updates: a coupon's ``claimed_count``
never passes ``total_limit``, a holder's ``claimed`` never passes
``per_user_limit``, and a claim moves ``available → used`` only once, so the
same coupon can never pay for two orders however many requests race.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.coupons.repository import coupon_repository
from livecommerce.coupons.schemas import ClaimOut, CouponCreate, CouponOut
from livecommerce.fans.service import fan_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import (
    Conflict,
    Forbidden,
    LiveCommerceError,
    NotFound,
    ValidationFailed,
)
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit
from livecommerce.live.service import live_service
from livecommerce.models import (
    ClaimStatus,
    Coupon,
    CouponAudience,
    CouponClaim,
    DiscountKind,
    Order,
    Role,
    User,
)
from livecommerce.selling.service import SellAction, selling_service

MAX_STACK = 5


def coupon_out(coupon: Coupon) -> CouponOut:
    return CouponOut(
        id=coupon.id,
        issuer_id=coupon.issuer_id,
        audience=coupon.audience,
        room_id=coupon.room_id,
        title=coupon.title,
        currency=coupon.currency,
        discount_kind=coupon.discount_kind,
        amount_off_cents=coupon.amount_off_cents,
        percent_off=coupon.percent_off,
        min_spend_cents=coupon.min_spend_cents,
        starts_at=coupon.starts_at,
        ends_at=coupon.ends_at,
        total_limit=coupon.total_limit,
        claimed_count=coupon.claimed_count,
        per_user_limit=coupon.per_user_limit,
        product_ids=[str(value) for value in coupon.product_ids],
        stackable=coupon.stackable,
        min_fan_level=coupon.min_fan_level,
        active=coupon.active,
        dropped_at=coupon.dropped_at,
    )


class CouponService:
    async def get_coupon(self, session: AsyncSession, coupon_id: str) -> Coupon:
        coupon = await coupon_repository.get(session, coupon_id)
        if coupon is None:
            raise NotFound("No such coupon.", code="coupon_not_found")
        return coupon

    # ---- issuing ---------------------------------------------------------------------

    async def do_create(self, session: AsyncSession, user: User, data: CouponCreate) -> Coupon:
        room_id: str | None = None
        if data.audience == "merchant":
            account_service.check_role(user, Role.MERCHANT)
        else:
            account_service.check_role(user, Role.HOST, Role.MERCHANT)
            room_id = (await live_service.get_room_of_host(session, user)).id
        if data.discount_kind == "amount" and data.amount_off_cents < 1:
            raise ValidationFailed(
                "An amount-off coupon takes at least 1 cent off.", code="bad_discount"
            )
        if data.discount_kind == "percent" and not 1 <= data.percent_off <= 99:
            raise ValidationFailed("Percent off must be between 1 and 99.", code="bad_discount")
        now = utcnow()
        starts_at = data.starts_at or now
        if data.ends_at <= starts_at or data.ends_at <= now:
            raise ValidationFailed(
                "A coupon must end after it starts, in the future.", code="bad_validity"
            )
        if data.per_user_limit > data.total_limit:
            raise ValidationFailed("The per-user limit cannot exceed the total.", code="bad_limits")
        coupon = Coupon(
            id=new_id(),
            issuer_id=user.id,
            audience=data.audience,
            room_id=room_id,
            title=data.title,
            currency=data.currency.upper(),
            discount_kind=data.discount_kind,
            amount_off_cents=data.amount_off_cents if data.discount_kind == "amount" else 0,
            percent_off=data.percent_off if data.discount_kind == "percent" else 0,
            min_spend_cents=data.min_spend_cents,
            starts_at=starts_at,
            ends_at=data.ends_at,
            total_limit=data.total_limit,
            claimed_count=0,
            per_user_limit=data.per_user_limit,
            product_ids=sorted(set(data.product_ids)),
            stackable=data.stackable,
            min_fan_level=data.min_fan_level if data.audience == "fan_club" else 1,
            active=True,
            created_at=now,
        )
        await coupon_repository.add(session, coupon)
        return coupon

    async def list_issued(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[Coupon]:
        return await coupon_repository.list_by_issuer(session, user.id, page)

    async def list_for_room(
        self, session: AsyncSession, room_id: str, page: PageRequest
    ) -> Page[Coupon]:
        room = await live_service.get_room(session, room_id)
        return await coupon_repository.list_for_room(session, room.id, utcnow(), page)

    async def check_issuer(self, user: User, coupon: Coupon) -> None:
        if coupon.issuer_id != user.id and user.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the coupon's issuer may do this.", code="not_coupon_issuer")

    async def do_drop(
        self, session: AsyncSession, user: User, session_id: str, coupon_id: str
    ) -> Coupon:
        """The host hands a room coupon out live: the room is shown a claim button."""
        live_session = await live_service.get_session(session, session_id)
        await live_service.check_can_moderate(session, user, live_session, "coupon", coupon_id)
        coupon = await self.get_coupon(session, coupon_id)
        if coupon.room_id != live_session.room_id:
            await self.check_issuer(user, coupon)
            raise Conflict("This coupon belongs to another room.", code="coupon_not_for_room")
        now = utcnow()
        if not coupon.active or not coupon.starts_at <= now < coupon.ends_at:
            raise Conflict("This coupon cannot be claimed now.", code="coupon_not_claimable")
        await coupon_repository.mark_dropped(session, coupon.id, now)
        await coupon_repository.refresh(session, coupon)
        publish_after_commit(
            session,
            live_channel(live_session.id),
            {"type": "coupon_drop", "coupon": coupon_out(coupon).model_dump(mode="json")},
        )
        return coupon

    # ---- claiming --------------------------------------------------------------------

    async def do_claim(self, session: AsyncSession, user: User, coupon_id: str) -> CouponClaim:
        coupon = await self.get_coupon(session, coupon_id)
        now = utcnow()
        if not coupon.active or not coupon.starts_at <= now < coupon.ends_at:
            raise Conflict("This coupon cannot be claimed now.", code="coupon_not_claimable")
        if coupon.room_id is not None and coupon.dropped_at is None:
            raise Conflict(
                "The host has not handed this coupon out yet.", code="coupon_not_dropped"
            )
        if coupon.audience == CouponAudience.FAN_CLUB and coupon.room_id is not None:
            await fan_service.check_level(session, coupon.room_id, user.id, coupon.min_fan_level)
        if coupon.audience == CouponAudience.FANS and coupon.room_id is not None:
            if not await live_service.is_following(session, user.id, coupon.room_id):
                raise Forbidden("Follow the room to claim its fans' coupon.", code="fans_only")
        return await self._claim(session, coupon, user.id, check_user_limit=True)

    async def do_grant(self, session: AsyncSession, coupon_id: str, user_id: str) -> bool:
        """A lottery prize: one claim for the winner, within the coupon's total."""
        coupon = await self.get_coupon(session, coupon_id)
        try:
            async with session.begin_nested():
                await self._claim(session, coupon, user_id, check_user_limit=False)
        except Conflict:
            return False
        return True

    async def _claim(
        self, session: AsyncSession, coupon: Coupon, user_id: str, *, check_user_limit: bool
    ) -> CouponClaim:
        if not await coupon_repository.take_one(session, coupon.id):
            raise Conflict("All of this coupon has been claimed.", code="coupon_sold_out")
        if check_user_limit and not await coupon_repository.hold_one(
            session, coupon.id, user_id, coupon.per_user_limit
        ):
            raise Conflict(
                f"You can claim this coupon at most {coupon.per_user_limit} time(s).",
                code="coupon_limit_reached",
            )
        claim = CouponClaim(
            id=new_id(),
            coupon_id=coupon.id,
            user_id=user_id,
            status=ClaimStatus.AVAILABLE,
            discount_cents=0,
            claimed_at=utcnow(),
        )
        await coupon_repository.add_claim(session, claim)
        return claim

    async def list_wallet(
        self, session: AsyncSession, user: User, status: str | None, page: PageRequest
    ) -> Page[ClaimOut]:
        found = await coupon_repository.page_claims(session, user.id, status, page)
        claims = found.items
        out: list[ClaimOut] = []
        names: dict[str, str] = {}
        for claim in claims:
            coupon = await self.get_coupon(session, claim.coupon_id)
            key = coupon.room_id or coupon.issuer_id
            if key not in names:
                names[key] = await self._source_name(session, coupon)
            out.append(self.claim_out(claim, coupon, source_name=names[key]))
        return Page(items=out, next_cursor=found.next_cursor)

    async def _source_name(self, session: AsyncSession, coupon: Coupon) -> str:
        if coupon.room_id is not None:
            return (await live_service.get_room(session, coupon.room_id)).name
        return (await account_service.get_user(session, coupon.issuer_id)).display_name

    def claim_out(self, claim: CouponClaim, coupon: Coupon, *, source_name: str = "") -> ClaimOut:
        return ClaimOut(
            id=claim.id,
            coupon=coupon_out(coupon),
            source_name=source_name,
            status=claim.status,
            order_id=claim.order_id,
            discount_cents=claim.discount_cents,
            claimed_at=claim.claimed_at,
            used_at=claim.used_at,
        )

    # ---- checkout --------------------------------------------------------------------

    def applies(self, coupon: Coupon, order: Order, now: datetime) -> str | None:
        """None when the coupon applies to this order, else the reason code."""
        if not coupon.active or not coupon.starts_at <= now < coupon.ends_at:
            return "coupon_expired"
        if coupon.currency != order.currency:
            return "coupon_currency_mismatch"
        if coupon.audience == CouponAudience.MERCHANT:
            if order.merchant_id != coupon.issuer_id:
                return "coupon_not_applicable"
        elif order.room_id is None or order.room_id != coupon.room_id:
            return "coupon_not_applicable"  # room coupons apply to purchases in that room
        if coupon.product_ids and any(
            item.product_id not in coupon.product_ids for item in order.items
        ):
            return "coupon_not_applicable"
        if order.subtotal_cents < coupon.min_spend_cents:
            return "below_min_spend"
        return None

    async def issuer_may_discount(
        self, session: AsyncSession, coupon: Coupon, order: Order
    ) -> bool:
        """A room's coupon takes its discount from the merchant's sale: it applies only to
        products the room's host sells as their merchant or its staff, or through an offer
        whose merchant allows room coupons."""
        if coupon.audience == CouponAudience.MERCHANT or order.merchant_id == coupon.issuer_id:
            return True
        for product_id in dict.fromkeys(item.product_id for item in order.items):
            product = await catalog_service.get_product(session, product_id)
            try:
                await selling_service.check_may_sell(
                    session, coupon.issuer_id, product, SellAction.DISCOUNT
                )
            except LiveCommerceError:
                return False
        return True

    def discount_of(self, coupon: Coupon, remaining: int) -> int:
        if coupon.discount_kind == DiscountKind.PERCENT:
            value = remaining * coupon.percent_off // 100
        else:
            value = coupon.amount_off_cents
        return max(0, min(value, remaining))

    async def price(
        self, session: AsyncSession, user: User, claim_ids: list[str], order: Order
    ) -> list[tuple[CouponClaim, int]]:
        """Check the claims against the order; each claim with its discount."""
        unique = list(dict.fromkeys(claim_ids))
        if len(unique) > MAX_STACK:
            raise ValidationFailed(
                f"At most {MAX_STACK} coupons per order.", code="too_many_coupons"
            )
        claims = {claim.id: claim for claim in await coupon_repository.get_claims(session, unique)}
        now = utcnow()
        coupons: list[tuple[CouponClaim, Coupon]] = []
        for claim_id in unique:
            claim = claims.get(claim_id)
            if claim is None or claim.user_id != user.id:
                raise NotFound("No such coupon in your wallet.", code="coupon_claim_not_found")
            if claim.status != ClaimStatus.AVAILABLE:
                raise Conflict("This coupon has been used.", code="coupon_already_used")
            coupon = await self.get_coupon(session, claim.coupon_id)
            reason = self.applies(coupon, order, now)
            if reason is None and not await self.issuer_may_discount(session, coupon, order):
                reason = "coupon_not_applicable"
            if reason is not None:
                raise Conflict(
                    f"The coupon “{coupon.title}” does not apply to this purchase.",
                    code=reason,
                    details={"claim_id": claim.id},
                )
            coupons.append((claim, coupon))
        if len(coupons) > 1 and not all(coupon.stackable for _, coupon in coupons):
            raise Conflict("These coupons cannot be combined.", code="coupons_do_not_stack")
        remaining = order.subtotal_cents
        priced: list[tuple[CouponClaim, int]] = []
        # Amounts first, then percentages of what is left: the order is fixed.
        for claim, coupon in sorted(
            coupons, key=lambda pair: (pair[1].discount_kind != DiscountKind.AMOUNT, pair[0].id)
        ):
            value = self.discount_of(coupon, remaining)
            remaining -= value
            priced.append((claim, value))
        return priced

    async def do_redeem(
        self,
        session: AsyncSession,
        user: User,
        claim_ids: list[str],
        *,
        order_id: str,
        order: Order,
    ) -> int:
        """Mark the claims used by ``order_id``; the total discount in cents."""
        priced = await self.price(session, user, claim_ids, order)
        now = utcnow()
        total = 0
        for claim, value in priced:
            if not await coupon_repository.use_claim(
                session, claim.id, user.id, order_id, value, now
            ):
                raise Conflict("This coupon has been used.", code="coupon_already_used")
            total += value
        return total

    async def usable_claims(self, session: AsyncSession, user: User, order: Order) -> list[str]:
        now = utcnow()
        usable: list[str] = []
        for claim in await coupon_repository.list_claims(session, user.id, ClaimStatus.AVAILABLE):
            coupon = await self.get_coupon(session, claim.coupon_id)
            if self.applies(coupon, order, now) is None and (
                await self.issuer_may_discount(session, coupon, order)
            ):
                usable.append(claim.id)
        return usable

    async def do_release_for_order(self, session: AsyncSession, order_id: str) -> int:
        return await coupon_repository.release_for_order(session, order_id)


coupon_service = CouponService()


async def draft_order(
    session: AsyncSession, user: User, sku_id: str, quantity: int, session_id: str | None
) -> Order:
    """An unsaved order priced the way checkout prices it, for quotes."""
    from livecommerce.catalog.service import catalog_service
    from livecommerce.models import OrderItem

    sku = await catalog_service.get_sku(session, sku_id)
    product = await catalog_service.get_product(session, sku.product_id)
    unit_price = sku.price_cents
    room_id: str | None = None
    if session_id is not None:
        live_session = await live_service.get_session(session, session_id)
        item = await live_service.get_showcase_item_for_product(session, session_id, product.id)
        if item is None:
            raise Conflict("This product is not in the session's showcase.", code="not_in_showcase")
        unit_price = live_service.effective_price(item, sku)
        room_id = live_session.room_id
    line_total = unit_price * quantity
    return Order(
        id=new_id(),
        buyer_id=user.id,
        merchant_id=product.merchant_id,
        room_id=room_id,
        session_id=session_id,
        currency=product.currency,
        subtotal_cents=line_total,
        discount_cents=0,
        total_cents=line_total,
        items=[
            OrderItem(
                product_id=product.id,
                sku_id=sku.id,
                title=product.title,
                unit_price_cents=unit_price,
                quantity=quantity,
                line_total_cents=line_total,
            )
        ],
    )
