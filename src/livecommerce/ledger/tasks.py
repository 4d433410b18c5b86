"""Jobs the worker loop runs for the ledger: closing settlement periods on schedule."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.ledger.service import SETTLEMENT_JOB, ledger_service
from livecommerce.models import ScheduledJob
from livecommerce.worker.registry import register_job

log = logging.getLogger(__name__)


@register_job(SETTLEMENT_JOB)
async def close_settlement_period(session: AsyncSession, job: ScheduledJob) -> None:
    """Close the period that just ended, then schedule the next close."""
    period_end = datetime.fromisoformat(str(job.payload["period_end"]))
    statements = await ledger_service.do_close_period(session, period_end)
    log.info("closed %d statement(s) for the period ending %s", len(statements), period_end)
    await ledger_service.do_ensure_settlement_scheduled(session, exclude_job_id=job.id)
