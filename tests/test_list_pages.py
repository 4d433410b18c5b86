"""Every list endpoint of the HTTP API pages by cursor, found from the app's own routes."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Video, VideoStatus
from tests.c2b.helpers import create_presale, make_world
from tests.catalog.helpers import make_admin
from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule

# GET routes that return a list but are not paged, and why.
NOT_PAGED = {
    "/api/v1/ledger/platform": "the platform's own accounts: one per kind and currency",
    "/api/v1/ledger/orders/{order_id}/refunds": "the refunds of one order",
    "/api/v1/ledger/statements/{statement_id}": "one statement with its period's lines",
    "/api/v1/ledger/verify": "a verification report, not a listing",
    "/api/v1/live-sessions/{session_id}/showcase": "a session's showcase is capped",
    "/api/v1/live-sessions/{session_id}/interactions": "the room's current state",
    "/api/v1/products/{product_id}": "one product with its SKUs and images",
    "/api/v1/products/{product_id}/faq": "the 50 most upvoted answers, by design",
    "/api/v1/rooms/{room_id}/blocked-words": "the room's blocked-word set, capped",
    "/api/v1/lotteries/{lottery_id}": "one lottery with its winners (capped by the prize)",
    "/api/v1/mcn/agency/dashboard": "an agency's figures",
    "/api/v1/orders/{order_id}": "one order with its items",
    "/api/v1/coupons/{coupon_id}": "one coupon",
    "/api/v1/payments/{payment_id}": "one payment",
    "/api/v1/live-sessions/{session_id}": "one session",
    "/api/v1/rooms/{room_id}": "one room",
    "/api/v1/rooms/mine": "one room",
    "/api/v1/notifications/preferences": "one choice per category: four rows",
    "/api/v1/hosts/{room_id}": "one host page; its sections are capped, sessions page by room",
    "/api/v1/live-sessions/{session_id}/replay": "one replay with its timeline and showcase",
    "/api/v1/live-sessions/{session_id}/stream-health": "one stream's health",
    "/api/v1/dashboards/sessions/{session_id}": "one session's figures (a day of minutes)",
    "/api/v1/me/profile": "one profile; its interest lists are capped at 20",
    "/api/v1/recommendations/products": "a ranked top K (at most 50), not a listing",
    "/api/v1/recommendations/rooms": "a ranked top K (at most 50), not a listing",
    "/api/v1/recommendations/selection": "a ranked top K (at most 50), not a listing",
    "/api/v1/products/{product_id}/also": "a ranked top K (at most 30), not a listing",
    "/api/v1/products/{product_id}/audience": "one audience profile (shares per interest)",
    "/api/v1/rooms/{room_id}/audience": "one audience profile (shares per interest)",
    "/api/v1/products/{product_id}/segment": "one segment's size and profile, never people",
    "/api/v1/live-sessions/{session_id}/segment": "one segment's size and profile, never people",
    "/api/v1/dashboards/sessions/{session_id}/report": "one session's report",
    "/api/v1/dashboards/platform": "the platform's figures: top tens and 30 days",
    "/api/v1/dashboards/selection": "the 50 hottest products, by design",
    "/api/v1/presales/{campaign_id}": "one pre-sale with its customisation fields",
    "/api/v1/production-orders/{production_id}": "one production order with its lines",
    "/api/v1/videos/{video_id}": "one video with its tags and linked products",
    "/api/v1/traffic/sessions/{session_id}/panel": "one session's panel: a row per metric",
    "/api/v1/admin/traffic/distribution": "the last day's figures with the top ten rooms",
    "/api/v1/live-sessions/{session_id}/polls": "the session's 20 newest polls, by design",
    "/api/v1/rooms/{room_id}/fan-messages/products": "the room's 100 best-selling products",
}


def _is_array(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return True
    return any(_is_array(option) for option in schema.get("anyOf", []))


class _Route:
    """A GET operation of the API as the OpenAPI document describes it."""

    def __init__(self, path: str, operation: dict[str, Any], components: dict[str, Any]) -> None:
        self.path = path
        self.parameters = {param["name"] for param in operation.get("parameters", [])}
        content = operation["responses"].get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        properties: dict[str, Any] = schema.get("properties", {})
        self.returns_a_list = _is_array(schema) or any(
            _is_array(prop) for prop in properties.values()
        )
        self.paged = "next_cursor" in properties


def _get_routes(app: FastAPI) -> list[_Route]:
    document = app.openapi()
    components = document.get("components", {}).get("schemas", {})
    return [
        _Route(path, operations["get"], components)
        for path, operations in document["paths"].items()
        if path.startswith("/api/") and "get" in operations
    ]


def test_every_list_endpoint_pages_or_says_why_not(app: FastAPI) -> None:
    lists = {route.path for route in _get_routes(app) if route.returns_a_list}
    paged = {route.path for route in _get_routes(app) if route.paged}
    unexplained = lists - paged - set(NOT_PAGED)
    assert unexplained == set()
    assert set(NOT_PAGED) <= lists - paged  # the exemption list stays current
    assert {
        "/api/v1/orders",
        "/api/v1/merchant/orders",
        "/api/v1/products",
        "/api/v1/live-sessions",
        "/api/v1/rooms/{room_id}/sessions",
        "/api/v1/live-sessions/{session_id}/chat",
        "/api/v1/ledger/statements",
        "/api/v1/ledger/earnings",
        "/api/v1/coupons/mine",
        "/api/v1/mcn/offers",
    } <= paged
    for route in _get_routes(app):
        if route.paged:
            assert {"limit", "cursor"} <= route.parameters, route.path


async def test_every_paged_endpoint_takes_limit_and_cursor_and_refuses_a_bad_one(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live = await schedule(client, host, room["id"])
    admin = await sign_up(client)
    await make_admin(runtime, admin)
    world = await make_world(client, buyers=0)  # its merchant owns a pre-sale
    presale = await create_presale(client, world)
    video_id = new_id()
    async with runtime.db.transaction() as session:
        session.add(
            Video(
                id=video_id,
                owner_id=host.id,
                room_id=room["id"],
                status=VideoStatus.READY,
                title="上新",
                published_at=utcnow(),
            )
        )
    accounts: list[Account | None] = [
        None,
        host,
        world.merchant,
        await sign_up(client),
        admin,
    ]
    values = {
        "room_id": room["id"],
        "session_id": live["id"],
        "campaign_id": presale["id"],
        "video_id": video_id,
        "product_id": world.listing.product_id,
    }
    checked = []
    for route in _get_routes(app):
        if not route.paged:
            continue
        path = re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], route.path)
        for account in accounts:
            headers = {} if account is None else account.headers
            first = await client.get(path, params={"limit": 1}, headers=headers)
            if first.status_code in (401, 403):
                continue
            assert first.status_code == 200, (path, first.text)
            assert "next_cursor" in first.json()
            bad = await client.get(
                path, params={"limit": 1, "cursor": "not-a-cursor"}, headers=headers
            )
            assert bad.status_code == 422, (path, bad.text)
            assert bad.json()["code"] == "bad_cursor"
            assert bad.json()["message"] == "翻页位置无效，请从第一页重新开始"  # zh by default
            for limit in (0, 101):
                wrong = await client.get(path, params={"limit": limit}, headers=headers)
                assert wrong.status_code == 422, (path, limit)
                assert wrong.json()["code"] == "validation_failed"
            checked.append(route.path)
            break
        else:
            raise AssertionError(f"no account may read {path}")
    assert len(checked) == len([route for route in _get_routes(app) if route.paged])
