"""``livecommerce ledger verify`` and property tests: random histories keep every invariant."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import update

from livecommerce.config import Settings
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.ledger.splits import CommissionLine, reversal, split_order
from livecommerce.models import JournalLine, LedgerAccount, Order
from tests.ledger.world import build_world, buy, refund, verify


def run_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIVECOMMERCE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "livecommerce", "ledger", "verify"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


async def test_cli_verify_passes_then_names_the_broken_account_and_entry(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    world = await build_world(client, runtime, share_bp=3333)
    order = await buy(client, world)
    await refund(client, world.merchant, order["id"], 1234)
    result = run_verify(settings.database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("2 entries, 5 accounts, 0 statements: ok")

    async with runtime.db.transaction() as session:
        await session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.owner_id == world.host.id)
            .values(balance_cents=LedgerAccount.balance_cents - 1)
        )
        line = (
            await session.execute(
                update(JournalLine)
                .where(JournalLine.amount_cents == 9999)
                .values(amount_cents=9998)
                .returning(JournalLine.entry_id)
            )
        ).scalar_one()
    result = run_verify(settings.database_url)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[-1].endswith("FAILED: 3 problem(s)")
    codes = sorted(row.split("\t")[0] for row in lines[:-1])
    assert codes == ["account_balance", "account_balance", "unbalanced_entry"]
    assert any(row.startswith(f"unbalanced_entry\t{line}\t") for row in lines)


async def test_verify_checks_the_ledger_against_the_orders(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, share_bp=None)
    first = await buy(client, world)
    second = await buy(client, world)
    assert (await verify(client, world.admin))["ok"] is True
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Order).where(Order.id == first["id"]).values(total_cents=10000)
        )
        await session.execute(
            update(Order).where(Order.id == second["id"]).values(status="refunded")
        )
    report = await verify(client, world.admin)
    assert report["ok"] is False
    assert sorted((problem["code"], problem["message"]) for problem in report["problems"]) == [
        ("paid_amount_mismatch", f"order {first['id']}: posted 9999, order total 10000"),
        ("refund_incomplete", f"order {second['id']} is refunded but 0 of 9999 went back"),
    ]


@given(
    total=st.integers(min_value=0, max_value=10_000_000),
    fee_bp=st.integers(min_value=0, max_value=5000),
    commission_bp=st.integers(min_value=100, max_value=8000),
    fixed=st.integers(min_value=0, max_value=5000),
    share_bp=st.integers(min_value=0, max_value=10000),
    steps=st.lists(st.integers(min_value=1, max_value=10_000), max_size=6),
)
def test_split_and_refunds_add_up(
    total: int, fee_bp: int, commission_bp: int, fixed: int, share_bp: int, steps: list[int]
) -> None:
    split = split_order(
        total,
        platform_fee_bp=fee_bp,
        commissions=[CommissionLine(total, commission_bp, fixed)],
        agency_share_bp=share_bp,
    )
    assert sum(split.parts()) == total
    assert min(split.parts()) >= 0
    # Any sequence of partial refunds that ends with the rest reverses each share exactly.
    refunded = 0
    given_back = [0, 0, 0]
    for step in [*steps, total]:
        amount = min(step, total - refunded)
        if amount <= 0:
            continue
        for index, share in enumerate(split.parts()[:3]):
            given_back[index] += reversal(share, total, refunded, refunded + amount)
        refunded += amount
    assert refunded == total
    assert given_back == list(split.parts()[:3])


operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(min_value=1, max_value=3), st.booleans()),
    st.tuples(st.just("refund"), st.integers(min_value=1, max_value=20000), st.booleans()),
    st.tuples(st.just("settle"), st.just(0), st.just(False)),
)


@hypothesis_settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    price=st.integers(min_value=1, max_value=99_999),
    commission_bp=st.integers(min_value=100, max_value=8000),
    share_bp=st.one_of(st.none(), st.integers(min_value=0, max_value=10000)),
    operations=st.lists(operation, min_size=1, max_size=7),
)
async def test_random_histories_keep_the_ledger_verified(
    client: httpx.AsyncClient,
    runtime: Runtime,
    price: int,
    commission_bp: int,
    share_bp: int | None,
    operations: list[tuple[str, int, bool]],
) -> None:
    clock.freeze(utcnow())
    world = await build_world(
        client, runtime, price_cents=price, commission_bp=commission_bp, share_bp=share_bp
    )
    orders: list[tuple[str, int]] = []  # (id, still refundable)
    for kind, number, flag in operations:
        clock.advance(timedelta(seconds=1))
        if kind == "buy":
            order = await buy(client, world, quantity=number, in_room=flag or not orders)
            orders.append((order["id"], order["total_cents"]))
        elif kind == "refund" and orders:
            index = number % len(orders)
            order_id, left = orders[index]
            if left == 0:
                continue
            amount = left if flag else min(number, left)
            await refund(client, world.merchant, order_id, amount)
            orders[index] = (order_id, left - amount)
        elif kind == "settle":
            response = await client.post(
                "/api/v1/ledger/settlements", headers=world.admin.headers, json={}
            )
            assert response.status_code == 201, response.text
        report = await verify(client, world.admin)
        assert report["problems"] == []
    clock.reset()
