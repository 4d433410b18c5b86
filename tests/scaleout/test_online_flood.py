"""Crash-safe online counts and flood control, on whichever broker the run uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from livecommerce.config import Settings
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import clock, utcnow
from livecommerce.realtime.hub import LiveHub, online_key
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import eventually, http_client, start_live_session, until, watch


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"chat_rate_per_10s": 100, "flood_room_chat_per_s": 3, "online_ttl_s": 2.0}
    )


def chat(number: int) -> dict[str, Any]:
    return {
        "type": "chat",
        "id": f"m{number}",
        "user_id": "u",
        "display_name": "路人",
        "text": f"第{number}条",
        "at": "2026-01-01T00:00:00Z",
    }


async def test_a_dead_workers_viewers_stop_counting_when_its_share_expires(
    live_server: LiveServer,
) -> None:
    runtime = live_server.app.state.runtime
    hub: LiveHub = runtime.extras["hub"]
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        viewer = await sign_up(http)
        async with watch(live_server, live.session_id, viewer) as v:
            assert v.hello["online"] == 1
            # Another worker reported 4 viewers, then died without a word. (Its share
            # lives 5 s: long enough to be seen counted on a loaded machine.)
            await runtime.broker.report_share(online_key(live.session_id), "dead", 4, 5.0)
            assert await hub.current_online(live.session_id) == 5
            await until(v, "online", lambda message: message["online"] == 5)
            stats = await http.get(
                f"/api/v1/live-sessions/{live.session_id}/stats", headers=live.host.headers
            )
            assert stats.json()["online"] == 5
            # This worker keeps re-reporting its own share; the dead one's expires.
            await until(v, "online", lambda message: message["online"] == 1, within=15)
            stats = await http.get(
                f"/api/v1/live-sessions/{live.session_id}/stats", headers=live.host.headers
            )
            assert stats.json()["online"] == 1
            assert stats.json()["peak_online"] == 1  # a share is not a viewer who entered

        async def nobody() -> bool:
            return await hub.current_online(live.session_id) == 0

        await eventually(nobody)


async def test_a_flooding_room_broadcasts_its_budget_and_the_sender_sees_the_rest(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
        async with (
            watch(live_server, live.session_id, alice) as a,
            watch(live_server, live.session_id, bob) as b,
        ):
            clock.freeze(utcnow())  # every message in one second of the room's budget
            for number in range(5):
                await a.chat(f"刷屏{number}")
                await until(a, "chat", lambda m, n=number: m["text"] == f"刷屏{n}")
            got = [m["text"] for m in b.received if m["type"] == "chat"]
            while len(got) < 3:
                got.append((await b.next("chat"))["text"])
            await b.quiet({"chat"})
            assert got == ["刷屏0", "刷屏1", "刷屏2"]
            assert [m["text"] for m in a.of_type("chat")] == [f"刷屏{n}" for n in range(5)]
            # The next second has a budget again.
            clock.advance(timedelta(seconds=1))
            await a.chat("下一秒")
            assert (await a.next("chat"))["text"] == "下一秒", a.received
            assert (await b.next("chat"))["text"] == "下一秒"
        stored = await http.get(f"/api/v1/live-sessions/{live.session_id}/chat")
        # Stored in the same frozen second: compare without their order.
        assert sorted(m["text"] for m in stored.json()["items"]) == [
            "下一秒",
            "刷屏0",
            "刷屏1",
            "刷屏2",
        ]
        counters = await http.get(
            f"/api/v1/live-sessions/{live.session_id}/flood", headers=live.host.headers
        )
        assert counters.status_code == 200
        assert counters.json() == {"chat_sampled_out": 2, "chat_skipped_for_viewers": 0}
        forbidden = await http.get(
            f"/api/v1/live-sessions/{live.session_id}/flood", headers=bob.headers
        )
        assert forbidden.status_code == 403
        missing = await http.get(
            f"/api/v1/live-sessions/{'0' * 32}/flood", headers=live.host.headers
        )
        assert missing.status_code == 404


@pytest.mark.parametrize("viewer_cap", [1])
async def test_each_viewer_gets_at_most_its_chat_cap_and_every_high_priority_event(
    live_server: LiveServer, settings: Settings, viewer_cap: int
) -> None:
    runtime = live_server.app.state.runtime
    hub: LiveHub = runtime.extras["hub"]
    hub.viewer_chat_per_s = float(viewer_cap)
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        channel = live_channel(live.session_id)
        async with (
            watch(live_server, live.session_id) as first,
            watch(live_server, live.session_id) as second,
        ):
            for number in range(10):
                await runtime.broker.publish(channel, chat(number))
                await runtime.broker.publish(
                    channel,
                    {"type": "purchase", "buyer": "小*", "product_title": "围巾", "quantity": 1},
                )
            for viewer in (first, second):
                purchases = 0
                while purchases < 10:
                    purchases += (await viewer.next("purchase"))["type"] == "purchase"
                await viewer.quiet({"chat"}, seconds=0.2)
                assert [m["id"] for m in viewer.of_type("chat")] == ["m0"]
        counters = await http.get(
            f"/api/v1/live-sessions/{live.session_id}/flood", headers=live.host.headers
        )
        assert counters.json() == {"chat_sampled_out": 0, "chat_skipped_for_viewers": 18}
