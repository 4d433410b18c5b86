"""Deeply nested JSON frames and invisible or reordering chat text get an error frame
and leave the socket working."""

from __future__ import annotations

import pytest

from livecommerce.realtime.connection import MAX_JSON_DEPTH, json_too_deep
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import http_client, start_live_session, watch


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        ('{"type": "chat", "text": "[[[[[[[[[[[[[[[[[[[["}', False),
        ('{"type": "chat", "text": "\\"[[[[[[[[[[[[[[[[[[[["}', False),
        ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, False),
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), True),
        ('{"a":' * 1000 + "1" + "}" * 1000, True),
        ("[" * 100_000, True),
        ("[]" * 1000, False),
    ],
)
def test_json_too_deep(text: str, too_deep: bool) -> None:
    assert json_too_deep(text) is too_deep


@pytest.mark.parametrize(
    "frame",
    ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 4000],
)
async def test_a_deeply_nested_frame_gets_an_error_and_the_socket_keeps_working(
    live_server: LiveServer, frame: str
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with watch(live_server, live.session_id, alice) as a:
        await a.socket.send(frame)
        error = await a.next("error")
        assert error["code"] == "bad_message"
        await a.send({"type": "ping"})
        assert await a.next("pong") == {"type": "pong"}
        await a.chat("还在")
        assert (await a.next("chat"))["text"] == "还在"


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u202egnp.exe", "a\u2066b"])
async def test_chat_text_that_hides_or_reorders_itself_is_refused(
    live_server: LiveServer, text: str
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with watch(live_server, live.session_id, alice) as a:
        await a.chat(text)
        error = await a.next("error")
        assert error["code"] == "bad_message"
        await a.chat("正常")
        assert (await a.next("chat"))["text"] == "正常"
