"""The worker loop: runs stored timers (payment expiry, …) when they fall due.

Jobs are rows in ``scheduled_jobs``, so a timer set before a restart still
fires after it. Every ``settings.worker_poll_s`` the loop claims due jobs one
at a time. Each job runs in its own unit of work: the job row is locked
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never run one
job twice), the handler runs inside a savepoint, and the job is marked done in
the same transaction. A handler that raises is rolled back alone — its
after-commit side effects are dropped — and the job is retried with back-off,
up to ``MAX_ATTEMPTS`` times, then marked failed with the error.

Domain events use the same rows as their outbox (kind ``event:<subscriber>``,
see ``livecommerce.worker.events``): the publisher's unit of work runs them
right after it commits, and this loop picks up any a crash left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import discard_after_commit
from livecommerce.kit.runtime import Runtime
from livecommerce.models import JobStatus, ScheduledJob
from livecommerce.worker.registry import get_job_handler
from livecommerce.worker.repository import job_repository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Modules whose import registers job handlers with ``@register_job``.
JOB_MODULES = (
    "livecommerce.orders.tasks",
    "livecommerce.payments.tasks",
    "livecommerce.ledger.tasks",
    "livecommerce.media.tasks",
    "livecommerce.interactions.tasks",
    "livecommerce.notifications.tasks",
    "livecommerce.c2b.tasks",
    "livecommerce.videos.tasks",
    "livecommerce.recommend.tasks",
)


def load_job_modules() -> None:
    for name in JOB_MODULES:
        importlib.import_module(name)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: 10 s, 20 s, 40 s, 80 s … at most an hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


class WorkerLoop:
    def __init__(self, runtime: Runtime, *, batch_size: int = 100) -> None:
        self.runtime = runtime
        self.batch_size = batch_size
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        load_job_modules()

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run_forever(), name="livecommerce-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("worker tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), timeout=self.runtime.settings.worker_poll_s
                )

    async def run_once(self) -> int:
        """One tick: run every due job (at most ``batch_size``). Returns how many ran.

        It looks first in a reading unit of work: an idle tick takes no write lock, so
        on SQLite it never makes a buyer's write wait."""
        async with self.runtime.db.reading() as session:
            if not await job_repository.any_due(session, utcnow()):
                return 0
        ran = 0
        while ran < self.batch_size and not self._stopping.is_set():
            if not await self.run_next_job():
                break
            ran += 1
        return ran

    async def run_next_job(self) -> bool:
        """Claim and run one due job. False when none is due."""
        return await run_claimed_job(
            self.runtime, lambda session: job_repository.claim_due(session, utcnow())
        )


async def run_job(runtime: Runtime, job_id: str) -> bool:
    """Claim one job by id and run it now, whatever its ``run_at``. False when it is not
    pending any more (it ran already, or another worker ran it while this one waited)."""
    return await run_claimed_job(
        runtime, lambda session: job_repository.claim_pending(session, job_id)
    )


async def run_claimed_job(
    runtime: Runtime, claim: Callable[[AsyncSession], Awaitable[ScheduledJob | None]]
) -> bool:
    """Run the job ``claim`` locks in a fresh unit of work; mark it done, or retry it later."""
    async with runtime.db.transaction() as session:
        job = await claim(session)
        if job is None:
            return False
        job_id, kind, attempts = job.id, job.kind, job.attempts + 1
        handler = get_job_handler(kind)
        error: str | None = None
        if handler is None:
            error = f"no handler is registered for job kind {kind!r}"
            log.error("job %s: %s", job_id, error)
        else:
            try:
                async with session.begin_nested():
                    await handler(session, job)
            except Exception as exc:
                discard_after_commit(session)
                error = f"{type(exc).__name__}: {exc}"[:2000]
                log.exception("job %s (%s) failed, attempt %d", job_id, kind, attempts)
        now = utcnow()
        if error is None:
            await job_repository.set_values(
                session,
                job_id,
                status=JobStatus.DONE,
                attempts=attempts,
                last_error=None,
                finished_at=now,
            )
        elif attempts >= MAX_ATTEMPTS:
            await job_repository.set_values(
                session,
                job_id,
                status=JobStatus.FAILED,
                attempts=attempts,
                last_error=error,
                finished_at=now,
            )
        else:
            await job_repository.set_values(
                session,
                job_id,
                attempts=attempts,
                last_error=error,
                run_at=now + retry_delay(attempts),
            )
    return True
