"""Walking a list page by page gives the same rows, in the same order, as one big page:
for orders that mix directions, sort on expressions, run backwards, or tie on time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, update

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ChatMessage, Product, Question
from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule


async def _pages(
    client: httpx.AsyncClient,
    path: str,
    limit: int,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": limit, **({} if cursor is None else {"cursor": cursor})}
        response = await client.get(path, params=query, headers=headers or {})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def _stage(client: httpx.AsyncClient) -> tuple[Account, str]:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live = await schedule(client, host, room["id"])
    return host, str(live["id"])


async def test_ranked_questions_page_in_rank_order(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, session_id = await _stage(client)
    at = utcnow() - timedelta(minutes=5)
    rows = [
        {
            "id": new_id(),
            "session_id": session_id,
            "user_id": host.id,
            "display_name": "观众",
            "text": f"问题 {number}",
            "upvotes": number % 3,
            "host_rank": (None, None, 0, 1)[number % 4],
            "status": "open",
            "created_at": at + timedelta(seconds=number // 5),
        }
        for number in range(37)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(Question), rows)
    path = f"/api/v1/live-sessions/{session_id}/questions"
    [whole] = await _pages(client, path, 100)
    expected = sorted(
        rows,
        key=lambda row: (
            row["host_rank"] is None,
            row["host_rank"] or 0,
            -row["upvotes"],
            row["created_at"],
            row["id"],
        ),
    )
    assert whole == [row["id"] for row in expected]
    pages = await _pages(client, path, 4)
    assert [len(page) for page in pages] == [4] * 9 + [1]
    assert [question for page in pages for question in page] == whole


async def test_chat_pages_lead_back_in_time(client: httpx.AsyncClient, runtime: Runtime) -> None:
    host, session_id = await _stage(client)
    at = utcnow() - timedelta(minutes=5)
    rows = [
        {
            "id": new_id(),
            "session_id": session_id,
            "user_id": host.id,
            "display_name": "主播",
            "text": f"消息 {number}",
            "created_at": at + timedelta(seconds=number // 4),
        }
        for number in range(45)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(ChatMessage), rows)
    oldest_first = [row["id"] for row in sorted(rows, key=lambda r: (r["created_at"], r["id"]))]
    path = f"/api/v1/live-sessions/{session_id}/chat"
    [latest] = (await _pages(client, path, 30))[:1]
    assert latest == oldest_first[-30:]
    pages = await _pages(client, path, 10)
    assert [len(page) for page in pages] == [10, 10, 10, 10, 5]
    assert pages[0] == oldest_first[-10:]
    assert [message for page in reversed(pages) for message in page] == oldest_first


async def test_products_tied_on_time_page_by_id(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    for number in range(23):
        created = await client.post(
            "/api/v1/products",
            headers=merchant.headers,
            json={
                "title": f"商品 {number}",
                "currency": "CNY",
                "status": "on_sale",
                "skus": [{"spec": {"颜色": "红"}, "price_cents": 100, "stock": 1}],
            },
        )
        assert created.status_code == 201, created.text
    async with runtime.db.transaction() as session:
        await session.execute(update(Product).values(created_at=utcnow()))
    [whole] = await _pages(client, "/api/v1/products", 100)
    assert whole == sorted(whole)  # all tied on time: by id
    first = (await client.get("/api/v1/products")).json()
    assert (len(first["items"]), first["limit"], first["total"]) == (20, 20, 23)
    pages = await _pages(client, "/api/v1/products", 5, headers=merchant.headers, mine="true")
    assert [product for page in pages for product in page] == whole
    both = await client.get(
        "/api/v1/products", params={"offset": 5, "cursor": first["next_cursor"]}
    )
    assert both.status_code == 422
    assert both.json()["code"] == "cursor_with_offset"


async def test_sessions_page_in_each_status_order(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    for number in range(7):
        await schedule(client, host, room["id"], title=f"专场 {number}")
    for path, params in (
        (f"/api/v1/rooms/{room['id']}/sessions", {}),
        (f"/api/v1/rooms/{room['id']}/sessions", {"status": "scheduled"}),
        ("/api/v1/live-sessions", {"status": "scheduled"}),
        ("/api/v1/live-sessions", {}),
    ):
        [whole] = await _pages(client, path, 100, **params)
        assert len(whole) == 7
        pages = await _pages(client, path, 2, **params)
        assert [len(page) for page in pages] == [2, 2, 2, 1]
        assert [item for page in pages for item in page] == whole
