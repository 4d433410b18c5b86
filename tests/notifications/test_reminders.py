"""Reminders of reserved sessions: before the start, on air, late, cancelled; each once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest

import livecommerce.notifications.service as service_module
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import EmailStatus
from livecommerce.notifications.service import REMIND_JOB, notification_service
from livecommerce.worker.loop import WorkerLoop
from livecommerce.worker.service import job_service
from tests.factories import sign_up
from tests.notifications.helpers import (
    act,
    deliveries,
    drain,
    reserve,
    templates_of,
    upcoming_session,
)
from tests.notifications.sink import SmtpSink


def _planned(detail: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(detail["planned_start_at"]))


async def test_reservers_are_reminded_before_the_start_and_when_it_goes_live(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewers = [await sign_up(client, "viewer") for _ in range(3)]
    for viewer in viewers[:2]:
        await reserve(client, viewer, live_session["id"])
    planned = _planned(live_session)

    # Nothing before the lead time (10 minutes by default).
    clock.freeze(planned - timedelta(minutes=11))
    await drain(runtime)
    assert await templates_of(runtime, viewers[0].id) == []

    clock.freeze(planned - timedelta(minutes=10))
    await drain(runtime)
    clock.advance(timedelta(minutes=5))
    await drain(runtime)
    for viewer in viewers[:2]:
        assert await templates_of(runtime, viewer.id) == ["session_soon"]
    assert await templates_of(runtime, viewers[2].id) == []  # did not reserve

    await act(client, host, live_session["id"], "start")
    await drain(runtime)
    for viewer in viewers[:2]:
        assert await templates_of(runtime, viewer.id) == ["session_soon", "session_live"]

    # A session that went on air in time is never "late", even long after its start.
    await act(client, host, live_session["id"], "end")
    clock.advance(timedelta(hours=2))
    await drain(runtime)
    assert await templates_of(runtime, viewers[0].id) == ["session_soon", "session_live"]

    # Each reminder went out by e-mail exactly once.
    sent = smtp.to(viewers[0].email)
    assert [message["Subject"] for message in sent] == [
        "你预约的直播即将开始",
        "你预约的直播开播了",
    ]
    assert "「春季上新专场」（小美的直播间）将在 10 分钟后开播。" in sent[0].get_content()
    assert len(smtp.received) == 4
    assert {row.status for row in await deliveries(runtime)} == {EmailStatus.SENT}


async def test_a_session_an_hour_late_tells_its_reservers_then_reminds_when_live(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=30)
    viewer = await sign_up(client, "viewer")
    await reserve(client, viewer, live_session["id"])
    planned = _planned(live_session)

    clock.freeze(planned + timedelta(minutes=59))
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == ["session_soon"]
    clock.freeze(planned + timedelta(minutes=60))
    await drain(runtime)
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == ["session_soon", "session_late"]

    clock.advance(timedelta(minutes=20))
    await act(client, host, live_session["id"], "start")
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == [
        "session_soon",
        "session_late",
        "session_live",
    ]
    assert [message["Subject"] for message in smtp.received] == [
        "你预约的直播即将开始",
        "你预约的直播推迟了",
        "你预约的直播开播了",
    ]


async def test_a_cancelled_session_tells_its_reservers_and_reminds_of_nothing(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewer = await sign_up(client, "viewer")
    await reserve(client, viewer, live_session["id"])
    await act(client, host, live_session["id"], "cancel")
    await drain(runtime)
    clock.freeze(_planned(live_session) + timedelta(hours=3))
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == ["session_cancelled"]
    assert [message["Subject"] for message in smtp.received] == ["你预约的直播已取消"]


async def test_a_rescheduled_session_is_reminded_at_its_new_time_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewer = await sign_up(client, "viewer")
    await reserve(client, viewer, live_session["id"])
    planned = _planned(live_session)
    later = planned + timedelta(hours=2)
    moved = await client.patch(
        f"/api/v1/live-sessions/{live_session['id']}",
        json={"planned_start_at": later.isoformat()},
        headers=host.headers,
    )
    assert moved.status_code == 200, moved.text
    clock.freeze(planned + timedelta(minutes=90))  # the old times are past: soon and late
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == []
    clock.freeze(later - timedelta(minutes=10))
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == ["session_soon"]


async def test_two_workers_and_repeated_jobs_remind_each_reserver_once(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    """The PostgreSQL pass runs this with real concurrency: two worker loops claim jobs
    with SKIP LOCKED while the same reminder was queued three times."""
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewers = [await sign_up(client, "viewer") for _ in range(6)]
    for viewer in viewers:
        await reserve(client, viewer, live_session["id"])
    await act(client, host, live_session["id"], "start")
    async with runtime.db.transaction() as session:
        for _ in range(2):  # the same fact queued again (a redelivered event, a retry)
            notification_service.do_queue_reminder(session, live_session["id"], "live")
    workers = [WorkerLoop(runtime), WorkerLoop(runtime)]

    async def run(worker: WorkerLoop) -> int:
        total = 0
        while ran := await worker.run_once():
            total += ran
        return total

    await asyncio.gather(*(run(worker) for worker in workers))
    await drain(runtime)
    for viewer in viewers:
        assert await templates_of(runtime, viewer.id) == ["session_live"]
    assert sorted(message["To"] for message in smtp.received) == sorted(
        viewer.email for viewer in viewers
    )
    async with runtime.db.reading() as session:
        remind_jobs = await job_service.list_jobs(session, kind=REMIND_JOB)
    assert sum(1 for job in remind_jobs if job.payload.get("kind") == "live") == 3


async def test_reminders_go_out_in_batches(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "REMINDER_BATCH", 2)
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewers = [await sign_up(client, "viewer") for _ in range(5)]
    for viewer in viewers:
        await reserve(client, viewer, live_session["id"])
    await act(client, host, live_session["id"], "start")
    assert await drain(runtime) == 3 + 5  # batches of 2, 2 and 1 reservers; five e-mails
    for viewer in viewers:
        assert await templates_of(runtime, viewer.id) == ["session_live"]


async def test_a_session_nobody_reserved_costs_no_reminder_work(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=5)
    await act(client, host, live_session["id"], "start")
    async with runtime.db.reading() as session:
        assert await job_service.list_jobs(session, kind=REMIND_JOB) == []
    # Reserved within the lead time: no "soon" (it would come at once), the "live" one does.
    host2, second = await upcoming_session(client, in_minutes=5, title="夏日清凉专场")
    viewer = await sign_up(client, "viewer")
    await reserve(client, viewer, second["id"])
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == []
    await act(client, host2, second["id"], "start")
    await drain(runtime)
    assert await templates_of(runtime, viewer.id) == ["session_live"]
