"""Demo partners: commission offers, an MCN agency with two signed hosts, an external
affiliate product, a few purchases, one refund and closed statements — all through the
public API, so every console has figures and ``livecommerce ledger verify`` passes."""

from __future__ import annotations

import json
from typing import Any

import httpx

from livecommerce.demo.world import (
    DEMO_PRODUCTS,
    DemoWorld,
    _check,
    api_token,
    bearer,
    ensure_account,
)
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.mcn.service import sign_postback
from livecommerce.models import Role

PARTNER_ACCOUNTS: dict[str, tuple[str, str, Role]] = {
    "mcn": ("mcn@demo.livecommerce.local", "星火传媒", Role.MCN_ADMIN),
    "host2": ("host2@demo.livecommerce.local", "达人阿美", Role.HOST),
}
# Commission per demo product, in the order of DEMO_PRODUCTS; the price floors let the
# demo room's live prices through, and the merchant allows flash sales and prizes.
OFFER_TERMS: list[dict[str, Any]] = [
    {"commission_bp": 2000, "sample_policy": "free", "min_live_price_cents": 12900},
    {"commission_bp": 1500, "sample_policy": "returnable", "fixed_fee_cents": 500},
    {"commission_bp": 2500, "sample_policy": "free", "min_live_price_cents": 2990},
    {"commission_bp": 1000, "visibility": "invite_only", "min_live_price_cents": 8900},
]


async def publish_offers(
    http: httpx.AsyncClient,
    merchant: dict[str, str],
    host: dict[str, str],
    product_ids: list[str],
) -> list[str]:
    """The merchant publishes its products in the selection marketplace (once); the demo
    host is invited to the invite-only one. The offer ids, in the order of the products."""
    from livecommerce.demo.world import _check

    mine = _check(await http.get("/api/v1/mcn/offers", params={"mine": "true"}, headers=merchant))
    existing = {item["product_id"]: item["id"] for item in mine["items"]}
    offer_ids: list[str] = []
    for product_id, terms in zip(product_ids, OFFER_TERMS, strict=False):
        offer_id = existing.get(product_id)
        if offer_id is None:
            body = {
                "product_id": product_id,
                "allow_flash_sales": True,
                "allow_prizes": True,
                "allow_room_coupons": True,
            }
            offer = _check(
                await http.post("/api/v1/mcn/offers", headers=merchant, json={**body, **terms})
            )
            offer_id = offer["id"]
            if terms.get("visibility") == "invite_only":
                host_id = _check(await http.get("/api/v1/me", headers=host))["id"]
                _check(
                    await http.post(
                        f"/api/v1/mcn/offers/{offer_id}/invites",
                        headers=merchant,
                        json={"host_ids": [host_id]},
                    )
                )
        offer_ids.append(offer_id)
    return offer_ids


