"""A shop with a live session, built through the public HTTP API (pages and browser tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import Account, link_staff, sign_up


@dataclass
class LiveShop:
    merchant: Account
    host: Account
    product: dict[str, Any]
    room: dict[str, Any]
    session_id: str
    item_id: str


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def build_live_shop(
    client: httpx.AsyncClient,
    *,
    product_title: str = "山茶花保湿面霜",
    room_name: str = "小美的直播间",
    session_title: str = "春季护肤专场",
    live_price_cents: int | None = 8900,
) -> LiveShop:
    merchant = await sign_up(client, "merchant", name="花间旗舰店")
    product = _ok(
        await client.post(
            "/api/v1/products",
            headers=merchant.headers,
            json={
                "title": product_title,
                "description": "50 ml",
                "category": "美妆",
                "currency": "CNY",
                "status": "on_sale",
                "skus": [
                    {"spec": {"规格": "50ml"}, "price_cents": 9900, "stock": 10},
                    {"spec": {"规格": "100ml"}, "price_cents": 16900, "stock": 5},
                ],
            },
        ),
        201,
    )
    host = await sign_up(client, "host", name="小美")
    room = _ok(
        await client.post(
            "/api/v1/rooms",
            headers=host.headers,
            json={"name": room_name, "bio": "护肤达人", "tags": ["美妆"], "catchphrase": "买它!"},
        ),
        201,
    )
    planned = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    live_session = _ok(
        await client.post(
            f"/api/v1/rooms/{room['id']}/sessions",
            headers=host.headers,
            json={"title": session_title, "planned_start_at": planned},
        ),
        201,
    )
    session_id = live_session["id"]
    await link_staff(client, merchant, host)
    live_prices = (
        None
        if live_price_cents is None
        else [
            {"sku_id": sku["id"], "live_price_cents": live_price_cents} for sku in product["skus"]
        ]
    )
    item = _ok(
        await client.post(
            f"/api/v1/live-sessions/{session_id}/showcase",
            headers=host.headers,
            json={"product_id": product["id"], "live_prices": live_prices},
        ),
        201,
    )
    _ok(await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host.headers))
    _ok(
        await client.post(
            f"/api/v1/live-sessions/{session_id}/pin",
            headers=host.headers,
            json={"item_id": item["id"]},
        )
    )
    return LiveShop(
        merchant=merchant,
        host=host,
        product=product,
        room=room,
        session_id=session_id,
        item_id=item["id"],
    )


async def add_address(client: httpx.AsyncClient, account: Account, recipient: str) -> str:
    body = _ok(
        await client.post(
            "/api/v1/addresses",
            headers=account.headers,
            json={
                "recipient": recipient,
                "phone": "13800000000",
                "region": "上海市 黄浦区",
                "line1": "南京东路 100 号",
                "postal_code": "200001",
            },
        ),
        201,
    )
    address_id: str = body["id"]
    return address_id


async def log_in_browser(client: httpx.AsyncClient, account: Account) -> None:
    """Log the client in with cookies, the way the log-in page does."""
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    assert response.status_code == 200, response.text
