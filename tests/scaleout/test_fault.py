"""SIGKILL an app worker in the middle of a burst of purchases or of a flash sale; nothing is
lost or sold twice."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from livecommerce.config import Settings
from livecommerce.interactions.flash_sales import gate_name
from livecommerce.scaleout.stock_gate import gate_keys
from tests.conftest import TEST_REDIS_URL
from tests.interactions.helpers import launch_sale
from tests.orders.shop import Listing, buyer_with_address, create_listing, open_stage
from tests.scaleout.processes import ServeProcess, only_with_postgres_and_redis, serve_processes

pytestmark = only_with_postgres_and_redis

INITIAL_STOCK = 20
BUYERS = 36


async def pay(http: httpx.AsyncClient, headers: dict[str, str], order: dict[str, Any]) -> str:
    """Pay for an order in the sandbox (a retried click may find it paid already)."""
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
    return await pay(http, headers, ordered.json())


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


SALE_UNITS = 16
SALE_BUYERS = 30


async def flash_buy_and_pay(
    http: httpx.AsyncClient, headers: dict[str, str], sale_id: str, key: str
) -> str:
    """One click on a flash sale and its payment; returns how far it got."""
    bought = await http.post(
        f"/api/v1/flash-sales/{sale_id}/buy",
        headers={**headers, "Idempotency-Key": key},
        json={"quantity": 1},
    )
    if bought.status_code == 409:
        assert bought.json()["code"] == "sold_out", bought.text
        return "sold_out"
    assert bought.status_code in (200, 201), bought.text
    return await pay(http, headers, bought.json())


async def test_a_worker_killed_mid_flash_sale_then_reconciled_sells_each_unit_once(
    settings: Settings, tmp_path: Path
) -> None:
    async with serve_processes(settings, tmp_path) as (one, two):
        async with httpx.AsyncClient(base_url=one.url, timeout=20) as http1:
            listing = await create_listing(http1, stock=INITIAL_STOCK + SALE_UNITS)
            stage = await open_stage(http1, [listing])
            sale = await launch_sale(http1, stage, listing, units=SALE_UNITS, per_buyer_limit=1)
            buyers = [(await buyer_with_address(http1))[0] for _ in range(SALE_BUYERS)]
        outcomes: dict[int, str] = {}
        killed = asyncio.Event()

        async def shopper(
            index: int, base_url: str, delay_s: float = 0.0, after_kill: bool = False
        ) -> None:
            await asyncio.sleep(delay_s)
            if after_kill:
                # A click that reaches the dead worker is cut for certain, however fast
                # the clicks before it were answered.
                await asyncio.wait_for(killed.wait(), timeout=60)
            async with httpx.AsyncClient(base_url=base_url, timeout=20) as http:
                try:
                    outcomes[index] = await flash_buy_and_pay(
                        http, buyers[index].headers, sale["id"], key=f"flash-{index}"
                    )
                except httpx.TransportError:
                    outcomes[index] = "cut"  # the worker died under this request
            if len([o for o in outcomes.values() if o == "paid"]) >= 5 and not killed.is_set():
                killed.set()
                two.kill()

        # Clicks arrive over a second, so the kill may land while some are under way; the
        # last two clicks for worker two are sent only once it is dead.
        last_for_two = {SALE_BUYERS - 1, SALE_BUYERS - 3}
        await asyncio.gather(
            *(
                shopper(
                    index,
                    (one, two)[index % 2].url,
                    delay_s=index * 0.035,
                    after_kill=index in last_for_two,
                )
                for index in range(SALE_BUYERS)
            )
        )
        assert killed.is_set()
        # Worker two comes back; the buyers it dropped click again with the same key. A
        # take the dead worker made in Redis carries that click's token: it is reused.
        restarted = ServeProcess(settings, tmp_path, port=two.port)
        await restarted.start()
        try:
            retry = [index for index, outcome in outcomes.items() if outcome == "cut"]
            assert retry, "the kill cut no request short"
            await asyncio.gather(*(shopper(index, restarted.url) for index in retry))
            # Nothing is in flight any more: the operator reconciles without a grace.
            reconciled = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "livecommerce", "stock", "reconcile", "--grace-s", "0"],
                capture_output=True,
                text=True,
                timeout=120,
                env=restarted.environment(),
                check=False,
            )
        finally:
            restarted.stop()
    assert reconciled.returncode == 0, reconciled.stderr
    gate = gate_name(sale["id"])
    assert reconciled.stdout.splitlines() == [
        f"{gate}\tsale {sale['id']}\treconciled\tleft=0 given_back=0 restored=0 db_units_left=0",
        "stock reconcile: 1 flash sale(s)",
    ]
    assert "cut" not in outcomes.values()
    paid = sum(1 for outcome in outcomes.values() if outcome == "paid")
    assert paid == SALE_UNITS  # more buyers than units: every unit was sold and paid once
    assert sum(1 for outcome in outcomes.values() if outcome == "sold_out") == SALE_BUYERS - paid

    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            units_total, units_left = (
                await connection.execute(
                    text("SELECT units_total, units_left FROM flash_sales WHERE id = :id"),
                    {"id": sale["id"]},
                )
            ).one()
            orders = (
                await connection.execute(
                    text(
                        "SELECT o.id, o.buyer_id, o.status, "
                        "(SELECT SUM(quantity) FROM order_items WHERE order_id = o.id), "
                        "(SELECT COUNT(*) FROM payments p "
                        " WHERE p.order_id = o.id AND p.status = 'succeeded') "
                        "FROM orders o WHERE o.flash_sale_id = :id"
                    ),
                    {"id": sale["id"]},
                )
            ).all()
            takes = (
                await connection.execute(
                    text(
                        "SELECT id, buyer_id, quantity FROM stock_gate_takes "
                        "WHERE gate_name = :gate"
                    ),
                    {"gate": gate},
                )
            ).all()
            sku_stock = (
                await connection.execute(
                    text("SELECT stock FROM skus WHERE id = :id"), {"id": listing.sku_id}
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    paid_orders = {order_id: buyer for order_id, buyer, status, _, _ in orders if status == "paid"}
    assert len(paid_orders) == SALE_UNITS
    assert [row for row in orders if row[2] != "paid"] == []  # nothing half-made is left
    assert all(units == 1 and payments == 1 for *_, units, payments in orders)
    # Every paid order holds exactly its own unit, and no unit is held twice.
    assert {token: (buyer, quantity) for token, buyer, quantity in takes} == {
        order_id: (buyer, 1) for order_id, buyer in paid_orders.items()
    }
    assert len(set(paid_orders.values())) == SALE_UNITS  # one per buyer: the limit held
    held = sum(quantity for _, _, quantity in takes)
    assert TEST_REDIS_URL is not None
    redis = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        left_key, bought_key, takes_key, _ = gate_keys(gate)
        redis_left = int(await redis.get(left_key))
        redis_bought = await redis.hgetall(bought_key)
        redis_takes = set(await redis.hkeys(takes_key))
    finally:
        await redis.aclose()
    assert redis_left == units_left == units_total - held == 0
    assert redis_takes == set(paid_orders)
    assert redis_bought == {buyer: "1" for buyer in paid_orders.values()}
    assert sku_stock == INITIAL_STOCK  # the sale's units left the SKU at launch
