"""Live-session stats after a scripted session, and the page's own events."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.orders.shop import buyer_with_address, create_listing, open_stage, pay, place_order
from tests.realtime.helpers import http_client, start_live_session, until, watch


async def events_of(runtime: Runtime, session_id: str, kind: str) -> list[BehaviourEvent]:
    async with runtime.db.transaction() as session:
        result = await session.execute(
            select(BehaviourEvent)
            .where(BehaviourEvent.session_id == session_id, BehaviourEvent.kind == kind)
            .order_by(BehaviourEvent.id)
        )
        return list(result.scalars())


async def test_stats_add_up_after_a_scripted_session(live_server: LiveServer) -> None:
    visitor = new_id()
    async with http_client(live_server) as http:
        listing = await create_listing(http, price_cents=9900, stock=20)
        stage = await open_stage(http, [listing], live_price_cents=8800)
        stats_url = f"/api/v1/live-sessions/{stage.session_id}/stats"
        before = await http.get(stats_url, headers=stage.host.headers)
        assert before.status_code == 200
        assert before.json() == {
            "online": 0,
            "peak_online": 0,
            "viewers": 0,
            "likes": 0,
            "chats": 0,
            "orders": 0,
            "gmv_cents": 0,
        }
        alice, alice_address = await buyer_with_address(http, "Alice")
        bob, bob_address = await buyer_with_address(http, "Bob")
        blocked = await http.post(
            f"/api/v1/rooms/{stage.room_id}/blocked-words",
            headers=stage.host.headers,
            json={"word": "假货"},
        )
        assert blocked.status_code == 201
        cookie = {"Cookie": f"lc_visitor={visitor}"}
        async with (
            watch(live_server, stage.session_id, alice) as a,
            watch(live_server, stage.session_id, bob) as b,
            watch(live_server, stage.session_id, additional_headers=cookie),
        ):
            # The same browser twice and Alice again: still three viewers.
            async with (
                watch(live_server, stage.session_id, additional_headers=cookie),
                watch(live_server, stage.session_id, alice),
            ):
                pass
            await a.chat("好看")
            await a.chat("多少钱")
            await b.chat("已下单")
            await b.chat("假货吧")  # refused: not a chat
            assert (await b.next("error"))["code"] == "blocked_word"
            await a.send({"type": "like", "count": 4})
            await b.send({"type": "like", "count": 6})
            await until(a, "likes", lambda message: message["total"] == 10)
            # Bob buys two in the room and pays; Alice orders but never pays;
            # Bob's order outside the room is not the session's.
            paid = await place_order(
                http, bob, bob_address, listing, quantity=2, session_id=stage.session_id
            )
            await pay(http, bob, paid["id"])
            await until(a, "purchase", lambda message: message["quantity"] == 2)
            await place_order(http, alice, alice_address, listing, session_id=stage.session_id)
            elsewhere = await place_order(http, bob, bob_address, listing)
            await pay(http, bob, elsewhere["id"])
            during = await http.get(stats_url, headers=stage.host.headers)
        assert during.status_code == 200
        assert during.json() == {
            "online": 3,
            "peak_online": 5,
            "viewers": 3,
            "likes": 10,
            "chats": 3,
            "orders": 1,
            "gmv_cents": 2 * 8800,
        }
        assert paid["total_cents"] == 2 * 8800


async def test_stats_are_for_the_host_and_admins(client: httpx.AsyncClient) -> None:
    live = await start_live_session(client)
    viewer = await sign_up(client)
    url = f"/api/v1/live-sessions/{live.session_id}/stats"
    anonymous = await client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    refused = await client.get(url, headers=viewer.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_room_host"
    other_host = await sign_up(client, "host")
    assert (await client.get(url, headers=other_host.headers)).status_code == 403
    missing = await client.get(f"/api/v1/live-sessions/{new_id()}/stats", headers=viewer.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "live_session_not_found"


async def post_event(
    client: httpx.AsyncClient, session_id: str, body: dict[str, Any], **kwargs: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/live-sessions/{session_id}/events", json=body, **kwargs)


async def test_the_page_reports_shares_and_product_clicks(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    stage = await open_stage(client, [listing])
    other = await create_listing(client, merchant=listing.merchant, title="不在橱窗")
    viewer = await sign_up(client)

    first = await post_event(client, stage.session_id, {"kind": "share"})
    assert first.status_code == 204
    visitor = client.cookies.get("lc_visitor")
    assert visitor is not None
    assert len(visitor) == 32
    assert "httponly" in first.headers["set-cookie"].lower()
    again = await post_event(
        client, stage.session_id, {"kind": "product_click", "product_id": listing.product_id}
    )
    assert again.status_code == 204
    assert "set-cookie" not in again.headers  # the browser keeps its visitor id
    signed_in = await post_event(
        client,
        stage.session_id,
        {"kind": "product_click", "product_id": listing.product_id},
        headers=viewer.headers,
    )
    assert signed_in.status_code == 204

    shares = await events_of(runtime, stage.session_id, "share")
    clicks = await events_of(runtime, stage.session_id, "product_click")
    assert [(e.user_id, e.visitor_id, e.room_id, e.product_id) for e in shares] == [
        (None, visitor, stage.room_id, None)
    ]
    assert [(e.user_id, e.visitor_id, e.product_id) for e in clicks] == [
        (None, visitor, listing.product_id),
        (viewer.id, visitor, listing.product_id),
    ]

    no_product = await post_event(client, stage.session_id, {"kind": "product_click"})
    assert no_product.status_code == 422
    assert no_product.json()["code"] == "validation_failed"
    unknown_kind = await post_event(client, stage.session_id, {"kind": "order"})
    assert unknown_kind.status_code == 422
    not_shown = await post_event(
        client, stage.session_id, {"kind": "product_click", "product_id": other.product_id}
    )
    assert not_shown.status_code == 404
    assert not_shown.json()["code"] == "showcase_item_not_found"
    missing = await post_event(client, new_id(), {"kind": "share"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "live_session_not_found"
    assert len(await events_of(runtime, stage.session_id, "product_click")) == 2


async def test_a_cookie_session_needs_the_csrf_token_to_report(client: httpx.AsyncClient) -> None:
    live = await start_live_session(client)
    account = await sign_up(client)
    login = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    assert login.status_code == 200
    refused = await post_event(client, live.session_id, {"kind": "share"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    csrf = client.cookies.get("lc_csrf")
    assert csrf is not None
    allowed = await post_event(
        client, live.session_id, {"kind": "share"}, headers={"X-CSRF-Token": csrf}
    )
    assert allowed.status_code == 204
