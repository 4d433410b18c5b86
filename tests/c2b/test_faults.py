"""The deadline is processed exactly once: a refund batch that crashes half-way is
rolled back and done again, once; several workers and repeated runs refund nobody twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from livecommerce.c2b.fulfilment import FulfilmentService, fulfilment_service
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DecisionLog, Notification, Payment, Pledge, ScheduledJob
from livecommerce.worker.loop import WorkerLoop
from tests.c2b.helpers import (
    campaign,
    check_books,
    create_presale,
    drain,
    join_and_pay,
    make_world,
    rows,
)


async def test_a_refund_batch_that_crashes_midway_refunds_everyone_once(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=5)
    for buyer in range(3):
        await join_and_pay(client, world, sale["id"], buyer, 1)
    await drain(runtime)

    told = 0
    original = FulfilmentService._tell

    async def crash_on_second(self: FulfilmentService, *args: Any, **kwargs: Any) -> None:
        nonlocal told
        told += 1
        if told == 2:
            raise RuntimeError("worker died")
        await original(self, *args, **kwargs)

    monkeypatch.setattr(FulfilmentService, "_tell", crash_on_second)
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    # The batch's unit rolled back: nobody is refunded yet, the job waits for its retry.
    pledges = await rows(runtime, Pledge, Pledge.campaign_id == sale["id"])
    assert sorted(p.status for p in pledges) == ["paid", "paid", "paid"]
    [job] = await rows(runtime, ScheduledJob, ScheduledJob.kind == "c2b.refund")
    assert (job.status, job.attempts) == ("pending", 1)

    clock.advance(timedelta(seconds=11))
    await drain(runtime)
    pledges = await rows(runtime, Pledge, Pledge.campaign_id == sale["id"])
    assert sorted(p.status for p in pledges) == ["refunded"] * 3
    payments = await rows(runtime, Payment)
    assert sorted((p.status, p.refunded_cents) for p in payments) == [("refunded", 2000)] * 3
    sends = await rows(runtime, ScheduledJob, ScheduledJob.kind == "payment.refund")
    assert len(sends) == 3  # one provider refund per payment
    assert len(await rows(runtime, Notification, Notification.template == "presale_failed")) == 3
    await check_books(runtime, sale["id"])


async def test_several_workers_and_repeated_runs_decide_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=5)
    for buyer in range(2):
        await join_and_pay(client, world, sale["id"], buyer, 1)
    await drain(runtime)
    clock.advance(timedelta(days=3, seconds=1))

    async def decide() -> str:
        async with runtime.db.transaction() as session:
            return await fulfilment_service.do_run_deadline(session, sale["id"])

    # The stored job on two workers at once, and the decision run by hand twice more.
    outcomes = await asyncio.gather(
        WorkerLoop(runtime).run_once(), WorkerLoop(runtime).run_once(), decide(), decide()
    )
    assert sorted(o for o in outcomes[2:] if o) in ([], ["failed"])
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "failed"
    decisions = await rows(runtime, DecisionLog, DecisionLog.campaign_id == sale["id"])
    assert [d.decision for d in decisions] == ["failed"]
    refunds = await rows(runtime, ScheduledJob, ScheduledJob.kind == "c2b.refund")
    assert len(refunds) == 1
    payments = await rows(runtime, Payment)
    assert sorted((p.status, p.refunded_cents) for p in payments) == [("refunded", 2000)] * 2
    assert len(await rows(runtime, ScheduledJob, ScheduledJob.kind == "payment.refund")) == 2
    await check_books(runtime, sale["id"])
