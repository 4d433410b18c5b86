"""Moderation: deleting chat, mutes and blocked words (REST) and their effect on chat."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from livecommerce.kit.clock import clock
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role, User
from tests.conftest import LiveServer
from tests.factories import Account, sign_up
from tests.realtime.helpers import http_client, start_live_session, watch


async def make_admin(runtime: Runtime, account: Account) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == account.id).values(role=Role.PLATFORM_ADMIN)
        )


async def test_deleting_a_message_tells_every_viewer_and_hides_it(
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
            await a.chat("广告广告")
            message = await b.next("chat")
            await a.chat("正常发言")
            await b.next("chat")
            url = f"/api/v1/live-sessions/{live.session_id}/chat/{message['id']}"
            forbidden = await http.delete(url, headers=bob.headers)
            assert forbidden.status_code == 403
            assert forbidden.json()["code"] == "not_room_host"
            anonymous = await http.delete(url)
            assert anonymous.status_code == 401
            deleted = await http.delete(url, headers=live.host.headers)
            assert deleted.status_code == 204
            assert await a.next("chat_deleted") == {"type": "chat_deleted", "id": message["id"]}
            assert await b.next("chat_deleted") == {"type": "chat_deleted", "id": message["id"]}
            # Deleting again changes nothing and announces nothing.
            again = await http.delete(url, headers=live.host.headers)
            assert again.status_code == 204
            await b.quiet({"chat_deleted"})
        missing = await http.delete(
            f"/api/v1/live-sessions/{live.session_id}/chat/{new_id()}", headers=live.host.headers
        )
        assert missing.status_code == 404
        assert missing.json()["code"] == "chat_message_not_found"
        listed = await http.get(f"/api/v1/live-sessions/{live.session_id}/chat")
        assert [item["text"] for item in listed.json()["items"]] == ["正常发言"]
        async with watch(live_server, live.session_id) as late:
            assert [chat["text"] for chat in late.hello["recent_chat"]] == ["正常发言"]


async def test_a_platform_admin_may_delete_chat_too(live_server: LiveServer) -> None:
    runtime = live_server.app.state.runtime
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        admin = await sign_up(http)
        await make_admin(runtime, admin)
        async with watch(live_server, live.session_id, alice) as a:
            await a.chat("违规")
            message = await a.next("chat")
            deleted = await http.delete(
                f"/api/v1/live-sessions/{live.session_id}/chat/{message['id']}",
                headers=admin.headers,
            )
            assert deleted.status_code == 204
            assert (await a.next("chat_deleted"))["id"] == message["id"]


async def mute(
    http: httpx.AsyncClient, live_room: str, by: Account, user_id: str, minutes: int | None
) -> httpx.Response:
    return await http.post(
        f"/api/v1/rooms/{live_room}/mutes",
        headers=by.headers,
        json={"user_id": user_id, "minutes": minutes},
    )


async def test_a_muted_user_gets_muted_until_the_mute_is_lifted(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
        async with (
            watch(live_server, live.session_id, bob) as b,
            watch(live_server, live.session_id, alice) as a,
        ):
            muted = await mute(http, live.room_id, live.host, alice.id, None)
            assert muted.status_code == 201
            body = muted.json()
            assert body["room_id"] == live.room_id
            assert body["user_id"] == alice.id
            assert body["until"] is None
            assert body["created_by"] == live.host.id
            await a.chat("我被禁言了吗")
            error = await a.next("error")
            assert error["code"] == "muted"
            listed = await http.get(
                f"/api/v1/rooms/{live.room_id}/mutes", headers=live.host.headers
            )
            assert [item["user_id"] for item in listed.json()["items"]] == [alice.id]
            lifted = await http.delete(
                f"/api/v1/rooms/{live.room_id}/mutes/{alice.id}", headers=live.host.headers
            )
            assert lifted.status_code == 204
            again = await http.delete(
                f"/api/v1/rooms/{live.room_id}/mutes/{alice.id}", headers=live.host.headers
            )
            assert again.status_code == 404
            assert again.json()["code"] == "mute_not_found"
            await a.chat("我又能说话了")
            assert (await b.next("chat"))["text"] == "我又能说话了"
            assert [m["text"] for m in b.of_type("chat")] == ["我又能说话了"]


async def test_a_timed_mute_runs_out(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        first = await mute(http, live.room_id, live.host, alice.id, 5)
        assert first.status_code == 201
        # Muting again replaces the mute (200), here with a shorter one.
        second = await mute(http, live.room_id, live.host, alice.id, 1)
        assert second.status_code == 200
        async with watch(live_server, live.session_id, alice) as a:
            await a.chat("一")
            assert (await a.next("error"))["code"] == "muted"
            clock.advance(timedelta(minutes=1, seconds=1))
            await a.chat("二")
            assert (await a.next("chat"))["text"] == "二"
        listed = await http.get(f"/api/v1/rooms/{live.room_id}/mutes", headers=live.host.headers)
        assert listed.json() == {"items": [], "next_cursor": None}


async def test_mutes_are_for_the_host_of_an_existing_room_about_an_existing_user(
    live_server: LiveServer,
) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        other_host = await sign_up(http, "host")
        not_host = await mute(http, live.room_id, other_host, alice.id, 10)
        assert not_host.status_code == 403
        assert not_host.json()["code"] == "not_room_host"
        by_viewer = await mute(http, live.room_id, alice, alice.id, 10)
        assert by_viewer.status_code == 403
        no_login = await http.post(
            f"/api/v1/rooms/{live.room_id}/mutes", json={"user_id": alice.id, "minutes": 10}
        )
        assert no_login.status_code == 401
        no_room = await mute(http, new_id(), live.host, alice.id, 10)
        assert no_room.status_code == 404
        assert no_room.json()["code"] == "room_not_found"
        no_user = await mute(http, live.room_id, live.host, new_id(), 10)
        assert no_user.status_code == 404
        assert no_user.json()["code"] == "user_not_found"
        self_mute = await mute(http, live.room_id, live.host, live.host.id, 10)
        assert self_mute.status_code == 422
        assert self_mute.json()["code"] == "cannot_mute_host"
        for minutes in (0, -5, 10**7):
            bad = await mute(http, live.room_id, live.host, alice.id, minutes)
            assert bad.status_code == 422
            assert bad.json()["code"] == "validation_failed"
        listing = await http.get(f"/api/v1/rooms/{live.room_id}/mutes", headers=alice.headers)
        assert listing.status_code == 403
        unmute = await http.delete(
            f"/api/v1/rooms/{live.room_id}/mutes/{alice.id}", headers=other_host.headers
        )
        assert unmute.status_code == 403


async def test_blocked_words_are_refused_in_any_case(live_server: LiveServer) -> None:
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        alice = await sign_up(http)
        bob = await sign_up(http)
        words_url = f"/api/v1/rooms/{live.room_id}/blocked-words"
        added = await http.post(words_url, headers=live.host.headers, json={"word": "  加微信 "})
        assert added.status_code == 201
        word = added.json()
        assert word["word"] == "加微信"
        assert word["room_id"] == live.room_id
        spam = await http.post(words_url, headers=live.host.headers, json={"word": "Spam"})
        assert spam.status_code == 201
        assert spam.json()["word"] == "spam"
        duplicate = await http.post(words_url, headers=live.host.headers, json={"word": "SPAM"})
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "blocked_word_exists"
        listed = await http.get(words_url, headers=live.host.headers)
        assert [item["word"] for item in listed.json()["items"]] == ["加微信", "spam"]
        async with (
            watch(live_server, live.session_id, bob) as b,
            watch(live_server, live.session_id, alice) as a,
        ):
            await a.chat("快来 加微信 领券")
            assert (await a.next("error"))["code"] == "blocked_word"
            await a.chat("buy sPaM now")
            assert (await a.next("error"))["code"] == "blocked_word"
            removed = await http.delete(
                f"{words_url}/{spam.json()['id']}", headers=live.host.headers
            )
            assert removed.status_code == 204
            await a.chat("buy sPaM now")
            assert (await b.next("chat"))["text"] == "buy sPaM now"
            assert [m["text"] for m in b.of_type("chat")] == ["buy sPaM now"]
        gone = await http.delete(f"{words_url}/{spam.json()['id']}", headers=live.host.headers)
        assert gone.status_code == 404
        assert gone.json()["code"] == "blocked_word_not_found"
        for body in ({"word": ""}, {"word": "   "}, {"word": "x" * 61}, {}):
            bad = await http.post(words_url, headers=live.host.headers, json=body)
            assert bad.status_code == 422, body
        for method in ("GET", "POST"):
            refused = await http.request(
                method, words_url, headers=alice.headers, json={"word": "坏"}
            )
            assert refused.status_code == 403
            assert refused.json()["code"] == "not_room_host"
        assert (await http.get(words_url)).status_code == 401
        refused_delete = await http.delete(f"{words_url}/{word['id']}", headers=alice.headers)
        assert refused_delete.status_code == 403
