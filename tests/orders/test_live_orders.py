"""Orders placed in a live room: showcase price, attribution, and all-or-nothing writes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from livecommerce.insights.service import insights_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, Order, ScheduledJob
from tests.orders.shop import (
    Recorder,
    behaviour_events,
    buyer_with_address,
    count_rows,
    create_listing,
    open_stage,
    place_order,
    stock_of,
)


async def test_live_order_uses_the_live_price_and_records_attribution(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, price_cents=12900, stock=10)
    stage = await open_stage(client, [listing], live_price_cents=9900)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(
        client, buyer, address_id, listing, quantity=2, session_id=stage.session_id
    )
    assert order["session_id"] == stage.session_id
    assert order["room_id"] == stage.room_id
    assert order["host_id"] == stage.host.id
    assert order["items"][0]["unit_price_cents"] == 9900
    assert order["total_cents"] == 19800
    assert await stock_of(client, listing) == 8
    [event] = await behaviour_events(runtime, "order")
    assert (event.session_id, event.room_id, event.order_id, event.value) == (
        stage.session_id,
        stage.room_id,
        order["id"],
        19800,
    )


async def test_showcase_without_live_price_sells_at_the_sku_price(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, price_cents=12900)
    stage = await open_stage(client, [listing])
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, session_id=stage.session_id)
    assert order["total_cents"] == 12900


async def test_live_order_needs_a_live_session_showing_the_product(
    client: httpx.AsyncClient,
) -> None:
    shown = await create_listing(client)
    hidden = await create_listing(client, merchant=shown.merchant)
    buyer, address_id = await buyer_with_address(client)

    scheduled = await open_stage(client, [shown], start=False)
    body = await place_order(
        client, buyer, address_id, shown, session_id=scheduled.session_id, expect=409
    )
    assert body["code"] == "session_not_live"

    stage = await open_stage(client, [shown])
    body = await place_order(
        client, buyer, address_id, hidden, session_id=stage.session_id, expect=409
    )
    assert body["code"] == "not_in_showcase"
    body = await place_order(client, buyer, address_id, shown, session_id="0" * 32, expect=404)
    assert body["code"] == "live_session_not_found"

    ended = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/end", headers=stage.host.headers
    )
    assert ended.status_code == 200
    body = await place_order(
        client, buyer, address_id, shown, session_id=stage.session_id, expect=409
    )
    assert body["code"] == "session_not_live"
    assert await stock_of(client, shown) == 10
    assert await stock_of(client, hidden) == 10


async def test_failure_after_taking_stock_rolls_everything_back(
    app: FastAPI, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        listing = await create_listing(client, stock=5)
        stage = await open_stage(client, [listing])
        buyer, address_id = await buyer_with_address(client)
        recorder = Recorder()
        await runtime.broker.subscribe(live_channel(stage.session_id), recorder)

        async def broken_record(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("insights store unavailable")

        # Fails after the stock UPDATE, the order INSERT and the expiry timer.
        monkeypatch.setattr(insights_service, "do_record", broken_record)
        response = await client.post(
            "/api/v1/orders",
            headers=buyer.headers,
            json={
                "sku_id": listing.sku_id,
                "quantity": 2,
                "address_id": address_id,
                "session_id": stage.session_id,
            },
        )
        assert response.status_code == 500
        monkeypatch.undo()

        assert await stock_of(client, listing) == 5
        assert await count_rows(runtime, Order) == 0
        assert await count_rows(runtime, ScheduledJob) == 0
        assert await count_rows(runtime, BehaviourEvent, BehaviourEvent.kind == "order") == 0
        mine = await client.get("/api/v1/orders", headers=buyer.headers)
        assert mine.json()["items"] == []
        await asyncio.sleep(0.2)
        assert recorder.messages == []
        await runtime.broker.unsubscribe(live_channel(stage.session_id), recorder)
