"""Chat over the live-room WebSocket: two real clients against a real server."""

from __future__ import annotations

import json
import re
from datetime import datetime

import httpx
import pytest
import websockets
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from livecommerce.kit.ids import new_id
from livecommerce.models import BehaviourEvent
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import eventually, http_client, start_live_session, watch

HEX32 = re.compile(r"^[0-9a-f]{32}$")


async def test_hello_then_a_chat_reaches_both_viewers_with_exact_fields(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http, name="小红")
        bob = await sign_up(http, name="Bob")
        async with watch(live_server, live.session_id, bob) as b:
            assert b.hello == {
                "type": "hello",
                "session_id": live.session_id,
                "you": {
                    "user_id": bob.id,
                    "display_name": "Bob",
                    "can_moderate": False,
                    "unread": 0,
                },
                "status": "live",
                "pinned": None,
                "online": 1,
                "likes": 0,
                "recent_chat": [],
            }
            async with watch(live_server, live.session_id, alice) as a:
                assert a.hello["online"] == 2
                await a.chat("  宝宝们好 ")
                received = await b.next("chat")
                echoed = await a.next("chat")
        assert echoed == received
        assert set(received) == {"type", "id", "user_id", "display_name", "text", "at", "badge"}
        assert received["badge"] is None  # not a fan-club member
        assert HEX32.match(received["id"])
        assert received["user_id"] == alice.id
        assert received["display_name"] == "小红"
        assert received["text"] == "宝宝们好"
        assert datetime.fromisoformat(received["at"]).tzinfo is not None
        listed = await http.get(f"/api/v1/live-sessions/{live.session_id}/chat")
        assert listed.status_code == 200
        assert listed.json() == {
            "items": [{k: v for k, v in received.items() if k != "type"}],
            "next_cursor": None,
        }


