"""The flash-sale buy answered in front of the router keeps the route's contract.

Every request below goes once through the app as it runs (the buy answered by
``interactions/fast_path.py``) and once through the same app with that path taken
out (FastAPI's route, which documents the operation): status, code, message in the
caller's language and body must agree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.interactions import endpoints
from livecommerce.interactions.fast_path import BuyFastPath
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.interactions.helpers import launch_sale
from tests.orders.shop import add_address, buyer_with_address, create_listing, open_stage

# Fields of an order that differ from one order to the next.
_OWN = {"id", "created_at", "expires_at", "idempotency_key", "buyer_id", "shipping_address"}


@pytest.fixture
async def route_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app and runtime, with the buy left to FastAPI's route."""
    kept = app.user_middleware
    app.user_middleware = [entry for entry in kept if entry.cls is not BuyFastPath]
    try:
        stack = app.build_middleware_stack()
    finally:
        app.user_middleware = kept

    async def without_fast_path(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = app
        await stack(scope, receive, send)

    transport = httpx.ASGITransport(app=without_fast_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@contextmanager
def route_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The sales FastAPI's buy route was asked for (none when the fast path answered)."""
    seen: list[str] = []
    original = endpoints.buy

    async def counted(runtime: Runtime, buyer: Any, sale_id: str, **kwargs: Any) -> Any:
        seen.append(sale_id)
        return await original(runtime, buyer, sale_id, **kwargs)

    monkeypatch.setattr(endpoints, "buy", counted)
    yield seen


async def _sale(client: httpx.AsyncClient, units: int = 10) -> dict[str, Any]:
    listing = await create_listing(client, stock=units + 5)
    stage = await open_stage(client, [listing])
    return await launch_sale(client, stage, listing, units=units, per_buyer_limit=1)


async def _both(
    client: httpx.AsyncClient,
    route_client: httpx.AsyncClient,
    call: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
) -> tuple[httpx.Response, httpx.Response]:
    return await call(client), await call(route_client)


async def test_a_buy_answers_as_the_route_does(
    client: httpx.AsyncClient, route_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = await _sale(client)
    path = f"/api/v1/flash-sales/{sale['id']}/buy"
    fast_buyer, _ = await buyer_with_address(client, "快")
    route_buyer, _ = await buyer_with_address(client, "慢")
    with route_calls(monkeypatch) as calls:
        fast = await client.post(
            path, headers={**fast_buyer.headers, "Idempotency-Key": "k-1"}, json={"quantity": 1}
        )
        assert calls == []  # answered in front of the router
        routed = await route_client.post(
            path, headers={**route_buyer.headers, "Idempotency-Key": "k-1"}, json={"quantity": 1}
        )
        assert calls == [sale["id"]]
    assert fast.status_code == routed.status_code == 201, (fast.text, routed.text)
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.headers["x-content-type-options"] == "nosniff"
    mine, theirs = fast.json(), routed.json()
    assert mine.keys() == theirs.keys()
    assert {k: v for k, v in mine.items() if k not in _OWN} == {
        k: v for k, v in theirs.items() if k not in _OWN
    }

    # A retry with the same key: the same order, 200, on either path.
    for http, buyer, first in ((client, fast_buyer, mine), (route_client, route_buyer, theirs)):
        again = await http.post(path, headers={**buyer.headers, "Idempotency-Key": "k-1"})
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first["id"]
        assert again.json() == first


async def test_refusals_answer_as_the_route_does(
    client: httpx.AsyncClient, route_client: httpx.AsyncClient
) -> None:
    sale = await _sale(client)
    path = f"/api/v1/flash-sales/{sale['id']}/buy"
    buyer, _ = await buyer_with_address(client)
    homeless = await sign_up(client)
    cases: list[tuple[str, dict[str, str], Any]] = [
        ("no caller", {}, None),
        ("a bad token", {"Authorization": "Bearer nope"}, None),
        ("quantity 0", buyer.headers, {"quantity": 0}),
        ("over the limit", buyer.headers, {"quantity": 5}),
        ("quantity as text", buyer.headers, {"quantity": "1"}),
        ("a list", buyer.headers, [1]),
        ("an unknown address", buyer.headers, {"address_id": "nope"}),
        ("a key too long", {**buyer.headers, "Idempotency-Key": "x" * 65}, None),
        ("a blank key", {**buyer.headers, "Idempotency-Key": "   "}, None),
        ("no address", homeless.headers, None),
    ]
    for language in ("zh-CN", "en"):
        for name, headers, body in cases:
            sent = {**headers, "Accept-Language": language}
            fast, routed = await _both(
                client,
                route_client,
                lambda http, sent=sent, body=body: http.post(path, headers=sent, json=body),  # type: ignore[misc]
            )
            assert fast.status_code == routed.status_code, (name, fast.text, routed.text)
            assert fast.status_code >= 400, name
            assert fast.json() == routed.json(), name
    # Not JSON, and a sale that does not exist.
    fast, routed = await _both(
        client,
        route_client,
        lambda http: http.post(
            path, headers={**buyer.headers, "Content-Type": "text/plain"}, content=b"quantity=1"
        ),
    )
    assert (fast.status_code, fast.json()) == (routed.status_code, routed.json())
    fast, routed = await _both(
        client,
        route_client,
        lambda http: http.post("/api/v1/flash-sales/nope/buy", headers=buyer.headers),
    )
    assert fast.status_code == routed.status_code == 404
    assert fast.json() == routed.json()


async def test_a_cookie_buy_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    sale = await _sale(client)
    path = f"/api/v1/flash-sales/{sale['id']}/buy"
    signed_up = await client.post(
        "/api/v1/auth/signup",
        json={"email": "cookie-buyer@example.com", "password": "long enough", "display_name": "C"},
    )
    assert signed_up.status_code == 201
    csrf = client.cookies.get("lc_csrf")
    assert csrf
    address = await client.post(
        "/api/v1/addresses",
        headers={"X-CSRF-Token": csrf},
        json={
            "recipient": "小王",
            "phone": "13800000000",
            "region": "浙江省 杭州市 西湖区",
            "line1": "文三路 1 号",
            "postal_code": "310000",
        },
    )
    assert address.status_code == 201, address.text
    refused = await client.post(path, headers={"Idempotency-Key": "c-1"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    bought = await client.post(path, headers={"Idempotency-Key": "c-1", "X-CSRF-Token": csrf})
    assert bought.status_code == 201, bought.text


async def test_the_buyers_of_a_moment_are_read_in_one_statement(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokens the cache does not know are read with their users' default addresses,
    those of the clicks arriving while a read runs together in the next read: one
    click alone is one read, the five that came meanwhile one more. Each order is its
    own buyer's, sent to that buyer's address."""
    sale = await _sale(client)
    buyers = [await sign_up(client, "viewer") for _ in range(6)]
    for n, account in enumerate(buyers):
        await add_address(client, account, recipient=f"收件人{n}")
    from livecommerce.accounts.token_cache import token_cache
    from livecommerce.interactions.fast_path import caller_reads
    from livecommerce.orders.service import order_service

    (await token_cache(runtime))._entries.clear()
    asked: list[int] = []
    first_read_out = asyncio.Event()
    release = asyncio.Event()
    original = order_service.read_callers_with_default_address

    async def held(session: AsyncSession, tokens: list[str]) -> Any:
        asked.append(len(tokens))
        if len(asked) == 1:
            first_read_out.set()
            await release.wait()
        return await original(session, tokens)

    monkeypatch.setattr(order_service, "read_callers_with_default_address", held)
    # Each click's token joins the waiting keys as it asks; once all six have asked,
    # the five later ones wait for the next read.
    reads = caller_reads(runtime)
    original_get = reads.get
    arrived: list[str] = []
    all_queued = asyncio.Event()

    async def counted(token: str) -> Any:
        arrived.append(token)
        if len(arrived) == 6:
            all_queued.set()
        return await original_get(token)

    monkeypatch.setattr(reads, "get", counted)
    path = f"/api/v1/flash-sales/{sale['id']}/buy"

    async def click(n: int) -> httpx.Response:
        headers = {**buyers[n].headers, "Idempotency-Key": f"k{n}"}
        return await client.post(path, headers=headers)

    first = asyncio.ensure_future(click(0))
    await first_read_out.wait()
    rest = [asyncio.ensure_future(click(n)) for n in range(1, 6)]
    await asyncio.wait_for(all_queued.wait(), timeout=30)
    release.set()
    responses = [await first, *await asyncio.gather(*rest)]
    assert asked == [1, 5]
    for n, (account, response) in enumerate(zip(buyers, responses, strict=True)):
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["buyer_id"] == account.id
        assert order["shipping_address"]["recipient"] == f"收件人{n}"
