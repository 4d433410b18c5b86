from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.catalog.helpers import create_product, make_admin
from tests.factories import sign_up


async def test_merchant_creates_product_with_skus(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    response = await client.post(
        "/api/v1/products",
        json={
            "title": "  真丝连衣裙 ",
            "description": "桑蚕丝",
            "category": "女装",
            "skus": [
                {"spec": {"colour": "红", "size": "M"}, "price_cents": 19900, "stock": 10},
                {"spec": {"colour": "红", "size": "L"}, "price_cents": 18900, "stock": 3},
            ],
        },
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["merchant_id"] == merchant.id
    assert body["title"] == "真丝连衣裙"
    assert body["description"] == "桑蚕丝"
    assert body["category"] == "女装"
    assert body["currency"] == "CNY"
    assert body["status"] == "draft"
    assert body["price_cents"] == 18900
    assert body["stock"] == 13
    assert body["cover_url"] is None
    assert body["images"] == []
    assert [
        (sku["spec"], sku["price_cents"], sku["stock"], sku["position"]) for sku in body["skus"]
    ] == [
        ({"colour": "红", "size": "M"}, 19900, 10, 0),
        ({"colour": "红", "size": "L"}, 18900, 3, 1),
    ]
    assert len(body["id"]) == 32
    assert all(len(sku["id"]) == 32 and sku["product_id"] == body["id"] for sku in body["skus"])

    fetched = await client.get(f"/api/v1/products/{body['id']}", headers=merchant.headers)
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_explicit_currency_and_script_title_stored_verbatim(
    client: httpx.AsyncClient,
) -> None:
    merchant = await sign_up(client, "merchant")
    title = "<script>alert('x')</script> & 好物"
    product = await create_product(client, merchant, title=title, currency="USD")
    assert product["title"] == title
    assert product["currency"] == "USD"
    fetched = await client.get(f"/api/v1/products/{product['id']}")
    assert fetched.json()["title"] == title


async def test_roles_and_authentication(client: httpx.AsyncClient) -> None:
    viewer = await sign_up(client, "viewer")
    host = await sign_up(client, "host")
    body = {"title": "x", "skus": []}
    anonymous = await client.post("/api/v1/products", json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    for account in (viewer, host):
        response = await client.post("/api/v1/products", json=body, headers=account.headers)
        assert response.status_code == 403
        assert response.json()["code"] == "role_required"


async def test_merchant_cannot_touch_another_merchants_product(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client, "merchant")
    other = await sign_up(client, "merchant")
    product = await create_product(client, owner)
    product_id, sku_id = product["id"], product["skus"][0]["id"]
    attempts = [
        client.patch(
            f"/api/v1/products/{product_id}", json={"title": "mine now"}, headers=other.headers
        ),
        client.post(
            f"/api/v1/products/{product_id}/status",
            json={"status": "off_sale"},
            headers=other.headers,
        ),
        client.post(
            f"/api/v1/products/{product_id}/skus",
            json={"spec": {"size": "XL"}, "price_cents": 100, "stock": 1},
            headers=other.headers,
        ),
        client.patch(
            f"/api/v1/products/{product_id}/skus/{sku_id}", json={"stock": 0}, headers=other.headers
        ),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "not_product_owner"
    unchanged = (await client.get(f"/api/v1/products/{product_id}")).json()
    assert unchanged == product


async def test_admin_may_edit_any_product(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await sign_up(client, "merchant")
    admin = await sign_up(client, "viewer")
    await make_admin(runtime, admin)
    product = await create_product(client, owner)
    response = await client.patch(
        f"/api/v1/products/{product['id']}", json={"title": "平台修正"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["title"] == "平台修正"
    assert response.json()["merchant_id"] == owner.id


async def test_validation_errors_have_codes(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    cases = [
        {"title": "   ", "skus": []},
        {"title": "x" * 121},
        {"title": "ok", "currency": "rmb"},
        {"title": "ok", "status": "sold"},
        {"title": "ok", "skus": [{"spec": {}, "price_cents": 0, "stock": 1}]},
        {"title": "ok", "skus": [{"spec": {}, "price_cents": 100, "stock": -1}]},
        {"title": "ok", "skus": [{"spec": {"size": " "}, "price_cents": 100}]},
    ]
    for body in cases:
        response = await client.post("/api/v1/products", json=body, headers=merchant.headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_failed"
        assert "填写有误" in response.json()["message"]  # Chinese unless asked otherwise


async def test_business_rule_conflicts(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    no_skus = await client.post(
        "/api/v1/products", json={"title": "空", "status": "on_sale"}, headers=merchant.headers
    )
    assert no_skus.status_code == 409
    assert no_skus.json()["code"] == "product_has_no_skus"

    same_spec = {"spec": {"size": "M"}, "price_cents": 100, "stock": 1}
    duplicate = await client.post(
        "/api/v1/products",
        json={"title": "重复", "skus": [same_spec, same_spec]},
        headers=merchant.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_sku_spec"

    draft = await create_product(client, merchant, status="draft", skus=[])
    on_sale = await client.post(
        f"/api/v1/products/{draft['id']}/status",
        json={"status": "on_sale"},
        headers=merchant.headers,
    )
    assert on_sale.status_code == 409
    assert on_sale.json()["code"] == "product_has_no_skus"


async def test_update_product_and_status(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant, status="draft")
    response = await client.patch(
        f"/api/v1/products/{product['id']}",
        json={"title": "新标题", "description": "新描述", "category": "配饰"},
        headers=merchant.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["description"], body["category"], body["status"]) == (
        "新标题",
        "新描述",
        "配饰",
        "draft",
    )
    for status in ("on_sale", "off_sale", "draft"):
        changed = await client.post(
            f"/api/v1/products/{product['id']}/status",
            json={"status": status},
            headers=merchant.headers,
        )
        assert changed.status_code == 200
        assert changed.json()["status"] == status


async def test_add_and_update_skus(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    base = f"/api/v1/products/{product['id']}/skus"
    added = await client.post(
        base,
        json={"spec": {"colour": "黑", "size": "M"}, "price_cents": 25900, "stock": 4},
        headers=merchant.headers,
    )
    assert added.status_code == 201
    sku = added.json()
    assert (sku["spec"], sku["price_cents"], sku["stock"], sku["position"]) == (
        {"colour": "黑", "size": "M"},
        25900,
        4,
        2,
    )
    clash = await client.post(
        base,
        json={"spec": {"size": "M", "colour": "黑"}, "price_cents": 1, "stock": 1},
        headers=merchant.headers,
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "duplicate_sku_spec"

    sku_url = f"{base}/{sku['id']}"
    updated = await client.patch(
        sku_url, json={"price_cents": 23900, "stock": 9}, headers=merchant.headers
    )
    assert updated.status_code == 200
    assert (updated.json()["price_cents"], updated.json()["stock"]) == (23900, 9)
    moved = await client.patch(sku_url, json={"stock_delta": -4}, headers=merchant.headers)
    assert moved.json()["stock"] == 5
    too_many = await client.patch(sku_url, json={"stock_delta": -6}, headers=merchant.headers)
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "stock_would_go_negative"
    both = await client.patch(
        sku_url, json={"stock": 1, "stock_delta": 1}, headers=merchant.headers
    )
    assert both.status_code == 422
    assert both.json()["code"] == "validation_failed"
    spec = await client.patch(sku_url, json={"spec": {"colour": "白"}}, headers=merchant.headers)
    assert spec.json()["spec"] == {"colour": "白"}

    unknown = await client.patch(f"{base}/{'0' * 32}", json={"stock": 1}, headers=merchant.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "sku_not_found"
    final = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert [s["stock"] for s in final["skus"]] == [10, 5, 5]
    assert final["stock"] == 20


async def test_listing_public_and_mine(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    other = await sign_up(client, "merchant")
    on_sale = await create_product(client, merchant, title="在售")
    draft = await create_product(client, merchant, title="草稿", status="draft")
    off = await create_product(client, merchant, title="下架", status="off_sale")
    others = await create_product(client, other, title="别家")

    public = (await client.get("/api/v1/products")).json()
    assert {item["id"] for item in public["items"]} == {on_sale["id"], others["id"]}
    assert public["total"] == 2
    by_merchant = (await client.get(f"/api/v1/products?merchant_id={merchant.id}")).json()
    assert [item["id"] for item in by_merchant["items"]] == [on_sale["id"]]
    search = (await client.get("/api/v1/products", params={"q": "别"})).json()
    assert [item["id"] for item in search["items"]] == [others["id"]]

    mine = (await client.get("/api/v1/products?mine=true", headers=merchant.headers)).json()
    assert {item["id"] for item in mine["items"]} == {on_sale["id"], draft["id"], off["id"]}
    assert mine["total"] == 3
    drafts = await client.get("/api/v1/products?mine=true&status=draft", headers=merchant.headers)
    assert [item["id"] for item in drafts.json()["items"]] == [draft["id"]]
    page = (await client.get("/api/v1/products?mine=true&limit=2", headers=merchant.headers)).json()
    assert (len(page["items"]), page["total"], page["limit"]) == (2, 3, 2)

    anonymous_mine = await client.get("/api/v1/products?mine=true")
    assert anonymous_mine.status_code == 401
    public_drafts = await client.get("/api/v1/products?status=draft")
    assert public_drafts.status_code == 422
    assert public_drafts.json()["code"] == "invalid_status_filter"


async def test_drafts_hidden_from_others(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    viewer = await sign_up(client, "viewer")
    draft = await create_product(client, merchant, status="draft")
    for headers in ({}, viewer.headers):
        response = await client.get(f"/api/v1/products/{draft['id']}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "product_not_found"
    own = await client.get(f"/api/v1/products/{draft['id']}", headers=merchant.headers)
    assert own.status_code == 200
    unknown = await client.get(f"/api/v1/products/{'f' * 32}")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "product_not_found"
    patch_unknown = await client.patch(
        f"/api/v1/products/{'f' * 32}", json={"title": "x"}, headers=merchant.headers
    )
    assert patch_unknown.status_code == 404
