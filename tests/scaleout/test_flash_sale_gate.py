"""Flash sales behind the Redis stock gate (PostgreSQL + Redis): the gate decides first, the
database records every take with its order, and reconciliation mends either side."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from livecommerce.config import Settings
from livecommerce.interactions.flash_sales import (
    SOLD_OUT_HINT_S,
    flash_sale_service,
    gate_name,
    keyed_order_id,
)
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import FlashSale, FlashSaleBuyer, Order, OrderStatus, StockGateTake
from livecommerce.scaleout.stock_gate import gate_keys, stock_gate_service
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.factories import Account
from tests.interactions.helpers import buy, get_sale, launch_sale
from tests.orders.shop import (
    Stage,
    buyer_with_address,
    create_listing,
    get_order,
    open_stage,
    pay,
    stock_of,
    tick,
)

CLI = [sys.executable, "-m", "livecommerce"]

# Sales get a gate whenever Redis is configured; these tests run in the PostgreSQL +
# Redis pass, the configuration the gate is made for.
only_with_postgres_and_redis = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="the flash sale's stock gate runs in the PostgreSQL + Redis pass",
)


async def redis_client() -> Redis:
    assert TEST_REDIS_URL is not None
    return Redis.from_url(TEST_REDIS_URL, decode_responses=True)


async def gate_state(sale_id: str) -> tuple[int | None, dict[str, int], set[str]]:
    """Redis: units left, units per buyer, tokens of the takes."""
    redis = await redis_client()
    try:
        left_key, bought_key, takes_key, _ = gate_keys(gate_name(sale_id))
        left = await redis.get(left_key)
        bought = await redis.hgetall(bought_key)
        takes = await redis.hkeys(takes_key)
    finally:
        await redis.aclose()
    return (None if left is None else int(left)), {b: int(n) for b, n in bought.items()}, set(takes)


async def database_state(runtime: Runtime, sale_id: str) -> dict[str, Any]:
    """The database: the sale's counter, its held orders, its stored takes, per-buyer counts."""
    async with runtime.db.transaction() as session:
        sale = await session.get(FlashSale, sale_id)
        assert sale is not None
        held = (
            await session.execute(
                select(Order.id, Order.buyer_id).where(
                    Order.flash_sale_id == sale_id,
                    Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
                )
            )
        ).all()
        takes = (
            await session.execute(
                select(StockGateTake.id, StockGateTake.buyer_id, StockGateTake.quantity).where(
                    StockGateTake.gate_name == gate_name(sale_id)
                )
            )
        ).all()
        bought = (
            await session.execute(
                select(FlashSaleBuyer.buyer_id, FlashSaleBuyer.bought).where(
                    FlashSaleBuyer.sale_id == sale_id, FlashSaleBuyer.bought > 0
                )
            )
        ).all()
        return {
            "units_left": sale.units_left,
            "orders": {order_id for order_id, _ in held},
            "takes": {token for token, _, _ in takes},
            "taken_units": sum(quantity for _, _, quantity in takes),
            "bought": {buyer: int(count) for buyer, count in bought},
        }


async def take_and_die(runtime: Runtime, sale_id: str, buyer_id: str, *, token: str) -> None:
    """A worker takes a unit in Redis and dies before its commit."""
    async with runtime.db.transaction() as session:
        await stock_gate_service.take_units(session, gate_name(sale_id), buyer_id, 1, token=token)
        raise RuntimeError("killed before the commit")


async def sale_with_buyers(
    client: httpx.AsyncClient, *, units: int, limit: int, buyers: int
) -> tuple[dict[str, Any], list[Account], Stage]:
    listing = await create_listing(client, stock=50)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=units, per_buyer_limit=limit)
    accounts = [(await buyer_with_address(client))[0] for _ in range(buyers)]
    return sale, accounts, stage


