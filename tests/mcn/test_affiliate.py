"""External products: tracked links, click counting, signed idempotent postbacks."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from livecommerce.config import Settings
from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.ledger.world import create_agency, owed, sign_host, verify
from tests.orders.shop import make_admin


def signed(body: dict[str, object], secret: object) -> tuple[bytes, dict[str, str]]:
    """The body and headers a store sends, signed with ``secret`` (a link's postback secret)."""
    assert isinstance(secret, str)
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
    raw, headers = signed(body, link["postback_secret"])

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
    secret = link["postback_secret"]
    body = {"code": link["code"], "external_order_id": "X", "amount_cents": 100, "currency": "CNY"}
    raw, headers = signed(body, secret="wrong")
    forged = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (forged.status_code, forged.json()["code"]) == (403, "bad_signature")
    unsigned = await client.post(
        "/api/v1/mcn/affiliate/postback", content=raw, headers={"Content-Type": "application/json"}
    )
    assert (unsigned.status_code, unsigned.json()["code"]) == (403, "bad_signature")
    raw, headers = signed({**body, "currency": "USD"}, secret)
    wrong_currency = await client.post(
        "/api/v1/mcn/affiliate/postback", content=raw, headers=headers
    )
    assert (wrong_currency.status_code, wrong_currency.json()["code"]) == (
        422,
        "currency_mismatch",
    )
    raw, headers = signed({**body, "amount_cents": -5}, secret)
    negative = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (negative.status_code, negative.json()["code"]) == (422, "bad_postback")
    # A link nobody created has no secret: nothing can sign for it.
    raw, headers = signed({**body, "code": "unknown"}, secret)
    unknown = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (403, "bad_signature")
    for not_json in (b"[1, 2]", b"\xff", b'{"code": 5}'):
        response = await client.post(
            "/api/v1/mcn/affiliate/postback",
            content=not_json,
            headers={"X-Signature": "0" * 64, "Content-Type": "application/json"},
        )
        assert (response.status_code, response.json()["code"]) == (403, "bad_signature")
    raw, headers = signed({**body, "commission_cents": 101}, secret)
    too_much = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (too_much.status_code, too_much.json()["code"]) == (422, "commission_too_large")
    assert await owed(client, host) == {}


async def test_each_link_has_its_own_postback_secret(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Neither the platform's secret key nor another link's secret signs a link's postback."""
    host = await sign_up(client, "host")
    mine = await make_link(client, host)
    other_host = await sign_up(client, "host")
    theirs = await make_link(client, other_host)
    assert mine["postback_secret"] != theirs["postback_secret"]
    assert len(str(mine["postback_secret"])) == 64
    body = {
        "code": mine["code"],
        "external_order_id": "TB-9000",
        "amount_cents": 90_000_000,
        "currency": "CNY",
    }
    for secret in (settings.secret_key, theirs["postback_secret"]):
        raw, headers = signed(body, secret)
        response = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
        assert (response.status_code, response.json()["code"]) == (403, "bad_signature")
    assert await owed(client, host) == {}
    # The link list shows a host its own links' secrets only.
    listed = await client.get("/api/v1/mcn/affiliate-links", headers=other_host.headers)
    assert [item["code"] for item in listed.json()["items"]] == [theirs["code"]]


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
        },
        link["postback_secret"],
    )
    response = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (response.status_code, response.json()["commission_cents"]) == (201, 1234)
    assert await owed(client, host) == {"host_payable": 1234}


async def test_the_links_host_rotates_its_postback_secret(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    link = await make_link(client, host)
    old = link["postback_secret"]
    body = {
        "code": link["code"],
        "external_order_id": "R-1",
        "amount_cents": 1000,
        "currency": "CNY",
    }
    rotate = f"/api/v1/mcn/affiliate-links/{link['id']}/rotate-secret"

    # Nobody but the link's host may rotate it, nor learn that the link exists.
    other_host = await sign_up(client, "host")
    merchant = await sign_up(client, "merchant")
    viewer = await sign_up(client, "viewer")
    for stranger in (other_host, merchant, viewer):
        refused = await client.post(rotate, headers=stranger.headers)
        assert (refused.status_code, refused.json()["code"]) == (404, "link_not_found")
    anonymous = await client.post(rotate)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    missing = await client.post(
        "/api/v1/mcn/affiliate-links/0123456789abcdef0123456789abcdef/rotate-secret",
        headers=host.headers,
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "link_not_found")
    raw, headers = signed(body, old)
    still = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert still.status_code == 201, still.text  # the refused attempts changed nothing

    rotated = await client.post(rotate, headers=host.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["postback_secret"]
    assert isinstance(new, str)
    assert (len(new), new == old) == (64, False)
    assert (rotated.json()["id"], rotated.json()["code"]) == (link["id"], link["code"])
    listed = (await client.get("/api/v1/mcn/affiliate-links", headers=host.headers)).json()
    assert [item["postback_secret"] for item in listed["items"]] == [new]

    # At once: the old secret is refused, the new one is taken.
    fresh = {**body, "external_order_id": "R-2"}
    raw, headers = signed(fresh, old)
    stale = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (stale.status_code, stale.json()["code"]) == (403, "bad_signature")
    raw, headers = signed(fresh, new)
    taken = await client.post("/api/v1/mcn/affiliate/postback", content=raw, headers=headers)
    assert (taken.status_code, taken.json()["created"]) == (201, True)
