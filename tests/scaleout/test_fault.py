"""SIGKILL an app worker in the middle of a burst of purchases; nothing is lost or sold twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from livecommerce.config import Settings
from tests.orders.shop import Listing, buyer_with_address, create_listing
from tests.scaleout.processes import ServeProcess, only_with_postgres_and_redis, serve_processes

pytestmark = only_with_postgres_and_redis

INITIAL_STOCK = 20
BUYERS = 36


async def buy_and_pay(
    http: httpx.AsyncClient, headers: dict[str, str], address_id: str, listing: Listing, key: str
) -> str:
    """Order one unit and pay for it; returns how far it got."""
    ordered = await http.post(
        "/api/v1/orders",
        headers={**headers, "Idempotency-Key": key},
        json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
    )
    if ordered.status_code == 409:
        assert ordered.json()["code"] == "out_of_stock", ordered.text
        return "sold_out"
    assert ordered.status_code in (200, 201), ordered.text
    order = ordered.json()
    if order["status"] == "paid":
        return "paid"
    started = await http.post(f"/api/v1/orders/{order['id']}/pay", headers=headers)
    assert started.status_code == 200, started.text
    confirmed = await http.post(
        f"/api/v1/payments/{started.json()['payment_id']}/sandbox-confirm",
        headers=headers,
        json={"outcome": "succeed"},
    )
    assert confirmed.status_code == 200, confirmed.text
    return "paid"


async def test_a_worker_killed_mid_burst_leaves_every_paid_order_with_its_unit(
    settings: Settings, tmp_path: Path
) -> None:
    async with serve_processes(settings, tmp_path) as (one, two):
        async with httpx.AsyncClient(base_url=one.url, timeout=20) as http1:
            listing = await create_listing(http1, stock=INITIAL_STOCK)
            buyers = [await buyer_with_address(http1) for _ in range(BUYERS)]
        outcomes: dict[int, str] = {}
        killed = asyncio.Event()

        async def shopper(index: int, base_url: str) -> None:
            buyer, address_id = buyers[index]
            async with httpx.AsyncClient(base_url=base_url, timeout=20) as http:
                try:
                    outcomes[index] = await buy_and_pay(
                        http, buyer.headers, address_id, listing, key=f"burst-{index}"
                    )
                except httpx.TransportError:
                    outcomes[index] = "cut"  # the worker died under this request
            if len([o for o in outcomes.values() if o == "paid"]) >= 6 and not killed.is_set():
                killed.set()
                two.kill()

        await asyncio.gather(
            *(shopper(index, (one, two)[index % 2].url) for index in range(BUYERS))
        )
        assert killed.is_set()
        # The dead worker comes back on its port; the buyers it dropped try again there
        # with the same idempotency key, so a half-made order is found, not made twice.
        restarted = ServeProcess(settings, tmp_path, port=two.port)
        await restarted.start()
        try:
            retry = [index for index, outcome in outcomes.items() if outcome == "cut"]
            assert retry, "the kill cut no request short"
            await asyncio.gather(*(shopper(index, restarted.url) for index in retry))
        finally:
            restarted.stop()
    assert "cut" not in outcomes.values()
    paid = sum(1 for outcome in outcomes.values() if outcome == "paid")
    assert paid == INITIAL_STOCK  # more buyers than stock: every unit was sold and paid
    assert sum(1 for outcome in outcomes.values() if outcome == "sold_out") == BUYERS - paid

    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            left = (
                await connection.execute(
                    text("SELECT stock FROM skus WHERE id = :id"), {"id": listing.sku_id}
                )
            ).scalar_one()
            held = (
                await connection.execute(
                    text(
                        "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i "
                        "JOIN orders o ON o.id = i.order_id "
                        "WHERE i.sku_id = :id AND o.status <> 'cancelled'"
                    ),
                    {"id": listing.sku_id},
                )
            ).scalar_one()
            assert left + held == INITIAL_STOCK
            rows = (
                await connection.execute(
                    text(
                        "SELECT o.id, o.status, "
                        "(SELECT SUM(quantity) FROM order_items WHERE order_id = o.id), "
                        "(SELECT COUNT(*) FROM payments p "
                        " WHERE p.order_id = o.id AND p.status = 'succeeded') "
                        "FROM orders o"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    paid_rows = [row for row in rows if row[1] == "paid"]
    assert len(paid_rows) == INITIAL_STOCK
    assert all(units == 1 and payments == 1 for _, _, units, payments in paid_rows)
    assert [row for row in rows if row[1] != "paid"] == []  # nothing half-made is left
    assert left == 0
