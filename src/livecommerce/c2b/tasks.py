"""Jobs the worker loop runs for pre-sales: each is claimed once and is idempotent, so a
crash mid-way rolls its unit back and the retry does the whole step again, once."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.c2b.fulfilment import REFUND_JOB, RELEASE_JOB, SETTLE_JOB, fulfilment_service
from livecommerce.c2b.production import REORDER_JOB, production_service
from livecommerce.c2b.service import DEADLINE_JOB
from livecommerce.models import ScheduledJob
from livecommerce.worker.registry import register_job

log = logging.getLogger(__name__)


class HeldNotPosted(RuntimeError):
    """The order's payment is not in the ledger yet: release it on a retry."""


@register_job(DEADLINE_JOB)
async def run_deadline(session: AsyncSession, job: ScheduledJob) -> None:
    outcome = await fulfilment_service.do_run_deadline(session, str(job.payload["campaign_id"]))
    if outcome:
        log.info("pre-sale %s %s", job.payload["campaign_id"], outcome)


@register_job(REFUND_JOB)
async def refund_batch(session: AsyncSession, job: ScheduledJob) -> None:
    await fulfilment_service.do_refund_batch(session, str(job.payload["campaign_id"]))


@register_job(SETTLE_JOB)
async def settle_batch(session: AsyncSession, job: ScheduledJob) -> None:
    await fulfilment_service.do_settle_batch(session, str(job.payload["campaign_id"]))


@register_job(RELEASE_JOB)
async def release_held(session: AsyncSession, job: ScheduledJob) -> None:
    order_id = str(job.payload["order_id"])
    if not await fulfilment_service.do_release(session, order_id):
        if not await fulfilment_service.is_released(session, order_id):
            raise HeldNotPosted(f"order {order_id} is not posted yet")


@register_job(REORDER_JOB)
async def check_reorders(session: AsyncSession, job: ScheduledJob) -> None:
    """Hourly while any re-order rule exists: the next check is scheduled with this one."""
    issued = await production_service.do_check_reorders(session)
    if issued:
        log.info("re-ordered %s", [order.id for order in issued])
    if await production_service.has_reorder_rules(session):
        production_service.do_schedule_reorder_check(session)
