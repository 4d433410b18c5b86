from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.orders.shop import (
    buyer_with_address,
    create_listing,
    get_order,
    jobs,
    pay,
    place_order,
    stock_of,
    tick,
)


async def test_unpaid_order_expires_and_stock_returns(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=4)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, quantity=3)
    assert await stock_of(client, listing) == 1

    clock.advance(timedelta(seconds=899))
    assert await tick(runtime) == 0
    assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"

    clock.advance(timedelta(seconds=2))
    assert await tick(runtime) == 1
    expired = await get_order(client, buyer, order["id"])
    assert expired["status"] == "cancelled"
    assert expired["cancel_reason"] == "payment_timeout"
    assert expired["cancelled_at"] is not None
    assert await stock_of(client, listing) == 4
    [job] = await jobs(runtime, "order.expire")
    assert (job.status, job.attempts) == ("done", 1)

    # Too late to pay now.
    response = await client.post(f"/api/v1/orders/{order['id']}/pay", headers=buyer.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_order_state"


async def test_paid_and_cancelled_orders_are_left_alone(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10)
    buyer, address_id = await buyer_with_address(client)
    paid = await place_order(client, buyer, address_id, listing, quantity=2)
    cancelled = await place_order(client, buyer, address_id, listing, quantity=3)
    assert (await pay(client, buyer, paid["id"]))["status"] == "succeeded"
    response = await client.post(f"/api/v1/orders/{cancelled['id']}/cancel", headers=buyer.headers)
    assert response.status_code == 200
    assert await stock_of(client, listing) == 8

    clock.advance(timedelta(hours=1))
    await tick(runtime)  # the hour may also cross midnight and run the daily jobs
    assert (await get_order(client, buyer, paid["id"]))["status"] == "paid"
    after = await get_order(client, buyer, cancelled["id"])
    assert (after["status"], after["cancel_reason"]) == ("cancelled", "buyer_cancelled")
    assert await stock_of(client, listing) == 8
    assert [job.status for job in await jobs(runtime, "order.expire")] == ["done", "done"]


async def test_expiry_timer_survives_a_restart(settings: Settings) -> None:
    first = create_app(settings)
    async with first.router.lifespan_context(first):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            listing = await create_listing(http, stock=3)
            buyer, address_id = await buyer_with_address(http)
            order = await place_order(http, buyer, address_id, listing, quantity=3)
            assert await stock_of(http, listing) == 0

    clock.advance(timedelta(seconds=settings.order_payment_timeout_s + 1))
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        assert await tick(second.state.runtime) == 1
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            expired = await get_order(http, buyer, order["id"])
            assert (expired["status"], expired["cancel_reason"]) == (
                "cancelled",
                "payment_timeout",
            )
            assert await stock_of(http, listing) == 3


async def test_worker_started_by_the_app_expires_orders(settings: Settings) -> None:
    application = create_app(
        settings.model_copy(update={"worker_enabled": True, "order_payment_timeout_s": 1})
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            listing = await create_listing(http, stock=1)
            buyer, address_id = await buyer_with_address(http)
            order = await place_order(http, buyer, address_id, listing)
            clock.advance(timedelta(seconds=2))
            for _ in range(150):
                if (await get_order(http, buyer, order["id"]))["status"] == "cancelled":
                    break
                await asyncio.sleep(0.02)
            assert (await get_order(http, buyer, order["id"]))["status"] == "cancelled"
            assert await stock_of(http, listing) == 1
