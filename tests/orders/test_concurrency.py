"""Races through a real server: requests truly run concurrently."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, Order
from tests.conftest import LiveServer
from tests.orders.shop import (
    buyer_with_address,
    count_jobs,
    count_rows,
    create_listing,
    stock_of,
)


async def test_thirty_buyers_race_for_five_units(live_server: LiveServer) -> None:
    runtime: Runtime = live_server.app.state.runtime
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=live_server.url, limits=limits, timeout=60) as http:
        listing = await create_listing(http, stock=5)
        buyers = [await buyer_with_address(http) for _ in range(30)]

        async def buy(index: int) -> httpx.Response:
            buyer, address_id = buyers[index]
            return await http.post(
                "/api/v1/orders",
                headers=buyer.headers,
                json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
            )

        responses = await asyncio.gather(*(buy(index) for index in range(30)))
        outcomes = Counter(
            (response.status_code, response.json().get("code")) for response in responses
        )
        assert outcomes == {(201, None): 5, (409, "out_of_stock"): 25}
        assert await stock_of(http, listing) == 0
        merchant_orders = await http.get(
            "/api/v1/merchant/orders", headers=listing.merchant.headers
        )
        assert len(merchant_orders.json()["items"]) == 5
    assert await count_rows(runtime, Order) == 5
    assert await count_jobs(runtime) == 5
    assert await count_rows(runtime, BehaviourEvent, BehaviourEvent.kind == "order") == 5


async def test_same_idempotency_key_raced_makes_one_order(live_server: LiveServer) -> None:
    runtime: Runtime = live_server.app.state.runtime
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as http:
        listing = await create_listing(http, stock=3)
        buyer, address_id = await buyer_with_address(http)

        async def buy() -> httpx.Response:
            return await http.post(
                "/api/v1/orders",
                headers={**buyer.headers, "Idempotency-Key": "tap-tap-tap"},
                json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
            )

        responses = await asyncio.gather(*(buy() for _ in range(10)))
        assert sorted(response.status_code for response in responses) == [200] * 9 + [201]
        assert len({response.json()["id"] for response in responses}) == 1
        assert await stock_of(http, listing) == 2
    assert await count_rows(runtime, Order) == 1
    assert await count_jobs(runtime) == 1


async def test_last_unit_raced_with_one_key_still_answers_with_the_order(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as http:
        listing = await create_listing(http, stock=1)
        buyer, address_id = await buyer_with_address(http)

        async def buy() -> httpx.Response:
            return await http.post(
                "/api/v1/orders",
                headers={**buyer.headers, "Idempotency-Key": "only-one"},
                json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
            )

        responses = await asyncio.gather(*(buy() for _ in range(6)))
        assert sorted(response.status_code for response in responses) == [200] * 5 + [201]
        assert len({response.json()["id"] for response in responses}) == 1
        assert await stock_of(http, listing) == 0
