"""External products: tracked links, click counting, signed idempotent postbacks."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.ledger.world import create_agency, owed, sign_host, verify
from tests.orders.shop import make_admin


def signed(body: dict[str, object], secret: str = "test-secret") -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Signature": signature, "Content-Type": "application/json"}


async def make_link(client: httpx.AsyncClient, host: Account) -> dict[str, object]:
    response = await client.post(
        "/api/v1/mcn/affiliate-links",
        headers=host.headers,
        json={
            "title": "户外冲锋衣",
            "target_url": "https://shop.example.com/item/42?from=live",
            "store_name": "淘宝店",
            "commission_bp": 1500,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_link_redirects_and_counts_clicks(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    link = await make_link(client, host)
    for _ in range(3):
        response = await client.get(f"/go/{link['code']}", follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == "https://shop.example.com/item/42?from=live"
    missing = await client.get("/go/nope", follow_redirects=False)
    assert (missing.status_code, missing.json()["code"]) == (404, "link_not_found")
    listed = await client.get("/api/v1/mcn/affiliate-links", headers=host.headers)
    [item] = listed.json()["items"]
    assert (item["clicks"], item["conversions"]) == (3, 0)
    viewer = await sign_up(client, "viewer")
    denied = await client.post(
        "/api/v1/mcn/affiliate-links",
        headers=viewer.headers,
        json={
            "title": "x",
            "target_url": "https://example.com",
            "store_name": "x",
            "commission_bp": 100,
        },
    )
    assert (denied.status_code, denied.json()["code"]) == (403, "role_required")
    bad_url = await client.post(
        "/api/v1/mcn/affiliate-links",
        headers=host.headers,
        json={
            "title": "x",
            "target_url": "javascript:alert(1)",
            "store_name": "x",
            "commission_bp": 100,
        },
    )
    assert bad_url.status_code == 422


async def test_signed_postback_is_idempotent_and_attributed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    agency_admin, _ = await create_agency(client)
    await sign_host(client, agency_admin, host, 2000)
    link = await make_link(client, host)
    body = {
        "code": link["code"],
        "external_order_id": "TB-1001",
        "amount_cents": 33333,
        "currency": "CNY",
    }
    raw, headers = signed(body)

    first = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert first.status_code == 201, first.text
    # 33333 × 15 % = 4999.95 → 4999; the agency keeps 20 % → 999; the host 4000.
    assert (first.json()["commission_cents"], first.json()["created"]) == (4999, True)
    replay = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert replay.status_code == 200
    assert (replay.json()["id"], replay.json()["created"]) == (first.json()["id"], False)

    assert await owed(client, host) == {"host_payable": 4000}
    assert await owed(client, agency_admin) == {"agency_payable": 999}
    listed = await client.get("/api/v1/mcn/affiliate-links", headers=host.headers)
    [item] = listed.json()["items"]
    assert (item["conversions"], item["sales_cents"]) == (1, 33333)
    admin = await make_admin(runtime)
    report = await verify(client, admin)
    assert (report["ok"], report["entries"]) == (True, 1)


async def test_postback_rejects_bad_signatures_and_input(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    link = await make_link(client, host)
    body = {"code": link["code"], "external_order_id": "X", "amount_cents": 100, "currency": "CNY"}
    raw, headers = signed(body, secret="wrong")
    forged = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (forged.status_code, forged.json()["code"]) == (403, "bad_signature")
    unsigned = await client.post(
        "/api/v1/mcn/affiliate/postback", content=raw, headers={"Content-Type": "application/json"}
    )
    assert (unsigned.status_code, unsigned.json()["code"]) == (403, "bad_signature")
    raw, headers = signed({**body, "currency": "USD"})
    wrong_currency = await client.post(
        "/api/v1/mcn/affiliate/postback", content=raw, headers=headers
    )
    assert (wrong_currency.status_code, wrong_currency.json()["code"]) == (
        422,
        "currency_mismatch",
    )
    raw, headers = signed({**body, "amount_cents": -5})
    negative = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (negative.status_code, negative.json()["code"]) == (422, "bad_postback")
    raw, headers = signed({**body, "code": "unknown"})
    unknown = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "link_not_found")
    raw, headers = signed({**body, "commission_cents": 101})
    too_much = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (too_much.status_code, too_much.json()["code"]) == (422, "commission_too_large")
    assert await owed(client, host) == {}


async def test_store_reported_commission_wins(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    link = await make_link(client, host)
    raw, headers = signed(
        {
            "code": link["code"],
            "external_order_id": "JD-7",
            "amount_cents": 20000,
            "currency": "CNY",
            "commission_cents": 1234,
        }
    )
    response = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (response.status_code, response.json()["commission_cents"]) == (201, 1234)
    assert await owed(client, host) == {"host_payable": 1234}
