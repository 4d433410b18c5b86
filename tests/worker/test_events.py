"""Domain events: stored in the publisher's unit of work, handled after it commits, once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.clock import clock
from livecommerce.kit.db import discard_after_commit, run_after_commit
from livecommerce.kit.events import (
    KIND_PREFIX,
    DomainEvent,
    catalogue,
    event_type,
    subscribe,
    subscriber_for_kind,
    unsubscribe,
)
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ScheduledJob
from livecommerce.worker.events import publish
from livecommerce.worker.loop import MAX_ATTEMPTS, WorkerLoop


class Pinged(DomainEvent):
    name = "test.pinged"
    n: int
    loud: bool = False


heard: list[tuple[str, int]] = []
sessions_seen: list[AsyncSession] = []
fail_times: list[int] = []


async def _hear(session: AsyncSession, event: Pinged) -> None:
    heard.append(("ear", event.n))
    sessions_seen.append(session)
    await asyncio.sleep(0)  # let concurrent workers interleave


async def _hear_loud(session: AsyncSession, event: Pinged) -> None:
    heard.append(("loud", event.n))


async def _fail(session: AsyncSession, event: Pinged) -> None:
    if fail_times:
        fail_times.pop()
        raise RuntimeError("not now")
    heard.append(("flaky", event.n))


@pytest.fixture(autouse=True)
def _subscribers() -> Any:
    heard.clear()
    sessions_seen.clear()
    fail_times.clear()
    subscribe(Pinged, "test.ear")(_hear)
    subscribe(Pinged, "test.loud", when=lambda event: event.loud)(_hear_loud)
    yield
    for name in ("test.ear", "test.loud", "test.flaky"):
        unsubscribe(name)


@pytest.fixture
async def quiet(settings: Settings) -> AsyncIterator[Runtime]:
    """A platform without a background worker: only the test claims outbox rows."""
    application = create_app(settings.model_copy(update={"worker_enabled": False}))
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        yield runtime


async def _outbox(runtime: Runtime) -> list[ScheduledJob]:
    async with runtime.db.transaction() as session:
        result = await session.execute(
            select(ScheduledJob)
            .where(ScheduledJob.kind.startswith("event:"))
            .order_by(ScheduledJob.kind)
        )
        return list(result.scalars())


async def test_handlers_run_after_commit_each_in_its_own_unit(quiet: Runtime) -> None:
    async with quiet.db.transaction() as session:
        assert await publish(session, Pinged(n=1)) == 1
        await session.flush()
        assert heard == []  # nothing runs before the unit commits
        publisher = session
    assert heard == [("ear", 1)]
    assert sessions_seen[0] is not publisher
    [row] = await _outbox(quiet)
    assert (row.kind, row.status, row.attempts) == ("event:test.ear", "done", 1)
    assert row.payload == {"event": "test.pinged", "data": {"n": 1, "loud": False}}
    assert await WorkerLoop(quiet).run_once() == 0


async def test_a_condition_skips_uninterested_subscribers(quiet: Runtime) -> None:
    async with quiet.db.transaction() as session:
        assert await publish(session, Pinged(n=2, loud=True)) == 2
        assert await publish(session, Pinged(n=3)) == 1
    assert sorted(heard) == [("ear", 2), ("ear", 3), ("loud", 2)]
    assert len(await _outbox(quiet)) == 3


async def test_a_rolled_back_unit_never_runs_a_handler(quiet: Runtime) -> None:
    async def failing_unit() -> None:
        async with quiet.db.transaction() as session:
            await publish(session, Pinged(n=4, loud=True))
            await session.flush()
            raise RuntimeError("the order failed")

    with pytest.raises(RuntimeError):
        await failing_unit()
    assert heard == []
    assert await _outbox(quiet) == []
    assert await WorkerLoop(quiet).run_once() == 0
    assert heard == []


async def test_a_crash_between_commit_and_dispatch_is_recovered_once(
    settings: Settings, quiet: Runtime
) -> None:
    # The publisher commits, then dies before its after-commit dispatch runs.
    async with quiet.db.sessionmaker() as session:
        await publish(session, Pinged(n=5, loud=True))
        await session.commit()
        discard_after_commit(session)
    assert heard == []
    assert {row.status for row in await _outbox(quiet)} == {"pending"}

    # Two workers, each with its own engine (its own connections), claim at once.
    other = create_app(settings.model_copy(update={"worker_enabled": False}))
    async with other.router.lifespan_context(other):
        workers = [WorkerLoop(quiet), WorkerLoop(other.state.runtime)]
        counts = await asyncio.gather(*(worker.run_once() for worker in workers))
        assert sum(counts) == 2
        assert sorted(heard) == [("ear", 5), ("loud", 5)]
        again = await asyncio.gather(*(worker.run_once() for worker in workers))
        assert again == [0, 0]
    assert sorted(heard) == [("ear", 5), ("loud", 5)]
    assert {row.status for row in await _outbox(quiet)} == {"done"}


async def test_a_publisher_waits_for_a_row_the_worker_loop_took_first(quiet: Runtime) -> None:
    # The loop's tick falls between the publisher's commit and its dispatch: the loop
    # claims a row and is still running its handler when the publisher dispatches.
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[int] = []

    async def _slow(session: AsyncSession, event: Pinged) -> None:
        started.set()
        await release.wait()
        finished.append(event.n)

    unsubscribe("test.ear")
    subscribe(Pinged, "test.flaky")(_slow)
    async with quiet.db.sessionmaker() as session:
        await publish(session, Pinged(n=8))
        await session.commit()
        tick = asyncio.create_task(WorkerLoop(quiet).run_once())
        await started.wait()
        asyncio.get_running_loop().call_later(0.05, release.set)
        await run_after_commit(session)
        # The publisher's dispatch answers only once the handler the loop ran is done.
        assert finished == [8]
    assert await tick == 1
    [row] = await _outbox(quiet)
    assert (row.status, row.attempts) == ("done", 1)


async def test_a_failing_handler_is_retried_alone(quiet: Runtime) -> None:
    subscribe(Pinged, "test.flaky")(_fail)
    fail_times.extend([1, 1])
    async with quiet.db.transaction() as session:
        await publish(session, Pinged(n=6))
    assert heard == [("ear", 6)]
    flaky = [row for row in await _outbox(quiet) if row.kind == "event:test.flaky"][0]
    assert (flaky.status, flaky.attempts) == ("pending", 1)
    assert flaky.last_error == "RuntimeError: not now"

    worker = WorkerLoop(quiet)
    assert await worker.run_once() == 0  # backing off
    clock.advance(timedelta(seconds=11))
    assert await worker.run_once() == 1  # fails again
    clock.advance(timedelta(seconds=21))
    assert await worker.run_once() == 1
    assert heard == [("ear", 6), ("flaky", 6)]
    rows = {row.kind: row for row in await _outbox(quiet)}
    assert (rows["event:test.flaky"].status, rows["event:test.flaky"].attempts) == ("done", 3)
    assert rows["event:test.ear"].attempts == 1
    assert MAX_ATTEMPTS > 3


async def test_events_published_by_a_handler_run_after_its_unit_commits(quiet: Runtime) -> None:
    class Echoed(DomainEvent):
        name = "test.echoed"
        n: int

    async def _echo(session: AsyncSession, event: Pinged) -> None:
        await publish(session, Echoed(n=event.n + 100))

    async def _hear_echo(session: AsyncSession, event: Echoed) -> None:
        heard.append(("echo", event.n))

    subscribe(Pinged, "test.flaky")(_echo)
    subscribe(Echoed, "test.echo")(_hear_echo)
    try:
        async with quiet.db.transaction() as session:
            await publish(session, Pinged(n=7))
        assert sorted(heard) == [("ear", 7), ("echo", 107)]
    finally:
        unsubscribe("test.echo")


def test_the_catalogue_names_who_listens() -> None:
    listed = catalogue()
    assert listed["test.pinged"] == ["test.ear", "test.loud"]


def _catalogue_rows() -> dict[str, tuple[str, str]]:
    """docs/architecture.md's events table: each event name → (publisher, listeners) cells."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    section = doc.split("## Domain events", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == 4, line
        for name in re.findall(r"`([a-z_]+\.[a-z_]+)`", cells[0]):
            rows[name] = (cells[1], cells[3])
    return rows