async def seed_partners(http: httpx.AsyncClient, runtime: Runtime, world: DemoWorld) -> None:
    for role, (email, name, account_role) in PARTNER_ACCOUNTS.items():
        await ensure_account(runtime, email, name, account_role)
        world.tokens[role] = await api_token(http, email)
        world.logins[role] = email
    mcn = bearer(world.tokens["mcn"])
    if (await http.get("/api/v1/mcn/agency", headers=mcn)).status_code == 200:
        return  # seeded on an earlier run
    merchant = bearer(world.tokens["merchant"])
    host = bearer(world.tokens["host"])
    host2 = bearer(world.tokens["host2"])
    viewer = bearer(world.tokens["viewer"])
    me = {
        name: _check(await http.get("/api/v1/me", headers=bearer(world.tokens[name])))["id"]
        for name in ("host", "host2")
    }

    # 1. The merchant publishes its products in the selection marketplace.
    products = _check(await http.get("/api/v1/products", params={"mine": "true"}, headers=merchant))
    by_title = {item["title"]: item["id"] for item in products["items"]}
    product_ids = [by_title[spec["title"]] for spec in DEMO_PRODUCTS if spec["title"] in by_title]
    offer_ids = await publish_offers(http, merchant, host, product_ids)
    if offer_ids:
        _check(
            await http.post(
                f"/api/v1/mcn/offers/{offer_ids[-1]}/invites",
                headers=merchant,
                json={"host_ids": [me["host2"]]},
            )
        )

    # 2. An MCN agency signs both talent hosts.
    _check(await http.post("/api/v1/mcn/agencies", headers=mcn, json={"name": "星火传媒"}))
    for name, share_bp in (("host", 3000), ("host2", 2000)):
        contract = _check(
            await http.post(
                "/api/v1/mcn/contracts",
                headers=mcn,
                json={"host_id": me[name], "share_bp": share_bp},
            )
        )
        _check(
            await http.post(
                f"/api/v1/mcn/contracts/{contract['id']}/accept",
                headers=bearer(world.tokens[name]),
            )
        )

    # 3. The second host asks for a sample and sells an offer from its own room.
    if offer_ids:
        sample = _check(
            await http.post(
                f"/api/v1/mcn/offers/{offer_ids[0]}/samples",
                headers=host2,
                json={"note": "想先试喝再上播"},
            )
        )
        _check(await http.post(f"/api/v1/mcn/samples/{sample['id']}/approve", headers=merchant))
    room = _check(await http.post("/api/v1/rooms", headers=host2, json={"name": "阿美的好物分享"}))
    session = _check(
        await http.post(
            f"/api/v1/rooms/{room['id']}/sessions",
            headers=host2,
            json={"title": "阿美下午茶好物", "planned_start_at": utcnow().isoformat()},
        )
    )
    for offer_id in offer_ids[2:]:
        _check(
            await http.post(
                f"/api/v1/mcn/offers/{offer_id}/showcase",
                headers=host2,
                json={"session_id": session["id"]},
            )
        )
    _check(await http.post(f"/api/v1/live-sessions/{session['id']}/start", headers=host2))

    # 4. Purchases in both rooms, one partial refund.
    async def buy(session_id: str, product_id: str, quantity: int) -> str:
        product = _check(await http.get(f"/api/v1/products/{product_id}"))
        order = _check(
            await http.post(
                "/api/v1/orders",
                headers=viewer,
                json={
                    "sku_id": product["skus"][0]["id"],
                    "quantity": quantity,
                    "address_id": _check(await http.get("/api/v1/addresses", headers=viewer))[
                        "items"
                    ][0]["id"],
                    "session_id": session_id,
                },
            )
        )
        payment = _check(await http.post(f"/api/v1/orders/{order['id']}/pay", headers=viewer))
        _check(
            await http.post(
                f"/api/v1/payments/{payment['payment_id']}/sandbox-confirm",
                headers=viewer,
                json={"outcome": "succeed"},
            )
        )
        order_id: str = order["id"]
        return order_id

    orders = []
    if len(product_ids) >= 3:
        orders.append(await buy(world.session_id, product_ids[0], 2))
        orders.append(await buy(world.session_id, product_ids[1], 1))
        orders.append(await buy(session["id"], product_ids[2], 3))
        _check(
            await http.post(
                f"/api/v1/ledger/orders/{orders[0]}/refunds",
                headers=merchant,
                json={"amount_cents": 1999, "reason": "包装破损补偿"},
            )
        )
    # Only the demo room publishes video: the second host's session is a past one, not a
    # room shown as LIVE with nothing on screen.
    _check(await http.post(f"/api/v1/live-sessions/{session['id']}/end", headers=host2))

    # 5. An external product: a tracked link, a click, and the store's signed postback.
    link = _check(
        await http.post(
            "/api/v1/mcn/affiliate-links",
            headers=host,
            json={
                "title": "户外冲锋衣（外部店铺）",
                "target_url": "https://shop.example.com/item/outdoor-jacket",
                "store_name": "淘宝 · 山行户外",
                "commission_bp": 1200,
            },
        )
    )
    await http.get(f"/go/{link['code']}", follow_redirects=False)
    body = json.dumps(
        {
            "code": link["code"],
            "external_order_id": "TB-DEMO-0001",
            "amount_cents": 45900,
            "currency": "CNY",
        }
    ).encode()
    secret = str(link["postback_secret"])
    _check(
        await http.post(
            "/api/v1/mcn/affiliate/postback",
            content=body,
            headers={
                "X-Signature": sign_postback(secret, body),
                "Content-Type": "application/json",
            },
        )
    )


async def close_demo_period(http: httpx.AsyncClient, world: DemoWorld) -> None:
    """The platform closes the period once everything is seeded: statements for the
    merchant, hosts and agency hold every sale of the demo."""
    admin = bearer(world.tokens["admin"])
    _check(await http.post("/api/v1/ledger/settlements", headers=admin, json={}))
