"""The per-user chat rate limit, shared through the broker's counters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from livecommerce.config import Settings
from livecommerce.kit.clock import clock, utcnow
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import http_client, start_live_session, until, watch


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
        assert "3" in error["message"]
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
