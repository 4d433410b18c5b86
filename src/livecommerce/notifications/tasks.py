"""Jobs of the worker loop: one e-mail, one batch of a session's reminders."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import ScheduledJob
from livecommerce.notifications.service import REMIND_JOB, SEND_EMAIL_JOB, notification_service
from livecommerce.worker.registry import register_job


@register_job(SEND_EMAIL_JOB)
async def send_email(session: AsyncSession, job: ScheduledJob) -> None:
    await notification_service.do_send_email(session, str(job.payload["delivery_id"]))


@register_job(REMIND_JOB)
async def remind(session: AsyncSession, job: ScheduledJob) -> None:
    await notification_service.do_remind(session, job.payload)
