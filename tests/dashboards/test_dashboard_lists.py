"""The dashboards' lists page by cursor: an agency walks its hosts' thousand sessions, a
merchant its products' thousand room rows, each row exactly once and in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DashboardSessionProduct, LiveSession, Product
from tests.factories import Account, sign_up
from tests.ledger.world import create_agency, sign_host
from tests.live.helpers import create_room

ROWS = 1000


async def _walk(
    client: httpx.AsyncClient, path: str, account: Account, limit: int, **params: str
) -> tuple[list[dict[str, Any]], int]:
    seen: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        query: dict[str, str | int] = {"limit": limit, **params}
        if cursor is not None:
            query["cursor"] = cursor
        response = await client.get(path, headers=account.headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert len(body["items"]) <= limit
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


async def test_an_agency_walks_its_hosts_thousand_sessions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    agency_admin, _ = await create_agency(client)
    hosts = [await sign_up(client, "host") for _ in range(3)]
    for host in hosts[:2]:
        await sign_host(client, agency_admin, host, 2000)
    rooms = [await create_room(client, host, f"间{n}") for n, host in enumerate(hosts)]
    start = utcnow() - timedelta(days=30)
    rows = [
        {
            "id": new_id(),
            "room_id": rooms[number % 3]["id"],
            "title": f"场次 {number}",
            # Four sessions share each planned start, so the id breaks ties.
            "status": ("ended", "scheduled", "live", "cancelled")[number % 4],
            "planned_start_at": start + timedelta(minutes=number // 4),
            "peak_online": 0,
            "created_at": start,
        }
        for number in range(ROWS * 3 // 2)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(LiveSession), rows)
    mine = {rooms[0]["id"], rooms[1]["id"]}  # the third host signed no contract
    expected = [
        row["id"]
        for row in sorted(rows, key=lambda row: (-row["planned_start_at"].timestamp(), row["id"]))
        if row["room_id"] in mine and row["status"] != "cancelled"
    ]
    assert len(expected) == 750

    path = "/api/v1/dashboards/sessions"
    seen, pages = await _walk(client, path, agency_admin, 100)
    assert [item["id"] for item in seen] == expected
    assert pages == 8
    assert {item["room_name"] for item in seen} == {"间0", "间1"}
    seen, _ = await _walk(client, path, agency_admin, 37)
    assert [item["id"] for item in seen] == expected

    # Only the sessions on air, and the planned ones soonest first.
    live, _ = await _walk(client, path, agency_admin, 50, status="live")
    assert [item["id"] for item in live] == [
        row_id for row_id in expected if row_id in {r["id"] for r in rows if r["status"] == "live"}
    ]
    planned, _ = await _walk(client, path, agency_admin, 50, status="scheduled")
    scheduled = [row for row in rows if row["room_id"] in mine and row["status"] == "scheduled"]
    assert [item["id"] for item in planned] == [
        row["id"] for row in sorted(scheduled, key=lambda row: (row["planned_start_at"], row["id"]))
    ]
    # A host sees its own room only.
    own, _ = await _walk(client, path, hosts[2], 100)
    assert {item["room_name"] for item in own} == {"间2"}
    assert len(own) == 375


async def test_a_merchant_walks_a_thousand_product_rooms_most_gmv_first(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    other = await sign_up(client, "merchant")
    now = utcnow()

    def product(owner: Account, number: int) -> dict[str, Any]:
        return {
            "id": new_id(),
            "merchant_id": owner.id,
            "title": f"商品 {number}",
            "currency": "CNY",
            "status": "on_sale",
            "created_at": now,
            "updated_at": now,
        }

    products = [product(merchant, number) for number in range(40)]
    theirs = [product(other, number) for number in range(5)]
    rooms = [new_id() for _ in range(25)]
    figures: list[dict[str, Any]] = []
    for p_index, item in enumerate([*products, *theirs]):
        for r_index, room_id in enumerate(rooms):
            # One or two sessions per product and room; GMV repeats, so ties are common.
            for session_number in range(1 + (p_index + r_index) % 2):
                figures.append(
                    {
                        "session_id": new_id(),
                        "product_id": item["id"],
                        "room_id": room_id,
                        "product_clicks": 10 + session_number,
                        "paid_orders": (p_index * r_index) % 3,
                        "gmv_cents": 100 * ((p_index + 2 * r_index) % 7),
                        "refund_cents": 0,
                    }
                )
    async with runtime.db.transaction() as session:
        await session.execute(insert(Product), [*products, *theirs])
        await session.execute(insert(DashboardSessionProduct), figures)

    summed: dict[tuple[str, str], dict[str, int]] = {}
    mine = {item["id"] for item in products}
    for row in figures:
        if row["product_id"] not in mine:
            continue
        entry = summed.setdefault(
            (row["product_id"], row["room_id"]),
            {"sessions": 0, "clicks": 0, "paid_orders": 0, "gmv_cents": 0},
        )
        entry["sessions"] += 1
        entry["clicks"] += row["product_clicks"]
        entry["paid_orders"] += row["paid_orders"]
        entry["gmv_cents"] += row["gmv_cents"]
    expected = [
        (product_id, room_id, entry["sessions"], entry["clicks"], entry["gmv_cents"])
        for (product_id, room_id), entry in sorted(
            summed.items(), key=lambda pair: (-pair[1]["gmv_cents"], pair[0][0], pair[0][1])
        )
    ]
    assert len(expected) == ROWS

    path = "/api/v1/dashboards/merchant/products"
    for limit, pages_expected in ((100, 10), (37, 28)):
        seen, pages = await _walk(client, path, merchant, limit)
        assert [
            (r["product_id"], r["room_id"], r["sessions"], r["clicks"], r["gmv_cents"])
            for r in seen
        ] == expected
        assert pages == pages_expected
    first = seen[0]
    assert first["title"].startswith("商品 ")
    entry = summed[(first["product_id"], first["room_id"])]
    assert first["conversion_bp"] == entry["paid_orders"] * 10_000 // entry["clicks"]
