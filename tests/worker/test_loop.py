from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ScheduledJob
from livecommerce.worker.loop import MAX_ATTEMPTS, WorkerLoop, retry_delay
from livecommerce.worker.registry import register_job
from livecommerce.worker.service import job_service

runs: list[dict[str, Any]] = []
side_effects: list[str] = []


@register_job("test.record")
async def _record(session: Any, job: ScheduledJob) -> None:
    runs.append(dict(job.payload))
    await asyncio.sleep(0)  # let concurrent workers interleave

    async def _announce() -> None:
        side_effects.append(str(job.payload.get("n")))

    after_commit(session, _announce)


@register_job("test.explode")
async def _explode(session: Any, job: ScheduledJob) -> None:
    runs.append(dict(job.payload))
    # Work done before the failure must be rolled back with it.
    job_service.do_schedule(session, "test.record", run_at=utcnow(), payload={"n": "orphan"})
    await session.flush()

    async def _announce() -> None:
        side_effects.append("explode")

    after_commit(session, _announce)
    raise RuntimeError("boom")


async def _schedule(runtime: Runtime, kind: str, delay_s: float, **payload: Any) -> str:
    async with runtime.db.transaction() as session:
        job = job_service.do_schedule(
            session, kind, run_at=utcnow() + timedelta(seconds=delay_s), payload=payload
        )
        await session.flush()
        return job.id


async def _jobs(runtime: Runtime, kind: str | None = None) -> list[ScheduledJob]:
    async with runtime.db.transaction() as session:
        return await job_service.list_jobs(session, kind=kind)


def setup_function() -> None:
    runs.clear()
    side_effects.clear()


async def test_job_runs_when_due_and_is_marked_done(runtime: Runtime) -> None:
    await _schedule(runtime, "test.record", 60, n=1)
    worker = WorkerLoop(runtime)
    assert await worker.run_once() == 0
    assert runs == []
    clock.advance(timedelta(seconds=61))
    assert await worker.run_once() == 1
    assert runs == [{"n": 1}]
    assert side_effects == ["1"]
    [job] = await _jobs(runtime)
    assert job.status == "done"
    assert job.attempts == 1
    assert job.last_error is None
    assert job.finished_at is not None
    assert await worker.run_once() == 0
    assert runs == [{"n": 1}]


async def test_due_jobs_run_in_run_at_order(runtime: Runtime) -> None:
    await _schedule(runtime, "test.record", 3, n=3)
    await _schedule(runtime, "test.record", 1, n=1)
    await _schedule(runtime, "test.record", 2, n=2)
    await _schedule(runtime, "test.record", 3600, n=99)
    clock.advance(timedelta(seconds=5))
    assert await WorkerLoop(runtime).run_once() == 3
    assert runs == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_failing_job_rolls_back_retries_with_back_off_then_fails(runtime: Runtime) -> None:
    clock.freeze(datetime.now(UTC))
    job_id = await _schedule(runtime, "test.explode", 0)
    worker = WorkerLoop(runtime)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.run_once() == 1
        assert len(runs) == attempt
        [job] = await _jobs(runtime, "test.explode")
        assert job.id == job_id
        assert job.attempts == attempt
        assert job.last_error == "RuntimeError: boom"
        if attempt < MAX_ATTEMPTS:
            assert job.status == "pending"
            assert job.run_at == utcnow() + retry_delay(attempt)
            # Not due again until the back-off has passed.
            assert await worker.run_once() == 0
            clock.advance(retry_delay(attempt))
    [job] = await _jobs(runtime, "test.explode")
    assert job.status == "failed"
    assert job.finished_at is not None
    clock.advance(timedelta(days=1))
    assert await worker.run_once() == 0
    assert len(runs) == MAX_ATTEMPTS
    # The job the handler scheduled and its after-commit callback died with it.
    assert await _jobs(runtime, "test.record") == []
    assert side_effects == []


async def test_unknown_kind_is_retried_then_failed(runtime: Runtime) -> None:
    await _schedule(runtime, "test.nobody-handles-this", 0)
    worker = WorkerLoop(runtime)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.run_once() == 1
        clock.advance(retry_delay(attempt))
    [job] = await _jobs(runtime)
    assert job.status == "failed"
    assert job.attempts == MAX_ATTEMPTS
    assert job.last_error == "no handler is registered for job kind 'test.nobody-handles-this'"


async def test_concurrent_workers_run_each_job_once(runtime: Runtime) -> None:
    for n in range(20):
        await _schedule(runtime, "test.record", 0, n=n)
    workers = [WorkerLoop(runtime) for _ in range(4)]
    counts = await asyncio.gather(*(worker.run_once() for worker in workers))
    assert sum(counts) == 20
    assert sorted(run["n"] for run in runs) == list(range(20))
    assert {job.status for job in await _jobs(runtime)} == {"done"}


async def test_app_worker_loop_runs_jobs_in_the_background(settings: Settings) -> None:
    application = create_app(settings.model_copy(update={"worker_enabled": True}))
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        await _schedule(runtime, "test.record", 0, n="bg")
        for _ in range(200):
            if runs and side_effects:  # the after-commit step follows the commit
                break
            await asyncio.sleep(0.02)
        assert runs == [{"n": "bg"}]
        assert side_effects == ["bg"]


async def test_jobs_survive_a_restart(settings: Settings, app: FastAPI) -> None:
    await _schedule(app.state.runtime, "test.record", 30, n="kept")
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        clock.advance(timedelta(seconds=31))
        assert await WorkerLoop(second.state.runtime).run_once() == 1
    assert runs == [{"n": "kept"}]


async def test_client_fixture_still_serves(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
