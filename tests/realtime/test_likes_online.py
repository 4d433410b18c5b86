"""Likes aggregated into ``likes``, online counts, heartbeats and a clean hub stop."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from livecommerce.models import BehaviourEvent, LiveSession
from livecommerce.realtime.hub import LiveHub
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import (
    close_code,
    eventually,
    http_client,
    start_live_session,
    until,
    watch,
)


async def like_events(live_server: LiveServer, session_id: str) -> list[BehaviourEvent]:
    async with live_server.app.state.runtime.db.transaction() as session:
        result = await session.execute(
            select(BehaviourEvent).where(
                BehaviourEvent.session_id == session_id, BehaviourEvent.kind == "like"
            )
        )
        return list(result.scalars())


async def test_likes_are_merged_into_one_total_for_everyone(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
    async with (
        watch(live_server, live.session_id, bob) as b,
        watch(live_server, live.session_id, alice) as a,
    ):
        await a.send({"type": "like", "count": 3})
        await a.send({"type": "like"})
        await b.send({"type": "like", "count": 20})
        await a.send({"type": "like", "count": 5})
        last = await until(b, "likes", lambda message: message["total"] == 29)
        assert last == {"type": "likes", "total": 29}
        totals = [message["total"] for message in b.of_type("likes")]
        assert totals == sorted(set(totals))  # rising, never repeated
        assert len(totals) <= 4
        await until(a, "likes", lambda message: message["total"] == 29)
        await b.quiet({"likes"}, seconds=1.3)  # nothing changes, nothing is sent
        async with watch(live_server, live.session_id) as late:
            assert late.hello["likes"] == 29
    events = await like_events(live_server, live.session_id)
    assert sum(event.value for event in events) == 29
    assert {event.user_id for event in events} == {alice.id, bob.id}
    assert sum(event.value for event in events if event.user_id == bob.id) == 20
    # Another app on the same database and a fresh broker (a restart, for the
    # in-process broker) starts from the stored like events.
    stats = await client.get(
        f"/api/v1/live-sessions/{live.session_id}/stats", headers=live.host.headers
    )
    assert stats.json()["likes"] == 29


async def test_one_connection_cannot_flood_likes(live_server: LiveServer) -> None:
    hub: LiveHub = live_server.app.state.runtime.extras["hub"]
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with watch(live_server, live.session_id, alice) as a:
        await a.send({"type": "like"})
        assert (await a.next("likes"))["total"] == 1
        # A flush just happened: the burst below lands in the next one, which takes
        # at most max_likes_per_tick from one connection.
        for _ in range(10):
            await a.send({"type": "like", "count": 20})
        assert (await a.next("likes"))["total"] == 1 + hub.activity.max_likes_per_tick == 101


async def test_online_counts_follow_viewers_and_raise_the_peak(live_server: LiveServer) -> None:
    runtime = live_server.app.state.runtime
    hub: LiveHub = runtime.extras["hub"]
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with watch(live_server, live.session_id, alice) as a:
        assert a.hello["online"] == 1
        async with watch(live_server, live.session_id) as anonymous_1:
            assert anonymous_1.hello["online"] == 2
            async with watch(live_server, live.session_id) as anonymous_2:
                assert anonymous_2.hello["online"] == 3
                assert hub.online_count(live.session_id) == 3
                await until(a, "online", lambda message: message["online"] == 3)
        await until(a, "online", lambda message: message["online"] == 1)
        assert hub.online_count(live.session_id) == 1
        announced = [message["online"] for message in a.of_type("online")]
        assert announced[-1] == 1
        assert all(x != y for x, y in zip(announced, announced[1:], strict=False))

    async def nobody_left() -> bool:
        return hub.online_count(live.session_id) == 0

    await eventually(nobody_left)

    async def stored_peak() -> int:
        async with runtime.db.transaction() as session:
            stored = await session.get(LiveSession, live.session_id)
            assert stored is not None
            return stored.peak_online

    async def peak_written() -> bool:  # the hub writes visits once a tick
        return await stored_peak() > 0

    await eventually(peak_written)
    assert await stored_peak() == 3


async def test_online_is_announced_at_most_every_two_seconds(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
    async with watch(live_server, live.session_id) as watcher:
        for _ in range(4):
            async with watch(live_server, live.session_id):
                await asyncio.sleep(0.3)
        await until(watcher, "online", lambda message: message["online"] == 1)
    online = watcher.of_type("online")
    assert online[-1] == {"type": "online", "online": 1}
    assert len(online) <= 3  # about 3 s of churn, at most one announcement per 2 s


async def test_heartbeats_are_written_in_one_batch_per_period(live_server: LiveServer) -> None:
    runtime = live_server.app.state.runtime
    hub: LiveHub = runtime.extras["hub"]
    hub.activity.heartbeat_every_s = 1.0
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)

    async def heartbeats() -> list[BehaviourEvent]:
        async with runtime.db.transaction() as session:
            result = await session.execute(
                select(BehaviourEvent).where(
                    BehaviourEvent.session_id == live.session_id,
                    BehaviourEvent.kind == "heartbeat",
                )
            )
            return list(result.scalars())

    async with watch(live_server, live.session_id, alice), watch(live_server, live.session_id):

        async def two_rounds() -> bool:
            return len(await heartbeats()) >= 4

        await eventually(two_rounds)
    recorded = await heartbeats()
    assert {event.user_id for event in recorded} == {alice.id, None}
    assert all(event.room_id == live.room_id for event in recorded)
    assert all(0 <= event.value <= 2 for event in recorded)
    batches: dict[object, list[str | None]] = {}
    for event in recorded:
        batches.setdefault(event.occurred_at, []).append(event.user_id)
    # One row per connected viewer per batch; both viewers were there for most batches.
    assert all(len(viewers) == len(set(viewers)) for viewers in batches.values())
    assert any(
        sorted(viewers, key=str) == sorted([alice.id, None], key=str)
        for viewers in batches.values()
    )


async def test_stopping_the_hub_closes_every_socket(live_server: LiveServer) -> None:
    hub: LiveHub = live_server.app.state.runtime.extras["hub"]
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with (
        watch(live_server, live.session_id, alice) as a,
        watch(live_server, live.session_id) as anonymous,
    ):
        await a.send({"type": "like", "count": 2})
        await a.send({"type": "ping"})
        await a.next("pong")
        await hub.stop()
        for viewer in (a, anonymous):
            assert await close_code(viewer.socket) == 1001
    assert hub.online_count(live.session_id) == 0
    # Likes still buffered when the hub stopped were written, not lost.
    events = await like_events(live_server, live.session_id)
    assert sum(event.value for event in events) == 2
