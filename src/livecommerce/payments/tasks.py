"""Jobs the worker loop runs for payments."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import ScheduledJob
from livecommerce.payments.service import PAYMENT_REFUND_JOB, payment_service
from livecommerce.worker.registry import register_job


@register_job(PAYMENT_REFUND_JOB)
async def send_refund(session: AsyncSession, job: ScheduledJob) -> None:
    """Move a refunded payment's money back through its provider (retried on failure)."""
    amount = job.payload.get("amount_cents")
    await payment_service.do_send_refund(
        session, str(job.payload["payment_id"]), None if amount is None else int(amount)
    )