async def refusal(response: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    body = response.json()
    return response.status_code, body["code"], body.get("details", {})


@only_with_postgres_and_redis
async def test_launch_opens_a_gate_with_the_sales_units_and_limit(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sale, _, _ = await sale_with_buyers(client, units=6, limit=2, buyers=0)
    assert await gate_state(sale["id"]) == (6, {}, set())
    async with runtime.db.transaction() as session:
        gate = await stock_gate_service.get_gate(session, gate_name(sale["id"]))
        assert (gate.units_total, gate.per_buyer_limit) == (6, 2)


@only_with_postgres_and_redis
async def test_the_limit_and_the_last_unit_are_exact(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sale, (first, second, third), _ = await sale_with_buyers(client, units=4, limit=3, buyers=3)
    await buy(client, first, sale["id"], quantity=2)  # 2 of 3
    await buy(client, first, sale["id"], quantity=1)  # 3 of 3: the limit reached exactly
    over = await buy(client, first, sale["id"], quantity=1, expect=409)
    assert (await refusal(over))[:2] == (409, "buyer_limit_reached")
    short = await buy(client, second, sale["id"], quantity=2, expect=409)  # 1 left < 2
    assert await refusal(short) == (409, "not_enough_units", {"left": 1})
    last = await buy(client, second, sale["id"], quantity=1)  # 1 left >= 1: the last unit
    gone = await buy(client, third, sale["id"], expect=409)
    assert await refusal(gone) == (409, "sold_out", {"left": 0})

    left, bought, takes = await gate_state(sale["id"])
    db = await database_state(runtime, sale["id"])
    assert (left, bought) == (0, {first.id: 3, second.id: 1})
    assert takes == db["takes"] == db["orders"]
    assert last.json()["id"] in takes
    assert (db["units_left"], db["taken_units"]) == (0, 4)
    assert db["bought"] == bought


@only_with_postgres_and_redis
async def test_concurrent_buyers_never_oversell_or_pass_the_limit(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sale, buyers, _ = await sale_with_buyers(client, units=7, limit=2, buyers=10)
    responses = await asyncio.gather(
        *(
            buy(client, buyer, sale["id"], key=f"c-{index}-{click}", expect=None)
            for index, buyer in enumerate(buyers)
            for click in range(3)
        )
    )
    created = [response.json() for response in responses if response.status_code == 201]
    refused = Counter(
        response.json()["code"] for response in responses if response.status_code != 201
    )
    assert len(created) == 7
    assert sum(refused.values()) == 30 - 7
    assert set(refused) <= {"sold_out", "buyer_limit_reached"}
    per_buyer = Counter(order["buyer_id"] for order in created)
    assert max(per_buyer.values()) <= 2

    left, bought, takes = await gate_state(sale["id"])
    db = await database_state(runtime, sale["id"])
    assert (left, db["units_left"]) == (0, 0)
    assert bought == dict(per_buyer) == db["bought"]
    assert takes == db["takes"] == db["orders"] == {order["id"] for order in created}


@only_with_postgres_and_redis
async def test_cancelled_and_expired_units_come_back_to_the_gate(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sale, (first, second), _ = await sale_with_buyers(client, units=1, limit=1, buyers=2)
    order = (await buy(client, first, sale["id"], key="one")).json()
    assert await gate_state(sale["id"]) == (0, {first.id: 1}, {order["id"]})
    cancelled = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=first.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert await gate_state(sale["id"]) == (1, {}, set())
    assert (await database_state(runtime, sale["id"]))["takes"] == set()

    await asyncio.sleep(1.1)  # past the sold-out answer cached when the last unit went
    again = (await buy(client, second, sale["id"], key="two")).json()
    assert await gate_state(sale["id"]) == (0, {second.id: 1}, {again["id"]})
    clock.advance(timedelta(seconds=121))  # unpaid: the order expires
    for _ in range(50):  # the app's own worker loop may be running the expiry meanwhile
        await tick(runtime)
        expired = await get_order(client, second, again["id"])
        if expired["status"] != "pending_payment":
            break
        await asyncio.sleep(0.1)
    assert (expired["status"], expired["cancel_reason"]) == ("cancelled", "payment_timeout")
    assert await gate_state(sale["id"]) == (1, {}, set())
    await asyncio.sleep(1.1)
    third = (await buy(client, first, sale["id"], key="three")).json()  # the limit came back too
    db = await database_state(runtime, sale["id"])
    assert await gate_state(sale["id"]) == (0, {first.id: 1}, {third["id"]})
    assert (db["units_left"], db["takes"], db["orders"]) == (0, {third["id"]}, {third["id"]})


@only_with_postgres_and_redis
async def test_a_refund_gives_the_unit_back_and_a_closed_gate_expires(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=2, per_buyer_limit=1)
    first, _ = await buyer_with_address(client)
    second, _ = await buyer_with_address(client)
    order = (await buy(client, first, sale["id"])).json()
    await pay(client, first, order["id"])

    async def refund(order_id: str) -> None:
        refunded = await client.post(
            f"/api/v1/orders/{order_id}/refund", headers=listing.merchant.headers
        )
        assert refunded.status_code == 200, refunded.text

    await refund(order["id"])
    assert await gate_state(sale["id"]) == (2, {}, set())
    again = (await buy(client, first, sale["id"])).json()  # the limit came back too
    other = (await buy(client, second, sale["id"])).json()
    await pay(client, second, other["id"])
    assert await gate_state(sale["id"]) == (
        0,
        {first.id: 1, second.id: 1},
        {again["id"], other["id"]},
    )
    ended = await client.post(f"/api/v1/flash-sales/{sale['id']}/end", headers=stage.host.headers)
    assert ended.status_code == 200, ended.text
    redis = await redis_client()
    try:
        ttls = [await redis.ttl(key) for key in gate_keys(gate_name(sale["id"]))[:3]]
    finally:
        await redis.aclose()
    assert all(0 < ttl <= 3600 for ttl in ttls), ttls
    # After the close a refunded unit goes back to the SKU; its take is dropped too.
    await refund(other["id"])
    db = await database_state(runtime, sale["id"])
    assert (db["takes"], db["orders"]) == ({again["id"]}, {again["id"]})
    assert await stock_of(client, listing) == 9  # 10 - 2 at launch + 1 refunded after close


@only_with_postgres_and_redis
async def test_a_buy_the_database_refuses_leaves_redis_unchanged(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sale, (first, second), _ = await sale_with_buyers(client, units=3, limit=2, buyers=2)
    held = (await buy(client, first, sale["id"])).json()
    before = await gate_state(sale["id"])
    assert before == (2, {first.id: 1}, {held["id"]})
    redis = await redis_client()
    # No reconciliation runs in between: what is checked is the immediate give-back.
    await redis.set(f"lc:gate:{gate_name(sale['id'])}:checked", 1, ex=600)
    await redis.aclose()
    # The database disagrees with the gate (as after a Redis snapshot restore): it has no
    # units left, and the second buyer already holds the limit there.
    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE flash_sales SET units_left = 0 WHERE id = :id"), {"id": sale["id"]}
        )
    refused = await buy(client, second, sale["id"], expect=409)
    assert (await refusal(refused))[:2] == (409, "sold_out")
    assert await gate_state(sale["id"]) == before
    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE flash_sales SET units_left = 2 WHERE id = :id"), {"id": sale["id"]}
        )
        session.add(FlashSaleBuyer(sale_id=sale["id"], buyer_id=second.id, bought=2))
    # Units put back by hand (no order returned them): the sold-out answer lives on.
    await asyncio.sleep(SOLD_OUT_HINT_S + 0.1)
    limited = await buy(client, second, sale["id"], expect=409)
    assert (await refusal(limited))[:2] == (409, "buyer_limit_reached")
    assert await gate_state(sale["id"]) == before
    db = await database_state(runtime, sale["id"])
    assert (db["units_left"], db["takes"], db["orders"]) == (2, {held["id"]}, {held["id"]})


@only_with_postgres_and_redis
async def test_a_retry_after_a_worker_died_mid_buy_reuses_its_take(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    sale, (buyer,), _ = await sale_with_buyers(client, units=2, limit=1, buyers=1)
    order_id = keyed_order_id(settings.secret_key, sale["id"], buyer.id, "click-1")
    # The worker took the unit in Redis and died before its commit.
    with pytest.raises(RuntimeError):
        await take_and_die(runtime, sale["id"], buyer.id, token=order_id)
    assert await gate_state(sale["id"]) == (1, {buyer.id: 1}, {order_id})
    retried = await buy(client, buyer, sale["id"], key="click-1")
    assert retried.json()["id"] == order_id
    assert await gate_state(sale["id"]) == (1, {buyer.id: 1}, {order_id})
    db = await database_state(runtime, sale["id"])
    assert (db["units_left"], db["takes"], db["orders"]) == (1, {order_id}, {order_id})


@only_with_postgres_and_redis
async def test_a_gate_redis_lost_pauses_then_is_rebuilt_from_the_database(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stock_gate_service, "grace_s", 0.4)
    sale, (first, second, third), _ = await sale_with_buyers(client, units=5, limit=1, buyers=3)
    one = (await buy(client, first, sale["id"])).json()
    two = (await buy(client, second, sale["id"])).json()
    redis = await redis_client()
    await redis.flushdb()  # Redis restarted without persistence
    paused = await buy(client, third, sale["id"], expect=409)
    assert (await refusal(paused))[:2] == (409, "gate_recovering")
    assert await gate_state(sale["id"]) == (None, {}, set())
    await asyncio.sleep(0.45)
    three = (await buy(client, third, sale["id"])).json()
    assert await gate_state(sale["id"]) == (
        2,
        {first.id: 1, second.id: 1, third.id: 1},
        {one["id"], two["id"], three["id"]},
    )
    again = await buy(client, first, sale["id"], expect=409)
    assert (await refusal(again))[:2] == (409, "buyer_limit_reached")

    # The keys deleted again, then reconciled by hand: paused for the grace, then rebuilt.
    await redis.delete(*gate_keys(gate_name(sale["id"])))
    await redis.aclose()
    async with runtime.db.transaction() as session:
        [report] = await flash_sale_service.reconcile_gates(session, sale_id=sale["id"])
    assert (report.outcome, report.result) == ("paused", None)
    await asyncio.sleep(0.45)
    async with runtime.db.transaction() as session:
        [report] = await flash_sale_service.reconcile_gates(session, sale_id=sale["id"])
    assert report.outcome == "reconciled"
    assert report.result is not None
    assert (report.result.left, report.result.given_back, report.result.restored) == (2, 0, 3)
    assert report.units_left_db == 2
    assert (await gate_state(sale["id"]))[0] == 2


@only_with_postgres_and_redis
async def test_a_sale_without_a_gate_keeps_the_database_path(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    """A sale launched before Redis was configured has no gate: it is bought as before."""
    sale, (first, second), _ = await sale_with_buyers(client, units=1, limit=1, buyers=2)
    async with runtime.db.transaction() as session:
        await session.execute(
            text("DELETE FROM stock_gates WHERE name = :name"), {"name": gate_name(sale["id"])}
        )
    redis = await redis_client()
    await redis.flushdb()
    await redis.aclose()
    order = (await buy(client, first, sale["id"], key="k")).json()
    refused = await buy(client, second, sale["id"], expect=409)
    assert await refusal(refused) == (409, "sold_out", {"left": 0})
    assert await gate_state(sale["id"]) == (None, {}, set())
    db = await database_state(runtime, sale["id"])
    assert (db["units_left"], db["orders"], db["takes"]) == (0, {order["id"]}, set())
    result = await asyncio.to_thread(run_cli, settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{gate_name(sale['id'])}\tsale {sale['id']}\tno_gate",
        "stock reconcile: 1 flash sale(s)",
    ]


def run_cli(settings: Settings, *args: str, redis: bool = True) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVE")}
    env["LIVECOMMERCE_DATABASE_URL"] = settings.database_url
    if redis and settings.redis_url:
        env["LIVECOMMERCE_REDIS_URL"] = settings.redis_url
    return subprocess.run(
        [*CLI, "stock", "reconcile", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@only_with_postgres_and_redis
async def test_the_reconcile_command(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    sale, (first, second, third), stage = await sale_with_buyers(client, units=4, limit=2, buyers=3)
    one = (await buy(client, first, sale["id"])).json()
    two = (await buy(client, second, sale["id"], quantity=2)).json()
    # A worker died between its Redis take and its commit.
    with pytest.raises(RuntimeError):
        await take_and_die(runtime, sale["id"], third.id, token="d" * 32)
    assert (await gate_state(sale["id"]))[0] == 0
    gate = gate_name(sale["id"])

    kept = await asyncio.to_thread(run_cli, settings)  # the default grace keeps a young take
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.splitlines() == [
        f"{gate}\tsale {sale['id']}\treconciled\tleft=0 given_back=0 restored=0 db_units_left=1",
        "stock reconcile: 1 flash sale(s)",
    ]
    mended = await asyncio.to_thread(run_cli, settings, "--sale", sale["id"], "--grace-s", "0")
    assert mended.returncode == 0, mended.stderr
    assert mended.stdout.splitlines()[0] == (
        f"{gate}\tsale {sale['id']}\treconciled\tleft=1 given_back=1 restored=0 db_units_left=1"
    )
    assert await gate_state(sale["id"]) == (
        1,
        {first.id: 1, second.id: 2},
        {one["id"], two["id"]},
    )

    redis = await redis_client()
    await redis.delete(*gate_keys(gate))  # Redis lost the gate
    await redis.aclose()
    paused = await asyncio.to_thread(run_cli, settings, "--sale", sale["id"], "--grace-s", "30")
    assert paused.returncode == 0, paused.stderr
    assert f"{gate}\tsale {sale['id']}\tpaused\t" in paused.stdout
    rebuilt = await asyncio.to_thread(run_cli, settings, "--grace-s", "0")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.splitlines()[0] == (
        f"{gate}\tsale {sale['id']}\treconciled\tleft=1 given_back=0 restored=2 db_units_left=1"
    )
    assert (await gate_state(sale["id"]))[:2] == (1, {first.id: 1, second.id: 2})

    ended = await client.post(f"/api/v1/flash-sales/{sale['id']}/end", headers=stage.host.headers)
    assert ended.status_code == 200, ended.text
    assert (await get_sale(client, sale["id"]))["status"] == "ended"
    closed = await asyncio.to_thread(run_cli, settings, "--sale", sale["id"])
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.splitlines()[0] == f"{gate}\tsale {sale['id']}\tclosed"
    assert (await asyncio.to_thread(run_cli, settings)).stdout.splitlines() == [
        "stock reconcile: 0 flash sale(s)"
    ]
    unknown = await asyncio.to_thread(run_cli, settings, "--sale", "0" * 32)
    assert unknown.returncode == 1
    assert "flash_sale_not_found" in unknown.stderr


async def test_the_reconcile_command_needs_redis(settings: Settings) -> None:
    result = await asyncio.to_thread(run_cli, settings, redis=False)
    assert result.returncode == 2
    assert "no Redis configured (LIVECOMMERCE_REDIS_URL is unset)" in result.stderr
    assert result.stdout == ""


def test_the_reconcile_command_documents_itself() -> None:
    result = subprocess.run(
        [*CLI, "stock", "reconcile", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--sale" in result.stdout
    assert "--grace-s" in result.stdout
    listing = subprocess.run(
        [*CLI, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert "Stock gates in Redis" in listing.stdout