def test_the_architecture_doc_lists_every_event_its_publisher_and_listeners() -> None:
    rows = _catalogue_rows()
    published = {n: listeners for n, listeners in catalogue().items() if not n.startswith("test.")}
    assert sorted(rows) == sorted(published)
    for name, listeners in published.items():
        publisher, listed = rows[name]
        event = event_type(name)
        assert event is not None
        domain = event.__module__.split(".")[1]
        assert domain in publisher, (name, publisher)
        assert sorted(re.findall(r"`([a-z_]+\.[a-z_]+)`", listed)) == listeners, name
        for listener in listeners:
            subscriber = subscriber_for_kind(KIND_PREFIX + listener)
            assert subscriber is not None
            if subscriber.in_unit:
                assert f"`{listener}` (in the unit" in listed, listener


async def test_an_in_unit_subscriber_runs_inside_the_publishers_unit(quiet: Runtime) -> None:
    async def _in_unit(session: AsyncSession, event: Pinged) -> None:
        heard.append(("in_unit", event.n))
        sessions_seen.append(session)

    subscribe(Pinged, "test.flaky", in_unit=True)(_in_unit)
    async with quiet.db.transaction() as session:
        assert await publish(session, Pinged(n=8)) == 2
        assert heard == [("in_unit", 8)]  # before the commit, in this very unit
        assert sessions_seen == [session]
    assert heard == [("in_unit", 8), ("ear", 8)]
    assert [row.kind for row in await _outbox(quiet)] == ["event:test.ear"]  # no row for it
