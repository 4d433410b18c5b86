"""Every error the live-room WebSocket sends carries its ``code`` and a ``message`` in the
connection's language: the ``lang`` query parameter, else the ``lang`` cookie, the
account's locale, Accept-Language, else Chinese."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from livecommerce.kit.ids import new_id
from livecommerce.kit.messages import ERROR_MESSAGES
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import http_client, start_live_session, watch
from tests.web.test_room_errors import room_error_codes


def test_every_room_error_has_a_server_sentence_in_both_languages() -> None:
    missing = {code for code in room_error_codes() if code not in ERROR_MESSAGES}
    assert missing == set()
    for code in room_error_codes():
        zh, en = ERROR_MESSAGES[code]
        assert zh != en, code


async def test_errors_come_in_the_language_of_the_connection(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        english = await sign_up(http, name="Ann")
        switched = await http.patch(
            "/api/v1/me/locale", headers=english.headers, json={"locale": "en"}
        )
        assert switched.status_code == 200, switched.text
        chinese = await sign_up(http, name="阿明")
        added = await http.post(
            f"/api/v1/rooms/{live.room_id}/blocked-words",
            headers=live.host.headers,
            json={"word": "加微信"},
        )
        assert added.status_code == 201, added.text
    session = live.session_id

    # Anonymous: Chinese by default, English when asked by query or by Accept-Language.
    async with watch(live_server, session) as anonymous:
        await anonymous.chat("你好")
        assert await anonymous.next("error") == {
            "type": "error",
            "code": "not_authenticated",
            "message": "请先登录",
        }
    async with watch(live_server, session, additional_headers={"Accept-Language": "en-GB"}) as ws:
        await ws.send({"type": "like"})
        assert await ws.next("error") == {
            "type": "error",
            "code": "not_authenticated",
            "message": "Log in to like.",
        }

    # An account's locale picks the language; ?lang= outranks it.
    async with watch(live_server, session, english) as ann:
        await ann.socket.send("not json")
        assert await ann.next("error") == {
            "type": "error",
            "code": "bad_message",
            "message": "That message is not valid JSON.",
        }
        await ann.chat("加微信吧")
        assert await ann.next("error") == {
            "type": "error",
            "code": "blocked_word",
            "message": "Your message contains a word this room does not allow.",
        }
    url = f"{live_server.ws_url}/ws/live/{session}"
    async with websockets.connect(f"{url}?token={english.token}&lang=zh") as socket:
        assert json.loads(await socket.recv())["type"] == "hello"
        await socket.send(json.dumps({"type": "chat", "text": "加微信吧"}))
        assert await _next_error(socket) == {
            "type": "error",
            "code": "blocked_word",
            "message": "消息包含违禁词",
        }
    async with watch(
        live_server, session, chinese, additional_headers={"Accept-Language": "en"}
    ) as ming:
        await ming.send({"type": "like", "count": 0})  # the locale (zh) outranks the header
        assert await ming.next("error") == {
            "type": "error",
            "code": "bad_message",
            "message": "消息格式不正确",
        }

    # Refused at connect: an unknown session, a cookie socket from another site.
    for headers, sentence in [
        ({"Accept-Language": "zh-CN"}, "这场直播不存在"),
        ({"Accept-Language": "en-US,en;q=0.9"}, "No such live session."),
    ]:
        async with websockets.connect(
            f"{live_server.ws_url}/ws/live/{new_id()}", additional_headers=headers
        ) as socket:
            assert json.loads(await socket.recv()) == {
                "type": "error",
                "code": "live_session_not_found",
                "message": sentence,
            }
            with pytest.raises(ConnectionClosed):
                await socket.recv()
    async with http_client(live_server) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"email": chinese.email, "password": chinese.password}
        )
        assert login.status_code == 200
        cookie = http.cookies.get("lc_session")
    for lang, sentence in [
        ("en", "This page may not open the live room with your log-in."),
        ("zh", "这个页面不能用你的登录打开直播间"),
    ]:
        async with websockets.connect(
            url,
            additional_headers={"Cookie": f"lc_session={cookie}; lang={lang}"},
            origin=Origin("https://evil.example"),
        ) as socket:
            assert json.loads(await socket.recv()) == {
                "type": "error",
                "code": "origin_not_allowed",
                "message": sentence,
            }


async def _next_error(socket: websockets.ClientConnection) -> dict[str, object]:
    while True:
        message: dict[str, object] = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if message["type"] == "error":
            return message
