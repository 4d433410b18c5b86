"""Decision automation with a moving clock: the re-order rule checks every hour, orders
what stock plus deliveries on the way lack against the forecast, logs its figures, and
does not order twice."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DecisionLog, ProductionOrder
from tests.c2b.helpers import drain, rows
from tests.factories import sign_up
from tests.orders.shop import create_listing, stock_of


async def test_reorder_rule_orders_the_shortfall_once_per_need(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10)
    supplier = await sign_up(client, "supplier")
    url = f"/api/v1/products/{listing.product_id}/c2b-rules"
    bad = await client.put(
        url,
        headers=listing.merchant.headers,
        json={"kind": "reorder", "params": {"forecast_units": 50}},
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "c2b_rule_incomplete")
    rule = await client.put(
        url,
        headers=listing.merchant.headers,
        json={"kind": "reorder", "params": {"forecast_units": 50, "supplier_id": supplier.id}},
    )
    assert rule.status_code == 200, rule.text
    other = await sign_up(client, "merchant")
    forbidden = await client.put(
        url,
        headers=other.headers,
        json={"kind": "reorder", "params": {"forecast_units": 5, "supplier_id": supplier.id}},
    )
    assert forbidden.status_code == 403

    await drain(runtime)
    assert await rows(runtime, ProductionOrder) == []  # not an hour yet
    clock.advance(timedelta(hours=1, seconds=1))
    await drain(runtime)
    [order] = await rows(runtime, ProductionOrder)
    assert (order.units_total, order.reason, order.supplier_id) == (40, "reorder", supplier.id)
    [decision] = await rows(runtime, DecisionLog)
    assert decision.figures == {"stock": 10, "incoming": 0, "forecast": 50, "ordered": 40}

    # An hour later the 40 on the way cover the forecast: nothing new.
    clock.advance(timedelta(hours=1, seconds=1))
    await drain(runtime)
    assert len(await rows(runtime, ProductionOrder)) == 1

    # The factory delivers 30: stock is 40, 10 still on the way; no re-order.
    base = f"/api/v1/production-orders/{order.id}"
    assert (await client.post(f"{base}/accept", headers=supplier.headers)).status_code == 200
    part = await client.post(f"{base}/deliveries", headers=supplier.headers, json={"units": 30})
    assert part.status_code == 201
    assert await stock_of(client, listing) == 40
    clock.advance(timedelta(hours=1, seconds=1))
    await drain(runtime)
    assert len(await rows(runtime, ProductionOrder)) == 1

    # The forecast grows to 80: the next check orders the 30 missing.
    await client.put(
        url,
        headers=listing.merchant.headers,
        json={"kind": "reorder", "params": {"forecast_units": 80, "supplier_id": supplier.id}},
    )
    clock.advance(timedelta(hours=1, seconds=1))
    await drain(runtime)
    orders = await rows(runtime, ProductionOrder)
    assert sorted(o.units_total for o in orders) == [30, 40]
    decisions = await rows(runtime, DecisionLog)
    assert sorted(d.figures["ordered"] for d in decisions) == [30, 40]
    assert {d.figures["incoming"] for d in decisions if d.figures["ordered"] == 30} == {10}
