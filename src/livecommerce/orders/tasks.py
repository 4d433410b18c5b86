"""Jobs the worker loop runs for orders."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import ScheduledJob
from livecommerce.orders.service import ORDER_EXPIRE_JOB, order_service
from livecommerce.worker.registry import register_job

log = logging.getLogger(__name__)


@register_job(ORDER_EXPIRE_JOB)
async def expire_unpaid_order(session: AsyncSession, job: ScheduledJob) -> None:
    """An order still unpaid when its time is up is cancelled and its stock returned."""
    order_id = str(job.payload["order_id"])
    if await order_service.do_expire(session, order_id):
        log.info("order %s expired unpaid", order_id)
