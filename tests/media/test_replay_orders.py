"""Buying from a replay: an ended session sells only with the explicit replay flag."""

from __future__ import annotations

import httpx

from tests.orders.shop import buyer_with_address, create_listing, open_stage


async def test_an_ended_session_sells_from_its_replay_only_when_asked(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, price_cents=9900)
    stage = await open_stage(client, [listing], live_price_cents=7900)
    ended = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/end", headers=stage.host.headers
    )
    assert ended.status_code == 200
    buyer, address_id = await buyer_with_address(client)
    body = {
        "sku_id": listing.sku_id,
        "quantity": 2,
        "address_id": address_id,
        "session_id": stage.session_id,
    }
    refused = await client.post("/api/v1/orders", json=body, headers=buyer.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "session_not_live"
    placed = await client.post(
        "/api/v1/orders", json={**body, "from_replay": True}, headers=buyer.headers
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["session_id"] == stage.session_id
    assert order["room_id"] == stage.room_id
    assert order["host_id"] == stage.host.id
    assert order["total_cents"] == 2 * 7900
    # the flag never opens a session that has not been on air
    upcoming = await open_stage(client, [listing], start=False)
    not_started = await client.post(
        "/api/v1/orders",
        json={**body, "session_id": upcoming.session_id, "from_replay": True},
        headers=buyer.headers,
    )
    assert not_started.status_code == 409
    assert not_started.json()["code"] == "session_not_live"
