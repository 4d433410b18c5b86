"""Jobs the worker loop runs for short videos."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.db import after_commit
from livecommerce.kit.runtime import runtime_of
from livecommerce.models import ScheduledJob
from livecommerce.videos.runner import workers_of
from livecommerce.videos.service import CUT_CLIPS_JOB, PROCESS_JOB, video_service
from livecommerce.worker.registry import register_job


@register_job(PROCESS_JOB)
async def process_video(session: AsyncSession, job: ScheduledJob) -> None:
    """Claim the video and start its file work once the claim is committed."""
    claim = await video_service.do_claim_processing(session, str(job.payload["video_id"]))
    if claim is None:
        return
    workers = workers_of(runtime_of(session))

    async def _start() -> None:
        workers.start(claim)

    after_commit(session, _start)


@register_job(CUT_CLIPS_JOB)
async def cut_session_clips(session: AsyncSession, job: ScheduledJob) -> None:
    """An ended session's product explanations become clips (each then processed)."""
    await video_service.do_create_session_clips(session, str(job.payload["session_id"]))
