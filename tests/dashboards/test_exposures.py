"""The funnel's exposures are rolled up from the feeds' impressions: each viewer counts
once per session however often they were shown it or the rollup re-reads them, a crash
mid-rollup counts nothing, and a dashboard read only reads the stored count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from livecommerce.dashboards.repository import dashboard_repository
from livecommerce.dashboards.rollup import EXPOSURES, catch_up, do_roll_up
from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DashboardWatermark, FeedImpression
from tests.dashboards.script import stop_background_rollups


class Crash(Exception):
    pass


async def show(runtime: Runtime, session_id: str, *viewers: str, ago_s: float = 0) -> None:
    """Impressions of the session to these viewers, as the feed writes them."""
    at = utcnow() - timedelta(seconds=ago_s)
    async with runtime.db.transaction() as session:
        for position, viewer in enumerate(viewers):
            session.add(
                FeedImpression(
                    id=new_id(),
                    viewer_key=viewer,
                    visit_id=new_id(),
                    session_id=session_id,
                    room_id="r" * 32,
                    feed="recommend",
                    policy="pools",
                    reason="popular",
                    reasons=[],
                    position=position,
                    created_at=at,
                )
            )


async def exposures(runtime: Runtime, session_id: str) -> int:
    async with runtime.db.reading() as session:
        return await dashboard_repository.session_exposures(session, session_id)


async def test_exposures_count_each_viewer_once_and_survive_a_crash(runtime: Runtime) -> None:
    await stop_background_rollups(runtime)  # this test rolls up step by step
    first, second = new_id(), new_id()
    await show(runtime, first, "u:alice", "u:alice", "v:browser-1")
    await show(runtime, second, "u:alice")
    # Shown, not rolled up yet: the dashboard's figure has not moved.
    assert await exposures(runtime, first) == 0
    await catch_up(runtime)
    assert (await exposures(runtime, first), await exposures(runtime, second)) == (2, 1)

    # The same viewers again, and one new: only the new one counts; re-reading the
    # impressions the rollup has seen (its grace window) counts nothing twice.
    await show(runtime, first, "u:alice", "u:bob")
    await catch_up(runtime)
    await catch_up(runtime)
    assert await exposures(runtime, first) == 3

    # A page whose time was set before the newest one seen but committed later (inside
    # the grace period) still counts.
    await show(runtime, first, "u:carol", ago_s=5)

    async def roll_up_and_die() -> None:
        async with runtime.db.transaction() as session:
            await do_roll_up(session)
            assert await dashboard_repository.session_exposures(session, first) == 4
            raise Crash  # after the rollup's writes, before its commit

    with pytest.raises(Crash):
        await roll_up_and_die()
    assert await exposures(runtime, first) == 3
    await catch_up(runtime)
    assert await exposures(runtime, first) == 4
    async with runtime.db.reading() as session:
        mark = await session.get(DashboardWatermark, EXPOSURES)
        assert mark is not None
        assert mark.events_applied == 5  # 4 + 1 viewers, both sessions
