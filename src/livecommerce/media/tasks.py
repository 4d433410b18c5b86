"""Jobs the worker loop runs for media."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.media.service import STREAM_TIMEOUT_JOB, media_service
from livecommerce.models import ScheduledJob
from livecommerce.worker.registry import register_job

log = logging.getLogger(__name__)


@register_job(STREAM_TIMEOUT_JOB)
async def end_abandoned_session(session: AsyncSession, job: ScheduledJob) -> None:
    """A session still interrupted when the reconnect time is up ends."""
    session_id = str(job.payload["session_id"])
    if await media_service.do_end_if_abandoned(session, session_id):
        log.info("live session %s ended: the host did not come back", session_id)
