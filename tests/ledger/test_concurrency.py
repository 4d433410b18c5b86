"""Concurrent refunds and payments: no order gives back more than it took; balances add up."""

from __future__ import annotations

import asyncio

import httpx

from livecommerce.kit.runtime import Runtime
from tests.ledger.world import build_world, buy, owed, verify
from tests.orders.shop import buyer_with_address, pay, place_order


async def test_concurrent_partial_refunds_never_exceed_the_payment(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=9999, share_bp=3333)
    order = await buy(client, world)

    async def attempt() -> int:
        response = await client.post(
            f"/api/v1/ledger/orders/{order['id']}/refunds",
            headers=world.merchant.headers,
            json={"amount_cents": 3000},
        )
        return response.status_code

    statuses = sorted(await asyncio.gather(*(attempt() for _ in range(5))))
    assert statuses == [201, 201, 201, 422, 422]
    refunds = await client.get(
        f"/api/v1/ledger/orders/{order['id']}/refunds", headers=world.merchant.headers
    )
    assert (refunds.json()["refunded_cents"], refunds.json()["refundable_cents"]) == (9000, 999)
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"]) == (True, 4)


async def test_concurrent_payments_post_once_each(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=2500)
    buyers = [await buyer_with_address(client) for _ in range(6)]
    orders = [
        await place_order(client, buyer, address_id, world.listing, session_id=world.session_id)
        for buyer, address_id in buyers
    ]
    await asyncio.gather(
        *(pay(client, buyer, order["id"]) for (buyer, _), order in zip(buyers, orders, strict=True))
    )
    # Each: fee 500, commission 2000 (agency 500, host 1500), merchant 7500.
    assert await owed(client, world.host) == {"host_payable": 6 * 1500}
    assert await owed(client, world.merchant) == {"merchant_payable": 6 * 7500}
    assert world.agency_admin is not None
    assert await owed(client, world.agency_admin) == {"agency_payable": 6 * 500}
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"], report["accounts"]) == (True, 6, 5)
