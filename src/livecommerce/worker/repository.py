from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import JobStatus, ScheduledJob


class JobRepository:
    def add(self, session: AsyncSession, job: ScheduledJob) -> None:
        session.add(job)

    async def any_due(self, session: AsyncSession, now: datetime) -> bool:
        """Whether a pending job is due (a read: it locks nothing)."""
        result = await session.execute(
            select(ScheduledJob.id)
            .where(ScheduledJob.status == JobStatus.PENDING, ScheduledJob.run_at <= now)
            .limit(1)
        )
        return result.first() is not None

    async def claim_due(self, session: AsyncSession, now: datetime) -> ScheduledJob | None:
        """Lock the oldest due pending job for this transaction.

        On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers poll at once:
        each takes a different row and none waits on a row another is running. On
        SQLite the clause is dropped; every transaction already holds the write lock.
        """
        result = await session.execute(
            select(ScheduledJob)
            .where(ScheduledJob.status == JobStatus.PENDING, ScheduledJob.run_at <= now)
            .order_by(ScheduledJob.run_at, ScheduledJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return result.scalar_one_or_none()

    async def claim_pending(self, session: AsyncSession, job_id: str) -> ScheduledJob | None:
        """Lock one pending job by id, due or not; None if it ran already.

        If a worker loop holds the row, this waits for it to finish (and then finds it
        done): the publisher that dispatches its own events returns only once every
        handler has run, whoever ran it."""
        result = await session.execute(
            select(ScheduledJob)
            .where(ScheduledJob.id == job_id, ScheduledJob.status == JobStatus.PENDING)
            .with_for_update()
        )
        return result.scalar_one_or_none()

    async def set_values(self, session: AsyncSession, job_id: str, **values: Any) -> None:
        await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.id == job_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def list_jobs(
        self, session: AsyncSession, *, kind: str | None = None, status: str | None = None
    ) -> list[ScheduledJob]:
        query = select(ScheduledJob).order_by(ScheduledJob.run_at, ScheduledJob.id)
        if kind is not None:
            query = query.where(ScheduledJob.kind == kind)
        if status is not None:
            query = query.where(ScheduledJob.status == status)
        result = await session.execute(query)
        return list(result.scalars())


job_repository = JobRepository()
