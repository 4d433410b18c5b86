"""Property test: claims and checkouts with coupons, cancellations and expiries,
interleaved concurrently. A coupon is never claimed beyond its total or per-user
limit, and a claim never pays for two live orders."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from livecommerce.coupons.schemas import CouponCreate
from livecommerce.coupons.service import coupon_service
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ClaimStatus, Coupon, CouponClaim, Order, OrderStatus, User
from livecommerce.orders.service import order_service
from livecommerce.worker.loop import WorkerLoop
from tests.interactions.helpers import run_hypothesis
from tests.orders.shop import buyer_with_address, create_listing

USERS = 3
LIVE = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
operation = st.one_of(
    st.tuples(st.just("claim"), st.integers(0, USERS - 1)),
    st.tuples(st.just("order"), st.integers(0, 10)),
    st.tuples(st.just("order"), st.integers(0, 10)),
    st.tuples(st.just("cancel"), st.integers(0, 10)),
    st.tuples(st.just("expire"), st.just(0)),
)


async def test_coupon_limits_hold_under_any_interleaving(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=100_000, price_cents=5000)
    users: list[tuple[User, str]] = []
    for _ in range(USERS):
        account, address_id = await buyer_with_address(client)
        async with runtime.db.transaction() as session:
            user = await session.get(User, account.id)
            assert user is not None
        users.append((user, address_id))
    async with runtime.db.transaction() as session:
        merchant = await session.get(User, listing.merchant.id)
        assert merchant is not None
    seen: list[int] = []

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        total=st.integers(1, 4),
        per_user=st.integers(1, 2),
        plan=st.lists(st.lists(operation, min_size=1, max_size=4), min_size=1, max_size=6),
    )
    async def example(total: int, per_user: int, plan: list[list[tuple[str, int]]]) -> None:
        async with runtime.db.transaction() as session:
            coupon = await coupon_service.do_create(
                session,
                merchant,
                CouponCreate(
                    title="立减",
                    audience="merchant",
                    discount_kind="amount",
                    amount_off_cents=1000,
                    ends_at=utcnow() + timedelta(days=30),
                    total_limit=total,
                    per_user_limit=min(per_user, total),
                ),
            )
        claims: list[tuple[str, User, str]] = []
        orders: list[tuple[str, User]] = []

        async def run(op: tuple[str, int]) -> None:
            kind, index = op
            try:
                if kind == "claim":
                    user, address_id = users[index]
                    async with runtime.db.transaction() as session:
                        claim = await coupon_service.do_claim(session, user, coupon.id)
                    claims.append((claim.id, user, address_id))
                elif kind == "order" and claims:
                    claim_id, user, address_id = claims[index % len(claims)]
                    async with runtime.db.transaction() as session:
                        placed = await order_service.do_place_order(
                            session,
                            user,
                            sku_id=listing.sku_id,
                            quantity=1,
                            address_id=address_id,
                            coupon_claim_ids=[claim_id],
                        )
                    orders.append((placed.order.id, user))
                elif kind == "cancel" and orders:
                    order_id, user = orders[index % len(orders)]
                    async with runtime.db.transaction() as session:
                        await order_service.do_cancel(session, user, order_id)
                elif kind == "expire":
                    clock.advance(timedelta(seconds=901))
                    await WorkerLoop(runtime).run_once()
            except LiveCommerceError:
                pass

        for group in plan:
            await asyncio.gather(*[run(op) for op in group])
            async with runtime.db.transaction() as session:
                row = await session.get(Coupon, coupon.id)
                assert row is not None
                await session.refresh(row)
                rows = list(
                    (
                        await session.execute(
                            select(CouponClaim).where(CouponClaim.coupon_id == coupon.id)
                        )
                    ).scalars()
                )
                assert len(rows) == row.claimed_count <= row.total_limit
                per_holder: dict[str, int] = {}
                for claim in rows:
                    per_holder[claim.user_id] = per_holder.get(claim.user_id, 0) + 1
                assert max(per_holder.values(), default=0) <= row.per_user_limit
                for claim in rows:
                    live = await session.scalar(
                        select(func.count())
                        .select_from(Order)
                        .where(
                            Order.id == claim.order_id,
                            Order.status.in_(LIVE),
                            Order.discount_cents > 0,
                        )
                    )
                    # used ⇔ exactly one live discounted order carries it
                    assert live == (1 if claim.status == ClaimStatus.USED else 0)
                discounted = await session.scalar(
                    select(func.count())
                    .select_from(Order)
                    .where(
                        Order.id.in_([order_id for order_id, _ in orders]),
                        Order.status.in_(LIVE),
                    )
                )
                used = sum(1 for claim in rows if claim.status == ClaimStatus.USED)
                assert discounted == used
        seen.append(len(orders))

    await run_hypothesis(example)
    assert len(seen) >= 20
    assert any(count > 0 for count in seen)
