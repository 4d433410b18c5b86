"""Property tests: purchases, retries, payments, expiries and late payments interleaved.

Hypothesis picks the operations and how they are grouped; each group runs
concurrently, every operation in its own unit of work, through the services the
endpoints call. After every example the invariants must hold:

- units in live orders + units left + units returned = units offered;
- no buyer holds more than the per-buyer limit, and the buyer counter agrees;
- every paid order has its unit, and every kept payment belongs to a paid order;
- a refunded (late) payment never left an order paid.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from livecommerce.interactions.flash_sales import flash_sale_service
from livecommerce.interactions.schemas import FlashSaleCreate
from livecommerce.kit.clock import clock
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.runtime import Runtime
from livecommerce.models import (
    FlashSale,
    FlashSaleBuyer,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentStatus,
    User,
)
from livecommerce.orders.checkout import checkout_service
from livecommerce.worker.loop import WorkerLoop
from tests.interactions.helpers import run_hypothesis
from tests.orders.shop import buyer_with_address, create_listing, open_stage

BUYERS = 4
LIVE = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)

buy_op = st.tuples(
    st.just("buy"),
    st.integers(0, BUYERS - 1),
    st.integers(0, 2),  # idempotency key: a small pool, so retries collide
    st.integers(1, 2),
)
pay_op = st.tuples(st.just("pay"), st.integers(0, 20), st.booleans(), st.just(0))
expire_op = st.tuples(st.just("expire"), st.just(0), st.just(0), st.just(0))
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0), st.just(0))
operation = st.one_of(buy_op, buy_op, pay_op, expire_op, cancel_op)
schedule = st.lists(st.lists(operation, min_size=1, max_size=4), min_size=1, max_size=6)


class World:
    def __init__(self, runtime: Runtime, buyers: list[User], sale_id: str) -> None:
        self.runtime = runtime
        self.buyers = buyers
        self.sale_id = sale_id
        self.orders: list[tuple[str, User]] = []
        self.started: dict[str, str] = {}  # order id → payment id started before paying

    async def run(self, op: tuple[str, int, Any, int]) -> None:
        kind, a, b, c = op
        try:
            if kind == "buy":
                await self.buy(self.buyers[a], f"key-{a}-{b}", c)
            elif kind == "pay" and self.orders:
                await self.pay(*self.orders[a % len(self.orders)], late=bool(b))
            elif kind == "expire":
                clock.advance(timedelta(seconds=121))
                await WorkerLoop(self.runtime).run_once()
            elif kind == "cancel" and self.orders:
                order_id, buyer = self.orders[a % len(self.orders)]
                from livecommerce.orders.service import order_service

                async with self.runtime.db.transaction() as session:
                    await order_service.do_cancel(session, buyer, order_id)
        except LiveCommerceError:
            pass  # sold out, over the limit, not payable…: refusals are fine

    async def buy(self, buyer: User, key: str, quantity: int) -> None:
        async with self.runtime.db.transaction() as session:
            placed = await flash_sale_service.do_buy(
                session, buyer, self.sale_id, quantity=quantity, idempotency_key=key
            )
        if placed.created:
            self.orders.append((placed.order.id, buyer))

    async def pay(self, order_id: str, buyer: User, *, late: bool) -> None:
        payment_id = self.started.get(order_id)
        if payment_id is None:
            async with self.runtime.db.transaction() as session:
                started = await checkout_service.do_start_payment(session, buyer, order_id)
            payment_id = started.payment.id
            if late:  # pay later, perhaps after the order expired
                self.started[order_id] = payment_id
                return
        async with self.runtime.db.transaction() as session:
            await checkout_service.do_sandbox_confirm(session, buyer, payment_id, succeed=True)


async def check_invariants(runtime: Runtime, sale_id: str) -> None:
    async with runtime.db.transaction() as session:
        sale = await session.get(FlashSale, sale_id)
        assert sale is not None
        live_units = await session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.flash_sale_id == sale_id, Order.status.in_(LIVE))
        )
        assert sale.units_left >= 0
        assert int(live_units or 0) + sale.units_left + sale.units_returned == sale.units_total
        per_buyer = dict(
            (
                await session.execute(
                    select(Order.buyer_id, func.sum(OrderItem.quantity))
                    .join(OrderItem, OrderItem.order_id == Order.id)
                    .where(Order.flash_sale_id == sale_id, Order.status.in_(LIVE))
                    .group_by(Order.buyer_id)
                )
            ).all()
        )
        counters = dict(
            (
                await session.execute(
                    select(FlashSaleBuyer.buyer_id, FlashSaleBuyer.bought).where(
                        FlashSaleBuyer.sale_id == sale_id
                    )
                )
            ).all()
        )
        for buyer_id, held in per_buyer.items():
            assert held <= sale.per_buyer_limit
            assert counters[buyer_id] == held
        assert all(value == per_buyer.get(buyer_id, 0) for buyer_id, value in counters.items())
        payments = (
            await session.execute(
                select(Payment.status, Order.status)
                .join(Order, Order.id == Payment.order_id)
                .where(Order.flash_sale_id == sale_id)
            )
        ).all()
        for payment_status, order_status in payments:
            if payment_status == PaymentStatus.SUCCEEDED:
                assert order_status == OrderStatus.PAID  # kept money ⇒ a paid order with its unit
            if order_status != OrderStatus.PAID:
                assert payment_status != PaymentStatus.SUCCEEDED
        paid_orders = await session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.flash_sale_id == sale_id, Order.status == OrderStatus.PAID)
        )
        kept = sum(1 for status, _ in payments if status == PaymentStatus.SUCCEEDED)
        assert kept == paid_orders


async def test_flash_sale_invariants_hold_under_any_interleaving(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=100_000)
    stage = await open_stage(client, [listing])
    buyers: list[User] = []
    for index in range(BUYERS):
        account, _ = await buyer_with_address(client, f"买家{index}")
        async with runtime.db.transaction() as session:
            user = await session.get(User, account.id)
            assert user is not None
            buyers.append(user)
    async with runtime.db.transaction() as session:
        host = await session.get(User, stage.host.id)
        assert host is not None

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(units=st.integers(1, 5), limit=st.integers(1, 3), plan=schedule)
    async def example(units: int, limit: int, plan: list[list[tuple[str, int, Any, int]]]) -> None:
        async with runtime.db.transaction() as session:
            sale = await flash_sale_service.do_launch(
                session,
                host,
                stage.session_id,
                FlashSaleCreate(
                    product_id=listing.product_id,
                    sku_id=listing.sku_id,
                    price_cents=100,
                    units=units,
                    per_buyer_limit=limit,
                    duration_s=3600,
                ),
            )
        world = World(runtime, buyers, sale.id)
        for group in plan:
            await asyncio.gather(*[world.run(op) for op in group])
            await check_invariants(runtime, sale.id)
        examples.append(len(world.orders))
        # Late payments arrive for whatever is still outstanding.
        for order_id, buyer in list(world.orders):
            if order_id in world.started:
                await world.run(("pay", world.orders.index((order_id, buyer)), False, 0))
        await check_invariants(runtime, sale.id)
        async with runtime.db.transaction() as session:
            await flash_sale_service.do_close(session, sale.id, early=True)
        await check_invariants(runtime, sale.id)

    examples: list[int] = []
    await run_hypothesis(example)
    assert len(examples) >= 20  # Hypothesis really ran the examples
    assert any(count > 0 for count in examples)
