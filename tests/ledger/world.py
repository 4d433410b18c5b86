"""A marketplace world through the public API: merchant, offer, agency, talent host, buyers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.orders.shop import (
    Listing,
    buyer_with_address,
    create_listing,
    make_admin,
    pay,
    place_order,
)


@dataclass
class World:
    merchant: Account
    listing: Listing
    host: Account
    session_id: str
    agency_admin: Account | None
    agency_id: str | None
    admin: Account
    buyer: Account
    address_id: str


async def open_room(
    client: httpx.AsyncClient, host: Account, listings: list[Listing], name: str = "直播间"
) -> str:
    """The host's room and an on-air session showing ``listings``; returns the session id."""
    room = await client.post("/api/v1/rooms", headers=host.headers, json={"name": name})
    assert room.status_code == 201, room.text
    planned = (utcnow() + timedelta(hours=1)).isoformat()
    live = await client.post(
        f"/api/v1/rooms/{room.json()['id']}/sessions",
        headers=host.headers,
        json={"title": "带货专场", "planned_start_at": planned},
    )
    assert live.status_code == 201, live.text
    session_id: str = live.json()["id"]
    for listing in listings:
        added = await client.post(
            f"/api/v1/live-sessions/{session_id}/showcase",
            headers=host.headers,
            json={"product_id": listing.product_id},
        )
        assert added.status_code == 201, added.text
    started = await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host.headers)
    assert started.status_code == 200, started.text
    return session_id


async def create_offer(
    client: httpx.AsyncClient, merchant: Account, product_id: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/mcn/offers",
        headers=merchant.headers,
        json={"product_id": product_id, "commission_bp": 2000, **fields},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def sign_host(
    client: httpx.AsyncClient, agency_admin: Account, host: Account, share_bp: int
) -> dict[str, Any]:
    invited = await client.post(
        "/api/v1/mcn/contracts",
        headers=agency_admin.headers,
        json={"host_id": host.id, "share_bp": share_bp},
    )
    assert invited.status_code == 201, invited.text
    accepted = await client.post(
        f"/api/v1/mcn/contracts/{invited.json()['id']}/accept", headers=host.headers
    )
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = accepted.json()
    return body


async def create_agency(client: httpx.AsyncClient, name: str = "星火传媒") -> tuple[Account, str]:
    admin = await sign_up(client, "mcn_admin")
    response = await client.post("/api/v1/mcn/agencies", headers=admin.headers, json={"name": name})
    assert response.status_code == 201, response.text
    return admin, str(response.json()["id"])


async def build_world(
    client: httpx.AsyncClient,
    runtime: Runtime,
    *,
    price_cents: int = 9999,
    commission_bp: int = 2000,
    share_bp: int | None = 3333,
    stock: int = 50,
) -> World:
    merchant = await sign_up(client, "merchant", name="山野茶铺")
    listing = await create_listing(client, merchant=merchant, price_cents=price_cents, stock=stock)
    await create_offer(client, merchant, listing.product_id, commission_bp=commission_bp)
    host = await sign_up(client, "host", name="达人小美")
    agency_admin: Account | None = None
    agency_id: str | None = None
    if share_bp is not None:
        agency_admin, agency_id = await create_agency(client)
        await sign_host(client, agency_admin, host, share_bp)
    session_id = await open_room(client, host, [listing])
    buyer, address_id = await buyer_with_address(client)
    admin = await make_admin(runtime)
    return World(
        merchant, listing, host, session_id, agency_admin, agency_id, admin, buyer, address_id
    )


async def buy(
    client: httpx.AsyncClient, world: World, *, quantity: int = 1, in_room: bool = True
) -> dict[str, Any]:
    order = await place_order(
        client,
        world.buyer,
        world.address_id,
        world.listing,
        quantity=quantity,
        session_id=world.session_id if in_room else None,
    )
    await pay(client, world.buyer, order["id"])
    return order


async def owed(client: httpx.AsyncClient, account: Account) -> dict[str, int]:
    """kind → what the platform owes this account's owner(s)."""
    response = await client.get("/api/v1/ledger/earnings", headers=account.headers)
    assert response.status_code == 200, response.text
    return {item["kind"]: item["owed_cents"] for item in response.json()["accounts"]}


async def platform(client: httpx.AsyncClient, admin: Account) -> dict[str, int]:
    response = await client.get("/api/v1/ledger/platform", headers=admin.headers)
    assert response.status_code == 200, response.text
    return {item["kind"]: item["owed_cents"] for item in response.json()}


async def verify(client: httpx.AsyncClient, admin: Account) -> dict[str, Any]:
    response = await client.get("/api/v1/ledger/verify", headers=admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refund(
    client: httpx.AsyncClient,
    account: Account,
    order_id: str,
    amount_cents: int,
    expect: int = 201,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/ledger/orders/{order_id}/refunds",
        headers=account.headers,
        json={"amount_cents": amount_cents, "reason": "破损补偿"},
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body
