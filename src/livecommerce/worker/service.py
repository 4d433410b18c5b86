"""Stored timers: other domains schedule jobs here, in their own unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import JobStatus, ScheduledJob
from livecommerce.worker.repository import job_repository


class JobService:
    def do_schedule(
        self,
        session: AsyncSession,
        kind: str,
        *,
        run_at: datetime,
        payload: dict[str, Any] | None = None,
    ) -> ScheduledJob:
        """Add a job to the current unit of work: it exists only if that work commits."""
        if run_at.tzinfo is None:
            raise ValueError("run_at must be timezone-aware")
        job = ScheduledJob(
            kind=kind, payload=payload or {}, run_at=run_at, status=JobStatus.PENDING, attempts=0
        )
        job_repository.add(session, job)
        return job

    async def list_jobs(
        self, session: AsyncSession, *, kind: str | None = None, status: str | None = None
    ) -> list[ScheduledJob]:
        return await job_repository.list_jobs(session, kind=kind, status=status)


job_service = JobService()
