"""Flash sales, lotteries and questions set up through the HTTP API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.factories import Account
from tests.orders.shop import Listing, Stage


async def launch_sale(
    client: httpx.AsyncClient,
    stage: Stage,
    listing: Listing,
    *,
    units: int = 3,
    price_cents: int = 990,
    per_buyer_limit: int = 1,
    starts_in_s: int = 0,
    duration_s: int = 300,
    expect: int = 201,
    host: Account | None = None,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/flash-sales",
        headers=(host or stage.host).headers,
        json={
            "product_id": listing.product_id,
            "sku_id": listing.sku_id,
            "price_cents": price_cents,
            "units": units,
            "per_buyer_limit": per_buyer_limit,
            "starts_in_s": starts_in_s,
            "duration_s": duration_s,
        },
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def buy(
    client: httpx.AsyncClient,
    buyer: Account,
    sale_id: str,
    *,
    key: str | None = None,
    quantity: int = 1,
    expect: int | None = 201,
) -> httpx.Response:
    headers = dict(buyer.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await client.post(
        f"/api/v1/flash-sales/{sale_id}/buy", headers=headers, json={"quantity": quantity}
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def get_sale(client: httpx.AsyncClient, sale_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/flash-sales/{sale_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def run_hypothesis(example: Any) -> None:
    """Run a ``@given`` coroutine function with every example in this test's event loop:
    Hypothesis drives from a thread and hands each example to the loop."""
    inner = example.hypothesis.inner_test
    loop = asyncio.get_running_loop()
    example.hypothesis.inner_test = lambda **kwargs: asyncio.run_coroutine_threadsafe(
        inner(**kwargs), loop
    ).result()
    await asyncio.to_thread(example)


async def next_of_type(room: Any, kind: str) -> dict[str, Any]:
    """The one message of ``kind`` a room listener received (waiting up to 5 s)."""
    while not room.of_type(kind):
        await room.wait_for(len(room.messages) + 1)
    [message] = room.of_type(kind)
    result: dict[str, Any] = message
    return result
