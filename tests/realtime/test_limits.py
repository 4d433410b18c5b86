"""The per-user chat rate limit, shared through the broker's counters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from livecommerce.config import Settings
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.messages import ERROR_MESSAGES
from tests.conftest import TEST_REDIS_URL, LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import (
    another_worker,
    http_client,
    start_live_session,
    until,
    watch,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chat_rate_per_10s": 3})


def to_start_of_a_window() -> None:
    """Move the clock just past a 10-second boundary, so a burst stays in one window."""
    into_window = utcnow().timestamp() % 10
    clock.advance(timedelta(seconds=10 - into_window + 0.01))


async def test_the_fourth_message_in_ten_seconds_is_rate_limited(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
    async with (
        watch(live_server, live.session_id, bob) as b,
        watch(live_server, live.session_id, alice) as a,
    ):
        to_start_of_a_window()
        for number in range(3):
            await a.chat(f"第{number}条")
            assert (await a.next("chat"))["text"] == f"第{number}条"
        await a.chat("第3条")
        error = await a.next("error")
        assert error["code"] == "rate_limited"
        # In the connection's language (Chinese unless the viewer asks otherwise).
        assert error["message"] == ERROR_MESSAGES["rate_limited"][0]
        # Another user has an allowance of their own.
        await b.chat("我也说")
        await until(b, "chat", lambda message: message["text"] == "我也说")
        # The next window lets Alice speak again.
        clock.advance(timedelta(seconds=10))
        await a.chat("又可以了")
        await until(a, "chat", lambda message: message["text"] == "又可以了")
        await until(b, "chat", lambda message: message["text"] == "又可以了")
        await b.quiet({"error", "chat"})
        await a.quiet({"error"})
    assert [m["text"] for m in b.of_type("chat")] == [
        "第0条",
        "第1条",
        "第2条",
        "我也说",
        "又可以了",
    ]


@pytest.mark.skipif(not TEST_REDIS_URL, reason="app workers share a room through Redis")
async def test_two_app_workers_share_chat_likes_online_and_the_rate_limit(
    live_server: LiveServer, settings: Settings
) -> None:
    async with another_worker(settings) as second, http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
        async with (
            watch(live_server, live.session_id, alice) as a1,
            watch(second, live.session_id, bob) as b2,
            watch(second, live.session_id, alice) as a2,
        ):
            assert [a1.hello["online"], b2.hello["online"], a2.hello["online"]] == [1, 2, 3]
            await until(a1, "online", lambda message: message["online"] == 3)
            to_start_of_a_window()
            await a1.chat("一号机")
            assert (await b2.next("chat"))["text"] == "一号机"
            await a2.chat("二号机")
            assert (await until(a1, "chat", lambda m: m["text"] == "二号机"))["user_id"] == alice.id
            await a1.chat("第三条")
            await until(b2, "chat", lambda message: message["text"] == "第三条")
            await a2.chat("第四条")  # the fourth in this window, on whichever worker
            assert (await a2.next("error"))["code"] == "rate_limited"
            await b2.send({"type": "like", "count": 7})
            await a1.send({"type": "like", "count": 2})
            await until(a1, "likes", lambda message: message["total"] == 9)
            await until(b2, "likes", lambda message: message["total"] == 9)
            chat_id = b2.of_type("chat")[0]["id"]
            deleted = await http.delete(
                f"/api/v1/live-sessions/{live.session_id}/chat/{chat_id}",
                headers=live.host.headers,
            )
            assert deleted.status_code == 204
            assert (await b2.next("chat_deleted"))["id"] == chat_id
        assert [m["text"] for m in b2.of_type("chat")] == ["一号机", "二号机", "第三条"]
