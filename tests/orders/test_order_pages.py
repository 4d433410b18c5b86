"""The order lists page by cursor: every row exactly once, newest first."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import insert

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import encode_cursor
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Order
from tests.factories import Account, sign_up

ROWS = 1000


async def _insert_orders(runtime: Runtime, buyer: Account, merchant: Account) -> list[str]:
    """1,000 orders in one statement; ten share each timestamp so the id breaks ties."""
    start = utcnow() - timedelta(days=1)
    rows = [
        {
            "id": new_id(),
            "buyer_id": buyer.id,
            "merchant_id": merchant.id,
            "status": "pending_payment",
            "currency": "CNY",
            "subtotal_cents": 100 + number,
            "discount_cents": 0,
            "total_cents": 100 + number,
            "shipping_address": {},
            "created_at": start + timedelta(seconds=number // 10),
            "expires_at": start + timedelta(days=2),
        }
        for number in range(ROWS)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(Order), rows)
    newest_first = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return [str(row["id"]) for row in newest_first]


async def _walk(
    client: httpx.AsyncClient, path: str, account: Account, limit: int
) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get(path, headers=account.headers, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert len(body["items"]) <= limit
        seen.extend(order["id"] for order in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


async def test_merchant_walks_a_thousand_orders_page_by_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    buyer = await sign_up(client)
    other = await sign_up(client, "merchant")
    expected = await _insert_orders(runtime, buyer, merchant)
    await _insert_orders(runtime, buyer, other)

    seen, pages = await _walk(client, "/api/v1/merchant/orders", merchant, 100)
    assert seen == expected
    assert pages == 10

    seen, pages = await _walk(client, "/api/v1/merchant/orders", merchant, 37)
    assert seen == expected
    assert pages == 28  # 27 full pages and one of 1

    mine, _ = await _walk(client, "/api/v1/orders", buyer, 100)
    assert len(mine) == 2 * ROWS
    assert len(set(mine)) == 2 * ROWS


async def test_status_filter_pages_too(client: httpx.AsyncClient, runtime: Runtime) -> None:
    merchant = await sign_up(client, "merchant")
    buyer = await sign_up(client)
    expected = await _insert_orders(runtime, buyer, merchant)
    first = await client.get(
        "/api/v1/merchant/orders",
        headers=merchant.headers,
        params={"status": "pending_payment", "limit": 3},
    )
    assert [order["id"] for order in first.json()["items"]] == expected[:3]
    second = await client.get(
        "/api/v1/merchant/orders",
        headers=merchant.headers,
        params={"status": "pending_payment", "limit": 3, "cursor": first.json()["next_cursor"]},
    )
    assert [order["id"] for order in second.json()["items"]] == expected[3:6]
    none = await client.get(
        "/api/v1/merchant/orders",
        headers=merchant.headers,
        params={"status": "paid", "limit": 3},
    )
    assert none.json() == {"items": [], "next_cursor": None}


async def test_a_well_sealed_cursor_of_the_wrong_shape_is_refused(
    client: httpx.AsyncClient,
) -> None:
    merchant = await sign_up(client, "merchant")
    for key in (
        ["yesterday", "abc"],  # not a time
        ["2026-01-01T00:00:00", "abc"],  # a time without its zone
        ["2026-01-01T00:00:00+00:00"],  # too short
        ["2026-01-01T00:00:00+00:00", "abc", 3],  # too long
        ["2026-01-01T00:00:00+00:00", 7],  # an id that is not a string
        [None, "abc"],
    ):
        response = await client.get(
            "/api/v1/merchant/orders",
            headers=merchant.headers,
            params={"cursor": encode_cursor(key)},
        )
        assert response.status_code == 422, key
        assert response.json()["code"] == "bad_cursor"
    fine = encode_cursor(["2026-01-01T00:00:00+00:00", "abc"])
    response = await client.get(
        "/api/v1/merchant/orders", headers=merchant.headers, params={"cursor": fine}
    )
    assert response.json() == {"items": [], "next_cursor": None}
