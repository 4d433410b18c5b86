"""Orders use each SKU's own live price, and out-of-range quantities are refused, not changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from livecommerce.kit.runtime import Runtime
from livecommerce.models import Order
from tests.factories import Account, link_staff, sign_up
from tests.live.helpers import create_room, schedule, start
from tests.orders.shop import (
    buyer_with_address,
    count_rows,
    create_listing,
    open_stage,
    place_order,
    stock_of,
)


async def _family_pack_room(
    client: httpx.AsyncClient,
) -> tuple[dict[str, Any], str, Account]:
    """The demo's tea: a 250 g box (168.00, live 129.00) and a 500 g family pack (298.00)."""
    merchant = await sign_up(client, "merchant")
    created = await client.post(
        "/api/v1/products",
        headers=merchant.headers,
        json={
            "title": "明前龙井",
            "currency": "CNY",
            "status": "on_sale",
            "skus": [
                {"spec": {"规格": "250g 礼盒"}, "price_cents": 16800, "stock": 10},
                {"spec": {"规格": "500g 家庭装"}, "price_cents": 29800, "stock": 10},
            ],
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    host = await sign_up(client, "host")
    await link_staff(client, merchant, host)
    room = await create_room(client, host)
    live = await schedule(client, host, room["id"])
    box = product["skus"][0]["id"]
    added = await client.post(
        f"/api/v1/live-sessions/{live['id']}/showcase",
        headers=host.headers,
        json={
            "product_id": product["id"],
            "live_prices": [{"sku_id": box, "live_price_cents": 12900}],
        },
    )
    assert added.status_code == 201, added.text
    await start(client, host, live["id"])
    return product, live["id"], host


async def _order(
    client: httpx.AsyncClient, sku_id: str, session_id: str, quantity: int = 1
) -> httpx.Response:
    buyer, address_id = await buyer_with_address(client)
    return await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={
            "sku_id": sku_id,
            "quantity": quantity,
            "address_id": address_id,
            "session_id": session_id,
        },
    )


async def test_each_sku_sells_at_its_own_live_price(client: httpx.AsyncClient) -> None:
    product, session_id, _ = await _family_pack_room(client)
    box, family = (sku["id"] for sku in product["skus"])
    showcase = (await client.get(f"/api/v1/live-sessions/{session_id}/showcase")).json()
    [item] = showcase["items"]
    assert [(sku["price_cents"], sku["live_price_cents"]) for sku in item["skus"]] == [
        (12900, 12900),
        (29800, None),
    ]
    assert (item["price_cents"], item["live_price_cents"]) == (12900, 12900)
    family_order = await _order(client, family, session_id, quantity=2)
    assert family_order.status_code == 201, family_order.text
    assert (
        family_order.json()["items"][0]["unit_price_cents"],
        family_order.json()["total_cents"],
    ) == (
        29800,
        59600,
    )
    box_order = await _order(client, box, session_id)
    assert box_order.json()["items"][0]["unit_price_cents"] == 12900


async def test_a_single_sku_product_keeps_its_single_live_price(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, price_cents=12900)
    stage = await open_stage(client, [listing], live_price_cents=9900)
    showcase = (await client.get(f"/api/v1/live-sessions/{stage.session_id}/showcase")).json()
    [item] = showcase["items"]
    assert item["live_price_cents"] == 9900
    assert item["skus"][0]["live_price_cents"] == 9900
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, session_id=stage.session_id)
    assert order["items"][0]["unit_price_cents"] == 9900


async def test_live_price_requests_are_checked(client: httpx.AsyncClient) -> None:
    product, session_id, host = await _family_pack_room(client)
    showcase = (await client.get(f"/api/v1/live-sessions/{session_id}/showcase")).json()
    url = f"/api/v1/live-sessions/{session_id}/showcase/{showcase['items'][0]['id']}"
    box = product["skus"][0]["id"]
    other = await create_listing(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"live_price_cents": 9900}, "live_price_per_sku"),
        (
            {"live_price_cents": 9900, "live_prices": [{"sku_id": box, "live_price_cents": 1}]},
            "ambiguous_live_price",
        ),
        (
            {"live_prices": [{"sku_id": other.sku_id, "live_price_cents": 100}]},
            "sku_not_in_product",
        ),
        (
            {
                "live_prices": [
                    {"sku_id": box, "live_price_cents": 100},
                    {"sku_id": box, "live_price_cents": 200},
                ]
            },
            "duplicate_sku",
        ),
        ({"live_prices": [{"sku_id": box, "live_price_cents": 0}]}, "validation_failed"),
        ({"live_prices": [{"sku_id": box, "live_price_cents": 10**12}]}, "validation_failed"),
    ]
    for body, code in cases:
        response = await client.patch(url, headers=host.headers, json=body)
        assert (response.status_code, response.json()["code"]) == (422, code), body
    assert (await client.get(f"/api/v1/live-sessions/{session_id}/showcase")).json() == showcase
    cleared = await client.patch(url, headers=host.headers, json={})
    assert [sku["price_cents"] for sku in cleared.json()["skus"]] == [16800, 29800]


@pytest.mark.parametrize("quantity", [0, -1, 100, 10_000, 1.5])
async def test_out_of_range_quantities_are_refused_and_nothing_is_placed(
    client: httpx.AsyncClient, runtime: Runtime, quantity: object
) -> None:
    listing = await create_listing(client, price_cents=35900, stock=96)
    stage = await open_stage(client, [listing])
    buyer, address_id = await buyer_with_address(client)
    response = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={
            "sku_id": listing.sku_id,
            "quantity": quantity,
            "address_id": address_id,
            "session_id": stage.session_id,
        },
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert [error["field"] for error in response.json()["details"]["errors"]] == ["quantity"]
    assert await count_rows(runtime, Order) == 0
    assert await stock_of(client, listing) == 96


async def test_more_than_the_stock_is_refused_not_reduced(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, price_cents=35900, stock=96)
    stage = await open_stage(client, [listing])
    buyer, address_id = await buyer_with_address(client)
    response = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={
            "sku_id": listing.sku_id,
            "quantity": 97,
            "address_id": address_id,
            "session_id": stage.session_id,
        },
    )
    assert (response.status_code, response.json()["code"]) == (409, "out_of_stock")
    assert await count_rows(runtime, Order) == 0
    assert await stock_of(client, listing) == 96
