"""The Redis stock gate against real Redis: concurrent takers, the limit and stock edges,
crashes of either side and reconciliation."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlalchemy import func, select

from livecommerce.kit.errors import Conflict
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import StockGateTake
from livecommerce.scaleout.stock_gate import gate_keys, stock_gate_service
from tests.conftest import TEST_REDIS_URL
from tests.interactions.helpers import run_hypothesis

pytestmark = pytest.mark.skipif(not TEST_REDIS_URL, reason="the stock gate lives in Redis")


async def open_gate(runtime: Runtime, units: int, limit: int) -> str:
    name = f"test:{new_id()}"
    async with runtime.db.transaction() as session:
        await stock_gate_service.do_open(session, name, units=units, per_buyer_limit=limit)
    return name


async def take(runtime: Runtime, name: str, buyer: str, quantity: int = 1) -> str:
    """One take in its own unit of work: 'taken' or the refusal's code."""
    try:
        async with runtime.db.transaction() as session:
            await stock_gate_service.do_take(session, name, buyer, quantity)
    except Conflict as refused:
        return refused.code
    return "taken"


async def stored(runtime: Runtime, name: str) -> dict[str, int]:
    async with runtime.db.transaction() as session:
        rows = await session.execute(
            select(StockGateTake.buyer_id, func.sum(StockGateTake.quantity))
            .where(StockGateTake.gate_name == name)
            .group_by(StockGateTake.buyer_id)
        )
        return {buyer: int(units) for buyer, units in rows.all()}


async def redis_view(runtime: Runtime, name: str) -> tuple[int | None, dict[str, int]]:
    async with runtime.db.transaction() as session:
        left = await stock_gate_service.units_left(session, name)
        held = await stock_gate_service.held_by(session, name)
    return left, held


async def test_the_limit_and_the_last_unit_are_exact(runtime: Runtime) -> None:
    name = await open_gate(runtime, units=3, limit=2)
    assert await take(runtime, name, "a", 2) == "taken"  # bought + 2 == limit: allowed
    assert await take(runtime, name, "a", 1) == "buyer_limit_reached"  # 3 > 2
    assert await take(runtime, name, "b", 2) == "out_of_stock"  # 1 left < 2
    assert await take(runtime, name, "b", 1) == "taken"  # 1 left >= 1: the last unit
    assert await take(runtime, name, "c", 1) == "out_of_stock"
    assert await redis_view(runtime, name) == (0, {"a": 2, "b": 1})
    assert await stored(runtime, name) == {"a": 2, "b": 1}


async def test_concurrent_takers_never_oversell_or_pass_the_limit(runtime: Runtime) -> None:
    name = await open_gate(runtime, units=25, limit=2)
    buyers = [f"buyer{number}" for number in range(30)]
    results = await asyncio.gather(
        *(take(runtime, name, buyer) for buyer in buyers for _ in range(3))
    )
    counts = Counter(results)
    assert counts["taken"] == 25
    assert counts["taken"] + counts["out_of_stock"] + counts["buyer_limit_reached"] == 90
    held = await stored(runtime, name)
    assert sum(held.values()) == 25
    assert max(held.values()) <= 2
    assert await redis_view(runtime, name) == (0, held)


async def test_a_retried_token_is_taken_once(runtime: Runtime) -> None:
    name = await open_gate(runtime, units=5, limit=5)
    async with runtime.db.transaction() as session:
        first = await stock_gate_service.do_take(session, name, "a", 2, token="t" * 32)
    async with runtime.db.transaction() as session:
        again = await stock_gate_service.do_take(session, name, "a", 2, token="t" * 32)
    assert again.id == first.id
    assert await redis_view(runtime, name) == (3, {"a": 2})


async def take_and_die(runtime: Runtime, name: str, buyer: str, quantity: int) -> None:
    async with runtime.db.transaction() as session:
        await stock_gate_service.do_take(session, name, buyer, quantity)
        raise RuntimeError("killed before the commit")


