"""The recommender's training job, run by the worker loop."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import ScheduledJob
from livecommerce.recommend.service import TRAIN_JOB, recommend_service
from livecommerce.worker.registry import register_job


@register_job(TRAIN_JOB)
async def train(session: AsyncSession, job: ScheduledJob) -> None:
    await recommend_service.do_train_if_due(session)
