"""The demo's C2B story: the host runs a colour poll in the live room; the merchant turns
the winning colour into a 100-unit pre-sale with a deposit and the demo factory as its
supplier; simulated viewers fill it, so the production order reaches the factory's
console (``/factory``), which delivers to the warehouse. A small full-price pre-sale
closes, succeeds and ships to its buyers, and a third that does not fill refunds
everyone automatically."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from livecommerce.c2b.fulfilment import fulfilment_service
from livecommerce.demo.seed import ensure_address
from livecommerce.demo.world import DemoWorld, _check, api_token, bearer, ensure_account
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

FACTORY = ("factory@demo.livecommerce.local", "义乌速干服饰厂")
BUYERS = 10  # simulated viewers, ten units each fill the 100-unit pre-sale
PRODUCT_TITLE = "速干防晒衣 UPF50+"
SHORT_DEADLINE_S = 20  # the small pre-sales close this long after seeding starts them


async def wait_until(when: datetime) -> None:
    """Sleep until ``when`` has passed (tests move the clock instead)."""
    await asyncio.sleep(max(0.0, (when - utcnow()).total_seconds()) + 0.5)


async def _pay(http: httpx.AsyncClient, headers: dict[str, str], order_id: str) -> None:
    started = _check(await http.post(f"/api/v1/orders/{order_id}/pay", headers=headers))
    _check(
        await http.post(
            f"/api/v1/payments/{started['payment_id']}/sandbox-confirm",
            headers=headers,
            json={"outcome": "succeed"},
        )
    )


async def _join(
    http: httpx.AsyncClient, headers: dict[str, str], campaign_id: str, quantity: int, **extra: Any
) -> dict[str, Any]:
    address = _check(await http.get("/api/v1/addresses", headers=headers))["items"][0]
    body = {"quantity": quantity, "address_id": address["id"], **extra}
    joined: dict[str, Any] = _check(
        await http.post(f"/api/v1/presales/{campaign_id}/join", headers=headers, json=body)
    )
    return joined


async def _decide(runtime: Runtime, campaign_id: str) -> None:
    """Run the deadline now that it passed (the worker would, a moment later)."""
    async with runtime.db.transaction() as session:
        outcome = await fulfilment_service.do_run_deadline(session, campaign_id)
    async with runtime.db.transaction() as session:
        if outcome == "succeeded":
            await fulfilment_service.do_settle_batch(session, campaign_id)
        elif outcome == "failed":
            await fulfilment_service.do_refund_batch(session, campaign_id)


async def seed_c2b(
    http: httpx.AsyncClient,
    runtime: Runtime,
    world: DemoWorld,
    wait: Callable[[datetime], Awaitable[None]] | None = None,
) -> None:
    _wait = wait or wait_until
    merchant = bearer(world.tokens["merchant"])
    host = bearer(world.tokens["host"])
    products = _check(await http.get("/api/v1/products", params={"mine": "true"}, headers=merchant))
    product = next(
        (item for item in products.get("items", []) if item["title"] == PRODUCT_TITLE), None
    )
    if product is None:
        return
    world.logins["factory"] = FACTORY[0]
    world.logins["buyer1"] = "buyer1@demo.livecommerce.local"
    existing = _check(await http.get("/api/v1/presales", params={"product_id": product["id"]}))
    if existing["items"]:
        return  # seeded on an earlier start
    await ensure_account(runtime, *FACTORY, Role.SUPPLIER)
    factory = bearer(await api_token(http, FACTORY[0]))
    factory_id = _check(await http.get("/api/v1/me", headers=factory))["id"]
    buyers: list[dict[str, str]] = []
    for number in range(1, BUYERS + 1):
        email = f"buyer{number}@demo.livecommerce.local"
        await ensure_account(runtime, email, f"预售买家{number}", Role.VIEWER)
        headers = bearer(await api_token(http, email))
        await ensure_address(http, headers, f"买家{number}")
        buyers.append(headers)

    # 1. The host's poll: which colour next? The room sees the votes move.
    poll = _check(
        await http.post(
            f"/api/v1/live-sessions/{world.session_id}/polls",
            headers=host,
            json={
                "question": "防晒衣下一批做什么颜色？",
                "options": ["雾蓝", "樱花粉", "奶白"],
                "product_id": product["id"],
            },
        )
    )
    for index, headers in enumerate(buyers):
        option = 0 if index < 6 else (1 if index < 9 else 2)
        _check(
            await http.post(
                f"/api/v1/polls/{poll['id']}/vote", headers=headers, json={"option": option}
            )
        )
    for index, headers in enumerate(buyers[:4]):
        _check(
            await http.post(
                f"/api/v1/products/{product['id']}/demand",
                headers=headers,
                json={"variant": "雾蓝", "price_willing_cents": 9900 + 1000 * index},
            )
        )

    # 2. The winner becomes a 100-unit pre-sale with a deposit, made by the demo factory.
    sku = next(item for item in product["skus"] if item["spec"].get("颜色") == "雾蓝")
    now = utcnow()
    presale = _check(
        await http.post(
            "/api/v1/presales",
            headers=merchant,
            json={
                "sku_id": sku["id"],
                "title": "雾蓝防晒衣 · 100 件起订",
                "price_cents": 9900,
                "deposit_cents": 2000,
                "moq": 100,
                "max_units": 120,
                "per_buyer_limit": 10,
                "deadline": (now + timedelta(days=3)).isoformat(),
                "expected_ship_at": (now + timedelta(days=10)).isoformat(),
                "session_id": world.session_id,
                "supplier_id": factory_id,
                "customisation_fields": [{"name": "刻字", "max_length": 12}],
                "production_at_moq": True,
                "extend_share_bp": 8000,
            },
        )
    )
    for index, headers in enumerate(buyers):
        joined = await _join(
            http, headers, presale["id"], 10, customisation={"刻字": f"No.{index}"}
        )
        await _pay(http, headers, joined["order_id"])
    # The production order reached the factory at the MOQ: it accepts and delivers.
    orders = _check(await http.get("/api/v1/production-orders", headers=factory))["items"]
    if orders:
        order_id = orders[0]["id"]
        _check(await http.post(f"/api/v1/production-orders/{order_id}/accept", headers=factory))
        _check(
            await http.post(
                f"/api/v1/production-orders/{order_id}/progress",
                headers=factory,
                json={"status": "in_production"},
            )
        )
        _check(
            await http.post(
                f"/api/v1/production-orders/{order_id}/deliveries",
                headers=factory,
                json={"units": 60, "note": "第一批"},
            )
        )

    # 3. A small full-price pre-sale closes, goes ahead and ships to its buyers; another
    #    one does not fill and refunds everyone.
    closes = utcnow() + timedelta(seconds=SHORT_DEADLINE_S)
    ships = (utcnow() + timedelta(days=7)).isoformat()
    base = {"sku_id": sku["id"], "deadline": closes.isoformat(), "expected_ship_at": ships}
    full = _check(
        await http.post(
            "/api/v1/presales",
            headers=merchant,
            json={
                **base,
                "title": "雾蓝防晒衣 · 尝鲜团",
                "price_cents": 8900,
                "moq": 3,
                "max_units": 10,
                "supplier_id": factory_id,
            },
        )
    )
    failing = _check(
        await http.post(
            "/api/v1/presales",
            headers=merchant,
            json={
                **base,
                "title": "樱花粉防晒衣 · 50 件起订",
                "price_cents": 9900,
                "deposit_cents": 1000,
                "moq": 50,
                "max_units": 80,
            },
        )
    )
    for headers in buyers[:3]:
        joined = await _join(http, headers, full["id"], 1)
        await _pay(http, headers, joined["order_id"])
        joined = await _join(http, headers, failing["id"], 1)
        await _pay(http, headers, joined["order_id"])
    await _wait(closes)
    await _decide(runtime, full["id"])
    await _decide(runtime, failing["id"])
    pledges = _check(await http.get(f"/api/v1/presales/{full['id']}/pledges", headers=merchant))
    for number, pledge in enumerate(pledges["items"], start=1):
        if pledge["status"] == "confirmed":
            _check(
                await http.post(
                    f"/api/v1/pledges/{pledge['id']}/ship",
                    headers=merchant,
                    json={"carrier": "顺丰速运", "tracking_number": f"SF20260{number:04d}"},
                )
            )
