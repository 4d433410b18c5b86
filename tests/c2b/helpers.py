"""A pre-sale world through the public API: merchant, product, supplier, buyers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.ledger.service import ledger_service
from livecommerce.ledger.verify import verify_ledger
from livecommerce.models import Campaign, Order, Payment, Pledge
from tests.factories import Account, sign_up
from tests.orders.shop import Listing, buyer_with_address, create_listing, pay, tick


@dataclass
class World:
    merchant: Account
    listing: Listing
    supplier: Account
    buyers: list[tuple[Account, str]] = field(default_factory=list)


async def make_world(client: httpx.AsyncClient, buyers: int = 3) -> World:
    listing = await create_listing(client, title="定制保温杯", price_cents=12900, stock=0)
    supplier = await sign_up(client, "supplier", name="义乌工厂")
    world = World(merchant=listing.merchant, listing=listing, supplier=supplier)
    for _ in range(buyers):
        world.buyers.append(await buyer_with_address(client))
    return world


async def create_presale(
    client: httpx.AsyncClient, world: World, *, expect: int = 201, **fields: Any
) -> dict[str, Any]:
    now = utcnow()
    body = {
        "sku_id": world.listing.sku_id,
        "price_cents": 10000,
        "deposit_cents": 2000,
        "moq": 3,
        "max_units": 5,
        "deadline": (now + timedelta(days=3)).isoformat(),
        "expected_ship_at": (now + timedelta(days=20)).isoformat(),
        "supplier_id": world.supplier.id,
        "customisation_fields": [{"name": "刻字", "max_length": 10}],
        **fields,
    }
    response = await client.post("/api/v1/presales", headers=world.merchant.headers, json=body)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def join(
    client: httpx.AsyncClient,
    world: World,
    campaign_id: str,
    buyer: int,
    quantity: int = 1,
    *,
    expect: int = 201,
    customisation: dict[str, str] | None = None,
) -> dict[str, Any]:
    account, address_id = world.buyers[buyer]
    response = await client.post(
        f"/api/v1/presales/{campaign_id}/join",
        headers=account.headers,
        json={
            "quantity": quantity,
            "address_id": address_id,
            "customisation": customisation or {},
        },
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def join_and_pay(
    client: httpx.AsyncClient, world: World, campaign_id: str, buyer: int, quantity: int = 1
) -> dict[str, Any]:
    joined = await join(client, world, campaign_id, buyer, quantity)
    await pay(client, world.buyers[buyer][0], joined["order_id"])
    return joined


async def campaign(client: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/presales/{campaign_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def drain(runtime: Runtime) -> int:
    """Run due jobs (and the events they publish) until none is left."""
    total = 0
    for _ in range(50):
        ran = await tick(runtime)
        total += ran
        if ran == 0:
            return total
    raise AssertionError("jobs keep coming")


async def rows(runtime: Runtime, model: Any, *where: Any) -> list[Any]:
    async with runtime.db.transaction() as session:
        result = await session.execute(select(model).where(*where).order_by(model.id))
        return list(result.scalars())


async def check_books(runtime: Runtime, campaign_id: str) -> None:
    """Units and money agree with the pledges, orders and payments; the ledger verifies."""
    [row] = await rows(runtime, Campaign, Campaign.id == campaign_id)
    pledges = await rows(runtime, Pledge, Pledge.campaign_id == campaign_id)
    live = {"pending", "paid", "balance_due", "confirmed", "shipped", "defaulted"}
    assert row.units_reserved == sum(p.quantity for p in pledges if p.status in live)
    assert row.units_paid == sum(p.quantity for p in pledges if p.status in live - {"pending"})
    assert 0 <= row.units_reserved <= row.max_units
    orders = await rows(runtime, Order, Order.campaign_id == campaign_id)
    order_ids = [order.id for order in orders]
    payments = await rows(runtime, Payment, Payment.order_id.in_(order_ids))
    kept = sum(p.amount_cents - p.refunded_cents for p in payments if p.status == "succeeded")
    paid_orders = sum(o.total_cents for o in orders if o.status in ("paid", "shipped"))
    assert kept == paid_orders
    for payment in payments:
        if payment.status == "refunded":
            assert payment.refunded_cents == payment.amount_cents
    async with runtime.db.transaction() as session:
        report = await verify_ledger(session)
        assert report.ok, report.problems
        held = await ledger_service.held_for_campaign_orders(session, row.merchant_id)
    shipped = sum(o.total_cents for o in orders if o.status == "shipped")
    defaulted_first = {p.first_order_id for p in pledges if p.status == "defaulted"}
    forfeited = sum(o.total_cents for o in orders if o.id in defaulted_first)
    assert held == paid_orders - shipped - forfeited