async def test_reconcile_after_redis_is_lost_and_after_a_worker_died_mid_take(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = await open_gate(runtime, units=10, limit=3)
    for buyer in ("a", "a", "b"):
        assert await take(runtime, name, buyer) == "taken"
    # An app worker took a unit in Redis and died before its commit.
    with pytest.raises(RuntimeError):
        await take_and_die(runtime, name, "c", 2)
    assert await redis_view(runtime, name) == (5, {"a": 2, "b": 1, "c": 2})
    async with runtime.db.transaction() as session:
        young = await stock_gate_service.reconcile(session, name)  # it might still commit
        assert young is not None
        assert (young.left, young.given_back, young.restored) == (5, 0, 0)
        result = await stock_gate_service.reconcile(session, name, grace_s=0)
    assert result is not None
    assert (result.left, result.given_back, result.restored) == (7, 1, 0)
    assert await redis_view(runtime, name) == (7, {"a": 2, "b": 1})
    # Redis restarts empty: takes pause for the grace (one in flight may still commit),
    # then the next take rebuilds the gate from the database.
    assert TEST_REDIS_URL is not None
    redis = Redis.from_url(TEST_REDIS_URL)
    await redis.delete(*gate_keys(name))
    await redis.aclose()
    monkeypatch.setattr(stock_gate_service, "grace_s", 0.3)
    assert await take(runtime, name, "b", 2) == "gate_recovering"
    assert await take(runtime, name, "b", 2) == "gate_recovering"
    await asyncio.sleep(0.35)
    assert await take(runtime, name, "b", 2) == "taken"
    assert await take(runtime, name, "b", 1) == "buyer_limit_reached"
    assert await redis_view(runtime, name) == (5, {"a": 2, "b": 3})
    # Released units come back once.
    async with runtime.db.transaction() as session:
        token = (
            (
                await session.execute(
                    select(StockGateTake.id).where(
                        StockGateTake.gate_name == name, StockGateTake.buyer_id == "a"
                    )
                )
            )
            .scalars()
            .first()
        )
        assert token is not None
        assert await stock_gate_service.do_release(session, name, token) is True
    async with runtime.db.transaction() as session:
        assert await stock_gate_service.do_release(session, name, token) is False
    assert await redis_view(runtime, name) == (6, {"a": 1, "b": 3})


operation = st.one_of(
    st.tuples(st.just("take"), st.integers(0, 3), st.integers(1, 3)),
    st.tuples(st.just("take"), st.integers(0, 3), st.integers(1, 3)),
    st.tuples(st.just("die_mid_take"), st.integers(0, 3), st.integers(1, 2)),
    st.tuples(st.just("release"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("lose_redis"), st.just(0), st.just(0)),
    st.tuples(st.just("reconcile"), st.just(0), st.just(0)),
)


async def test_any_sequence_of_takes_crashes_and_reconciles_keeps_the_books(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TEST_REDIS_URL is not None
    redis = Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    monkeypatch.setattr(stock_gate_service, "grace_s", 0.2)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        units=st.integers(0, 8),
        limit=st.integers(1, 3),
        plan=st.lists(st.lists(operation, min_size=1, max_size=3), min_size=1, max_size=6),
    )
    async def example(units: int, limit: int, plan: list[list[tuple[str, int, int]]]) -> None:
        name = await open_gate(runtime, units, limit)
        tokens: list[str] = []

        async def run(op: tuple[str, int, int]) -> None:
            kind, a, b = op
            if kind == "take":
                async with runtime.db.transaction() as session:
                    try:
                        record = await stock_gate_service.do_take(session, name, f"u{a}", b)
                        tokens.append(record.id)
                    except Conflict:
                        pass
            elif kind == "die_mid_take":
                with contextlib.suppress(RuntimeError, Conflict):
                    await take_and_die(runtime, name, f"u{a}", b)
            elif kind == "release" and tokens:
                async with runtime.db.transaction() as session:
                    await stock_gate_service.do_release(session, name, tokens[a % len(tokens)])
            elif kind == "lose_redis":
                await redis.delete(*gate_keys(name))
            elif kind == "reconcile":  # while takes may be in flight: with the grace
                async with runtime.db.transaction() as session:
                    await stock_gate_service.reconcile(session, name)

        for group in plan:
            await asyncio.gather(*(run(op) for op in group))
            held = await stored(runtime, name)
            assert sum(held.values()) <= units  # never sold twice
            assert all(count <= limit for count in held.values())
            left, _ = await redis_view(runtime, name)
            if left is not None:  # Redis is never more generous than the database
                assert 0 <= left <= units - sum(held.values())
        await asyncio.sleep(stock_gate_service.grace_s)  # nothing is in flight any more
        async with runtime.db.transaction() as session:
            assert await stock_gate_service.reconcile(session, name, grace_s=0) is not None
        held = await stored(runtime, name)
        assert await redis_view(runtime, name) == (units - sum(held.values()), held)

    try:
        await run_hypothesis(example)
    finally:
        await redis.aclose()
