"""Helpers of the short-video tests: generated videos, uploads, waiting for the worker."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Video, VideoStatus
from livecommerce.videos.processing import make_test_video
from livecommerce.videos.runner import workers_of
from livecommerce.worker.loop import WorkerLoop
from livecommerce.worker.repository import job_repository
from tests.factories import Account, sign_up

_numbers = itertools.count(1)


async def host_with_room(
    client: httpx.AsyncClient, name: str = "小红的直播间"
) -> tuple[Account, str]:
    host = await sign_up(client, "host", name="主播小红")
    room = await client.post("/api/v1/rooms", headers=host.headers, json={"name": name})
    assert room.status_code == 201, room.text
    return host, str(room.json()["id"])


async def upload(
    client: httpx.AsyncClient,
    host: Account,
    path: Path,
    *,
    filename: str | None = None,
    content_type: str = "video/mp4",
) -> httpx.Response:
    with path.open("rb") as handle:
        return await client.post(
            "/api/v1/videos",
            headers=host.headers,
            files={"file": (filename or path.name, handle, content_type)},
        )


async def process_all(runtime: Runtime) -> None:
    """Run due jobs and wait for the processing they start, until nothing is left.

    The app's own worker loop polls too and may hold a due job (``SKIP LOCKED`` on
    PostgreSQL): a due job still pending means someone is running it, so wait for it.
    Its claim is visible to other connections before that loop has started the
    processing (the start runs after the commit's reply): a video under a live lease
    is being processed, so wait for that too."""
    workers = workers_of(runtime)
    for _ in range(400):
        ran = await WorkerLoop(runtime).run_once()
        busy = bool(workers.tasks)
        await workers.join()
        if ran or busy:
            continue
        async with runtime.db.reading() as session:
            now = utcnow()
            if not await job_repository.any_due(session, now) and not await _claimed(session, now):
                return
        await asyncio.sleep(0.025)
    raise AssertionError("jobs still due after 400 rounds")


async def _claimed(session: AsyncSession, now: datetime) -> bool:
    """Whether a video is held by a processor whose lease has not run out."""
    held = await session.scalar(
        select(Video.id)
        .where(Video.status == VideoStatus.PROCESSING, Video.lease_until > now)
        .limit(1)
    )
    return held is not None


async def ready_video(
    client: httpx.AsyncClient, runtime: Runtime, host: Account, tmp_path: Path, **kwargs: Any
) -> dict[str, Any]:
    source = make_test_video(tmp_path / f"v{next(_numbers)}.mp4", **kwargs)
    response = await upload(client, host, source)
    assert response.status_code == 202, response.text
    await process_all(runtime)
    video = await client.get(f"/api/v1/videos/{response.json()['id']}", headers=host.headers)
    body: dict[str, Any] = video.json()
    assert body["status"] == "ready", body
    return body