async def test_the_host_is_told_it_can_moderate(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
    async with watch(live_server, live.session_id, live.host) as host:
        assert host.hello["you"] == {
            "user_id": live.host.id,
            "display_name": "主播小美",
            "can_moderate": True,
            "unread": 0,
        }


async def test_script_text_is_delivered_verbatim_as_data(live_server: LiveServer) -> None:
    text = '<script>alert("x")</script> & <b>hi</b>'
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
    async with (
        watch(live_server, live.session_id, bob) as b,
        watch(live_server, live.session_id, alice) as a,
    ):
        await a.chat(text)
        assert (await b.next("chat"))["text"] == text


async def test_anonymous_viewers_read_and_ping_but_cannot_chat_or_like(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with (
        watch(live_server, live.session_id) as anonymous,
        watch(live_server, live.session_id, alice) as a,
    ):
        assert anonymous.hello["you"] is None
        await anonymous.chat("hello")
        error = await anonymous.next("error")
        assert error["code"] == "not_authenticated"
        assert error["message"]
        await anonymous.send({"type": "like"})
        assert (await anonymous.next("error"))["code"] == "not_authenticated"
        await anonymous.send({"type": "ping"})
        assert await anonymous.next("pong") == {"type": "pong"}
        await a.chat("大家好")
        assert (await anonymous.next("chat"))["text"] == "大家好"
        await a.quiet({"error", "likes"})
    async with http_client(live_server) as http:
        listed = await http.get(f"/api/v1/live-sessions/{live.session_id}/chat")
    assert [item["text"] for item in listed.json()["items"]] == ["大家好"]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_message"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dance"}', "bad_message"),
        ('{"no": "type"}', "bad_message"),
        ('{"type": "chat", "text": 42}', "bad_message"),
        ('{"type": "chat"}', "bad_message"),
        ('{"type": "chat", "text": "   "}', "bad_message"),
        ('{"type": "chat", "text": "' + "长" * 201 + '"}', "too_long"),
        ('{"type": "like", "count": 21}', "bad_message"),
        ('{"type": "like", "count": 0}', "bad_message"),
        ('{"type": "like", "count": "3"}', "bad_message"),
        ('{"type": "like", "count": true}', "bad_message"),
        ('{"type": "chat", "text": "' + "x" * 9000 + '"}', "bad_message"),
        (b"\x00\x01binary", "bad_message"),
    ],
)
async def test_bad_messages_get_an_error_and_the_socket_stays_open(
    live_server: LiveServer, frame: str | bytes, code: str
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with watch(live_server, live.session_id, alice) as a:
        await a.socket.send(frame)
        error = await a.next("error")
        assert error["code"] == code
        assert error["message"]
        await a.send({"type": "ping"})
        assert await a.next("pong") == {"type": "pong"}
        await a.chat("长" * 200)  # exactly the limit is fine
        assert (await a.next("chat"))["text"] == "长" * 200


async def test_an_unknown_session_gets_an_error_and_close_4404(live_server: LiveServer) -> None:
    async with watch(live_server, new_id(), expect_hello=False) as viewer:
        error = await viewer.recv()
        assert error["type"] == "error"
        assert error["code"] == "live_session_not_found"
        with pytest.raises(ConnectionClosed) as closed:
            await viewer.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404


async def test_an_ended_session_stays_readable_but_chat_is_closed(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        async with watch(live_server, live.session_id, alice) as a:
            await a.chat("再见")
            await a.next("chat")
            ended = await http.post(
                f"/api/v1/live-sessions/{live.session_id}/end", headers=live.host.headers
            )
            assert ended.status_code == 200
            assert (await a.next("session_state"))["status"] == "ended"
            await a.chat("还有吗")
            assert (await a.next("error"))["code"] == "session_ended"
        async with watch(live_server, live.session_id, alice) as again:
            assert again.hello["status"] == "ended"
            assert [chat["text"] for chat in again.hello["recent_chat"]] == ["再见"]
            await again.send({"type": "ping"})
            assert await again.next("pong") == {"type": "pong"}


async def test_hello_carries_the_last_30_visible_messages_oldest_first(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        talkers = [await sign_up(http) for _ in range(4)]
        texts = []
        for number, talker in enumerate(talkers):
            async with watch(live_server, live.session_id, talker) as viewer:
                for line in range(8):
                    text = f"{number}-{line}"
                    texts.append(text)
                    await viewer.chat(text)
                    assert (await viewer.next("chat"))["text"] == text
        async with watch(live_server, live.session_id) as late:
            assert [chat["text"] for chat in late.hello["recent_chat"]] == texts[-30:]
        five = await http.get(f"/api/v1/live-sessions/{live.session_id}/chat?limit=5")
        assert [item["text"] for item in five.json()["items"]] == texts[-5:]
        for bad in ("0", "101", "x"):
            response = await http.get(f"/api/v1/live-sessions/{live.session_id}/chat?limit={bad}")
            assert response.status_code == 422
            assert response.json()["code"] == "validation_failed"
        missing = await http.get(f"/api/v1/live-sessions/{new_id()}/chat")
        assert missing.status_code == 404
        assert missing.json()["code"] == "live_session_not_found"


async def log_in_with_cookie(http: httpx.AsyncClient, email: str, password: str) -> str:
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200
    cookie = http.cookies.get("lc_session")
    assert cookie
    return cookie


async def test_a_cookie_socket_from_another_site_is_refused(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        cookie = await log_in_with_cookie(http, alice.email, alice.password)
    url = f"{live_server.ws_url}/ws/live/{live.session_id}"
    headers = {"Cookie": f"lc_session={cookie}"}
    async with websockets.connect(
        url, additional_headers=headers, origin=Origin("https://evil.example")
    ) as socket:
        error = json.loads(await socket.recv())
        assert error["type"] == "error"
        assert error["code"] == "origin_not_allowed"
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403
    # The same cookie from the platform's own pages is fine…
    async with websockets.connect(
        url, additional_headers=headers, origin=Origin(live_server.url)
    ) as socket:
        hello = json.loads(await socket.recv())
        assert hello["type"] == "hello"
        assert hello["you"]["user_id"] == alice.id
    # …and a token is not a cookie a foreign page could ride on.
    async with websockets.connect(
        f"{url}?token={alice.token}", origin=Origin("https://evil.example")
    ) as socket:
        assert json.loads(await socket.recv())["you"]["user_id"] == alice.id


async def test_a_bad_path_is_not_a_websocket(live_server: LiveServer) -> None:
    with pytest.raises(InvalidStatus):
        async with websockets.connect(f"{live_server.ws_url}/ws/nowhere"):
            pass


async def test_enter_and_leave_are_recorded_with_the_visitor_cookie(
    live_server: LiveServer,
) -> None:
    runtime = live_server.app.state.runtime
    visitor = new_id()
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
    async with (
        watch(
            live_server,
            live.session_id,
            additional_headers={"Cookie": f"lc_visitor={visitor}"},
        ),
        watch(live_server, live.session_id, alice),
        watch(live_server, live.session_id),
    ):
        pass

    async def events() -> list[BehaviourEvent]:
        async with runtime.db.transaction() as session:
            result = await session.execute(
                select(BehaviourEvent)
                .where(BehaviourEvent.session_id == live.session_id)
                .order_by(BehaviourEvent.id)
            )
            return list(result.scalars())

    async def three_left() -> bool:
        return sum(event.kind == "leave" for event in await events()) == 3

    await eventually(three_left)
    recorded = await events()
    enters = [event for event in recorded if event.kind == "enter"]
    assert len(enters) == 3
    assert all(event.room_id == live.room_id for event in recorded)
    by_visitor = {(event.user_id, event.visitor_id) for event in enters}
    assert (None, visitor) in by_visitor
    assert (alice.id, None) in by_visitor
    [random_visitor] = [v for u, v in by_visitor if u is None and v != visitor]
    assert random_visitor is not None
    assert HEX32.match(random_visitor)
    leaves = {(event.user_id, event.visitor_id) for event in recorded if event.kind == "leave"}
    assert leaves == by_visitor
