"""The shared part of ``hello`` kept between joins, and what drops it."""

from __future__ import annotations

from livecommerce.realtime.hello import HelloSnapshots, keeps_snapshot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import http_client, start_live_session, watch


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_snapshot_is_kept_for_its_time_to_live_only() -> None:
    clock = Clock()
    snapshots = HelloSnapshots(clock)
    snapshots.keep("s1", snapshots.generation("s1"), {"status": "live"})
    assert snapshots.get("s1") == {"status": "live"}
    assert snapshots.get("s2") is None
    clock.now += HelloSnapshots.ttl_s
    assert snapshots.get("s1") == {"status": "live"}
    clock.now += 0.001
    assert snapshots.get("s1") is None


def test_a_room_message_drops_the_snapshot_and_one_read_before_it_is_not_kept() -> None:
    snapshots = HelloSnapshots(Clock())
    generation = snapshots.generation("s1")
    snapshots.keep("s1", generation, {"recent_chat": []})
    snapshots.invalidate("s1")
    assert snapshots.get("s1") is None
    # Read before the message arrived, stored after it: stale, so not kept.
    snapshots.keep("s1", generation, {"recent_chat": []})
    assert snapshots.get("s1") is None
    snapshots.keep("s1", snapshots.generation("s1"), {"recent_chat": ["new"]})
    assert snapshots.get("s1") == {"recent_chat": ["new"]}
    reading = snapshots.generation("s1")
    snapshots.forget("s1")
    assert snapshots.get("s1") is None
    # A read under way when the room closed brings back nothing to keep.
    snapshots.keep("s1", reading, {"recent_chat": ["late"]})
    assert snapshots.get("s1") is None


def test_only_the_counters_leave_the_snapshot_as_it_is() -> None:
    assert keeps_snapshot('{"type":"online","online":3}')
    assert keeps_snapshot('{"type":"likes","total":9}')
    assert not keeps_snapshot('{"type":"chat","id":"x","text":"online"}')
    assert not keeps_snapshot('{"type":"chat_deleted","id":"x"}')
    assert not keeps_snapshot('{"type":"pinned","item":null}')
    assert not keeps_snapshot('{"type":"session_state","status":"ended"}')


async def test_viewers_joining_an_open_room_see_what_was_announced_since_the_last_join(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http, name="Alice")
        # Alice keeps the room open: her join read the snapshot, later joins reuse it.
        async with watch(live_server, live.session_id, alice) as a:
            async with watch(live_server, live.session_id) as first:
                assert first.hello["recent_chat"] == []
                assert first.hello["you"] is None
            await a.chat("第一条")
            sent = await a.next("chat")
            async with watch(live_server, live.session_id) as second:
                assert [chat["text"] for chat in second.hello["recent_chat"]] == ["第一条"]
                assert second.hello["online"] == 2
            deleted = await http.delete(
                f"/api/v1/live-sessions/{live.session_id}/chat/{sent['id']}",
                headers=live.host.headers,
            )
            assert deleted.status_code == 204
            await a.next("chat_deleted")
            async with watch(live_server, live.session_id, live.host) as host:
                assert host.hello["recent_chat"] == []
                # The viewer's own part is never shared.
                assert host.hello["you"] == {
                    "user_id": live.host.id,
                    "display_name": "主播小美",
                    "can_moderate": True,
                    "unread": 0,
                }
