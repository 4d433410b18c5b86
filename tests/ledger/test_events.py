"""The ledger is driven by order events: a crash between the order's commit and the
posting delays the posting, never loses it, and never makes it twice."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Payment, ScheduledJob
from livecommerce.worker import events as worker_events
from livecommerce.worker.loop import WorkerLoop
from tests.ledger.world import build_world, buy, owed, verify
from tests.orders.shop import get_order


async def _dies_before_dispatch(runtime: Runtime, job_id: str) -> bool:
    return False  # the process that committed is gone before it runs a handler


async def _pending_events(runtime: Runtime) -> list[str]:
    async with runtime.db.transaction() as session:
        result = await session.execute(
            select(ScheduledJob.kind)
            .where(ScheduledJob.kind.startswith("event:"), ScheduledJob.status == "pending")
            .order_by(ScheduledJob.kind)
        )
        return list(result.scalars())


async def _drain_with_two_workers(runtime: Runtime, settings: Settings) -> list[int]:
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        workers = [WorkerLoop(runtime), WorkerLoop(other.state.runtime)]
        counts = await asyncio.gather(*(worker.run_once() for worker in workers))
        again = await asyncio.gather(*(worker.run_once() for worker in workers))
        assert again == [0, 0]
        return list(counts)


async def test_a_crash_before_posting_is_recovered_from_the_outbox_once(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=2500)

    monkeypatch.setattr(worker_events, "run_job", _dies_before_dispatch)
    order: dict[str, Any] = await buy(client, world)
    monkeypatch.undo()
    assert (await get_order(client, world.buyer, order["id"]))["status"] == "paid"
    assert await owed(client, world.host) == {}
    assert await _pending_events(runtime) == [
        "event:fans.record_order",
        "event:insights.record_payment",
        "event:mcn.post_order_paid",
        "event:notifications.order_paid",
        "event:profiles.record_order",
        "event:recommend.note_order",
    ]

    # The six handlers, each once.
    assert sum(await _drain_with_two_workers(runtime, settings)) == 6
    # Fee 500, commission 2000 (agency 500, host 1500), merchant 7500: posted once.
    assert await owed(client, world.host) == {"host_payable": 1500}
    assert await owed(client, world.merchant) == {"merchant_payable": 7500}
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"]) == (True, 1)

    # The same for the refund: the order commits, the payment and the ledger follow.
    monkeypatch.setattr(worker_events, "run_job", _dies_before_dispatch)
    response = await client.post(
        f"/api/v1/orders/{order['id']}/refund", headers=world.merchant.headers
    )
    assert response.status_code == 200, response.text
    monkeypatch.undo()
    assert response.json()["status"] == "refunded"
    assert await owed(client, world.host) == {"host_payable": 1500}
    assert await _pending_events(runtime) == [
        "event:dashboards.record_refund",
        "event:ledger.post_order_refunded",
        "event:notifications.order_refunded",
        "event:payments.refund_order",
    ]

    # The four handlers, and the provider refund job the payments handler scheduled.
    assert sum(await _drain_with_two_workers(runtime, settings)) == 5
    assert await owed(client, world.host) == {"host_payable": 0}
    assert await owed(client, world.merchant) == {"merchant_payable": 0}
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"]) == (True, 2)
    async with runtime.db.transaction() as session:
        [payment] = (await session.execute(select(Payment))).scalars().all()
    assert (payment.status, payment.refunded_cents) == ("refunded", 10000)


async def test_a_refund_that_overtakes_its_payment_posting_waits_for_it(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=None)
    monkeypatch.setattr(worker_events, "run_job", _dies_before_dispatch)
    order: dict[str, Any] = await buy(client, world)
    response = await client.post(
        f"/api/v1/orders/{order['id']}/refund", headers=world.merchant.headers
    )
    assert response.status_code == 200, response.text
    monkeypatch.undo()

    # Run the refund's reversal before the payment's posting, as a second worker might.
    async with runtime.db.transaction() as session:
        rows = (
            await session.execute(
                select(ScheduledJob.id, ScheduledJob.kind).where(
                    ScheduledJob.kind.startswith("event:")
                )
            )
        ).all()
    ids = {kind: job_id for job_id, kind in rows}
    assert await worker_events.run_job(runtime, ids["event:ledger.post_order_refunded"])
    async with runtime.db.transaction() as session:
        waiting = await session.get(ScheduledJob, ids["event:ledger.post_order_refunded"])
        assert waiting is not None
        assert (waiting.status, waiting.attempts) == ("pending", 1)
        assert waiting.last_error is not None
        assert waiting.last_error.startswith("PaidEntryNotPosted")

    assert await worker_events.run_job(runtime, ids["event:mcn.post_order_paid"])
    assert await worker_events.run_job(runtime, ids["event:ledger.post_order_refunded"])
    assert await owed(client, world.merchant) == {"merchant_payable": 0}
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"]) == (True, 2)
