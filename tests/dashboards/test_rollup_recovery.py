"""A crash between the events and the rollup loses nothing and counts nothing twice."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from livecommerce.dashboards.rollup import WATERMARK, catch_up, do_roll_up
from livecommerce.insights.service import BehaviourRecord, insights_service
from livecommerce.kit.runtime import Runtime
from livecommerce.models import (
    BehaviourEvent,
    DashboardSessionMinute,
    DashboardWatermark,
)
from tests.dashboards.script import EXPECTED_FIGURES, at, play


class Crash(Exception):
    pass


async def figures(
    client: httpx.AsyncClient, session_id: str, headers: dict[str, str]
) -> dict[str, int]:
    response = await client.get(f"/api/v1/dashboards/sessions/{session_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, int] = response.json()["figures"]
    return result


async def watermark(runtime: Runtime) -> tuple[int, dict[str, str], int]:
    async with runtime.db.transaction() as session:
        row = await session.get(DashboardWatermark, WATERMARK)
        return (0, {}, 0) if row is None else (row.last_id, dict(row.gaps), row.events_applied)


async def test_a_crash_mid_rollup_recovers_exactly(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    scripted = await play(client, runtime, roll_up=False)
    async with runtime.db.transaction() as session:
        total = int(
            (await session.execute(select(func.count()).select_from(BehaviourEvent))).scalar_one()
        )
    # A first batch is rolled up and committed; the worker dies in the middle of the next.
    async with runtime.db.transaction() as session:
        assert await do_roll_up(session, limit=7) == 7

    async def roll_up_and_die() -> None:
        async with runtime.db.transaction() as session:
            assert await do_roll_up(session, limit=7) == 7
            raise Crash  # after the rollup's writes, before its commit

    with pytest.raises(Crash):
        await roll_up_and_die()
    assert (await watermark(runtime))[0] == 7
    # The next worker goes on from the watermark.
    assert await catch_up(runtime, limit=7) == total - 7
    assert await catch_up(runtime) == 0
    last_id, gaps, applied = await watermark(runtime)
    assert (last_id, gaps, applied) == (total, {}, total)
    headers = scripted.stage.host.headers
    assert await figures(client, scripted.stage.session_id, headers) == EXPECTED_FIGURES


async def test_events_committed_out_of_order_are_counted_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """On PostgreSQL an id allocated earlier can commit later: the watermark keeps it as
    a gap and counts it when it appears (rows with chosen ids stand in for that here)."""
    scripted = await play(client, runtime)
    last_id = (await watermark(runtime))[0]

    def enter(event_id: int, visitor: str) -> BehaviourEvent:
        return BehaviourEvent(
            id=event_id,
            kind="enter",
            visitor_id=visitor,
            room_id=scripted.stage.room_id,
            session_id=scripted.stage.session_id,
            value=1,
            payload={},
            occurred_at=at(4, 50),
        )

    async with runtime.db.transaction() as session:
        session.add(enter(last_id + 3, "late-1"))
    assert await catch_up(runtime) == 1
    assert sorted((await watermark(runtime))[1]) == [str(last_id + 1), str(last_id + 2)]
    async with runtime.db.transaction() as session:
        session.add(enter(last_id + 1, "late-2"))
    assert await catch_up(runtime) == 1
    assert await catch_up(runtime) == 0
    assert list((await watermark(runtime))[1]) == [str(last_id + 2)]
    result = await figures(client, scripted.stage.session_id, scripted.stage.host.headers)
    assert (result["enters"], result["viewers"]) == (
        EXPECTED_FIGURES["enters"] + 2,
        EXPECTED_FIGURES["viewers"] + 2,
    )


async def test_rolling_up_is_one_statement_set_per_batch(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Rows merge by adding: two batches into the same minute give one row."""
    scripted = await play(client, runtime, roll_up=False)
    await catch_up(runtime, limit=3)
    async with runtime.db.transaction() as session:
        rows = (
            await session.execute(
                select(func.count())
                .select_from(DashboardSessionMinute)
                .where(DashboardSessionMinute.session_id == scripted.stage.session_id)
            )
        ).scalar_one()
    assert rows == 5  # one per minute, one source
    async with runtime.db.transaction() as session:
        await insights_service.do_record_many(
            session,
            [
                BehaviourRecord(
                    kind="like",
                    visitor_id="v-late",
                    room_id=scripted.stage.room_id,
                    session_id=scripted.stage.session_id,
                    value=2,
                    occurred_at=at(1, 30),
                )
            ],
        )
    assert await catch_up(runtime) == 1
    result = await figures(client, scripted.stage.session_id, scripted.stage.host.headers)
    assert result["likes"] == EXPECTED_FIGURES["likes"] + 2
