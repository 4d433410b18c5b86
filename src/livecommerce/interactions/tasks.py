"""Jobs the worker loop runs for room interactions."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.interactions.flash_sales import FLASH_SALE_CLOSE_JOB, flash_sale_service
from livecommerce.interactions.lotteries import LOTTERY_DRAW_JOB, lottery_service
from livecommerce.models import ScheduledJob
from livecommerce.worker.registry import register_job

log = logging.getLogger(__name__)


@register_job(FLASH_SALE_CLOSE_JOB)
async def close_flash_sale(session: AsyncSession, job: ScheduledJob) -> None:
    """At the sale's end: unsold units go back to the SKU and the room is told."""
    sale_id = str(job.payload["sale_id"])
    if await flash_sale_service.do_close(session, sale_id):
        log.info("flash sale %s closed", sale_id)


@register_job(LOTTERY_DRAW_JOB)
async def draw_lottery(session: AsyncSession, job: ScheduledJob) -> None:
    """At the countdown's end: reveal the seed, pick and announce the winners."""
    lottery_id = str(job.payload["lottery_id"])
    if await lottery_service.do_draw(session, lottery_id):
        log.info("lottery %s drawn", lottery_id)
