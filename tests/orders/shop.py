"""Shop set-up through the public API, shared by the order and payment tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from livecommerce.kit.clock import utcnow
from livecommerce.kit.events import KIND_PREFIX
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, Payment, ScheduledJob
from livecommerce.worker.loop import WorkerLoop
from tests.factories import Account, link_staff, sign_up


@dataclass
class Listing:
    merchant: Account
    product_id: str
    sku_id: str
    price_cents: int


async def create_listing(
    client: httpx.AsyncClient,
    *,
    merchant: Account | None = None,
    price_cents: int = 9900,
    stock: int = 10,
    status: str = "on_sale",
    title: str = "羊毛围巾",
    spec: dict[str, str] | None = None,
) -> Listing:
    merchant = merchant or await sign_up(client, "merchant")
    response = await client.post(
        "/api/v1/products",
        headers=merchant.headers,
        json={
            "title": title,
            "currency": "CNY",
            "status": status,
            "skus": [{"spec": spec or {"颜色": "红"}, "price_cents": price_cents, "stock": stock}],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Listing(merchant, body["id"], body["skus"][0]["id"], price_cents)


async def stock_of(client: httpx.AsyncClient, listing: Listing) -> int:
    response = await client.get(
        f"/api/v1/products/{listing.product_id}", headers=listing.merchant.headers
    )
    assert response.status_code == 200, response.text
    [sku] = [sku for sku in response.json()["skus"] if sku["id"] == listing.sku_id]
    stock: int = sku["stock"]
    return stock


async def add_address(
    client: httpx.AsyncClient, buyer: Account, recipient: str = "张三", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/addresses",
        headers=buyer.headers,
        json={
            "recipient": recipient,
            "phone": "13800000000",
            "region": "浙江省 杭州市 西湖区",
            "line1": "龙井路 1 号",
            "postal_code": "310000",
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def buyer_with_address(
    client: httpx.AsyncClient, name: str | None = None
) -> tuple[Account, str]:
    buyer = await sign_up(client, "viewer", name=name)
    address = await add_address(client, buyer)
    return buyer, str(address["id"])


async def place_order(
    client: httpx.AsyncClient,
    buyer: Account,
    address_id: str,
    listing: Listing,
    *,
    quantity: int = 1,
    session_id: str | None = None,
    key: str | None = None,
    expect: int = 201,
) -> dict[str, Any]:
    headers = dict(buyer.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await client.post(
        "/api/v1/orders",
        headers=headers,
        json={
            "sku_id": listing.sku_id,
            "quantity": quantity,
            "address_id": address_id,
            "session_id": session_id,
        },
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def start_payment(client: httpx.AsyncClient, buyer: Account, order_id: str) -> str:
    response = await client.post(f"/api/v1/orders/{order_id}/pay", headers=buyer.headers)
    assert response.status_code == 200, response.text
    payment_id: str = response.json()["payment_id"]
    return payment_id


async def pay(
    client: httpx.AsyncClient, buyer: Account, order_id: str, outcome: str = "succeed"
) -> dict[str, Any]:
    payment_id = await start_payment(client, buyer, order_id)
    response = await client.post(
        f"/api/v1/payments/{payment_id}/sandbox-confirm",
        headers=buyer.headers,
        json={"outcome": outcome},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_order(client: httpx.AsyncClient, account: Account, order_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tick(runtime: Runtime) -> int:
    return await WorkerLoop(runtime).run_once()


async def count_rows(runtime: Runtime, model: Any, *where: Any) -> int:
    async with runtime.db.transaction() as session:
        result = await session.execute(select(func.count()).select_from(model).where(*where))
        return int(result.scalar_one())


async def count_jobs(runtime: Runtime) -> int:
    """Scheduled jobs (order expiries and the like), not domain events' outbox rows."""
    return await count_rows(runtime, ScheduledJob, ScheduledJob.kind.not_like(KIND_PREFIX + "%"))


async def behaviour_events(runtime: Runtime, kind: str) -> list[BehaviourEvent]:
    async with runtime.db.transaction() as session:
        result = await session.execute(
            select(BehaviourEvent).where(BehaviourEvent.kind == kind).order_by(BehaviourEvent.id)
        )
        return list(result.scalars())


async def jobs(runtime: Runtime, kind: str) -> list[ScheduledJob]:
    async with runtime.db.transaction() as session:
        result = await session.execute(
            select(ScheduledJob).where(ScheduledJob.kind == kind).order_by(ScheduledJob.run_at)
        )
        return list(result.scalars())


async def payment_row(runtime: Runtime, payment_id: str) -> Payment:
    async with runtime.db.transaction() as session:
        payment = await session.get(Payment, payment_id)
        assert payment is not None
        return payment


class Recorder:
    """Collects every message the broker delivers on one channel."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, text: str) -> None:
        self.messages.append(json.loads(text))


async def make_admin(runtime: Runtime) -> Account:
    from livecommerce.accounts.service import account_service
    from livecommerce.models import Role

    email, password = f"admin-{new_id()[:8]}@example.com", "correct horse battery"
    async with runtime.db.transaction() as session:
        user = await account_service.do_sign_up(
            session,
            email=email,
            password=password,
            display_name="Admin",
            role=Role.PLATFORM_ADMIN,
        )
        issued = await account_service.do_issue_session(session, user, kind="api")
    return Account(
        id=user.id, email=email, password=password, token=issued.token, role="platform_admin"
    )


async def wait_for(recorder: Recorder, count: int) -> None:
    """Redis delivers asynchronously: wait (up to 3 s) until ``count`` messages arrived."""
    for _ in range(150):
        if len(recorder.messages) >= count:
            return
        await asyncio.sleep(0.02)


@dataclass
class Stage:
    host: Account
    room_id: str
    session_id: str


async def open_stage(
    client: httpx.AsyncClient,
    listings: list[Listing],
    *,
    live_price_cents: int | None = None,
    start: bool = True,
) -> Stage:
    """A host's room with a session that shows ``listings`` (and is on air if ``start``)."""
    host = await sign_up(client, "host", name="主播小红")
    room = await client.post("/api/v1/rooms", headers=host.headers, json={"name": "小红的直播间"})
    assert room.status_code == 201, room.text
    room_id: str = room.json()["id"]
    planned = (utcnow() + timedelta(hours=1)).isoformat()
    live = await client.post(
        f"/api/v1/rooms/{room_id}/sessions",
        headers=host.headers,
        json={"title": "冬季上新", "planned_start_at": planned},
    )
    assert live.status_code == 201, live.text
    session_id: str = live.json()["id"]
    for merchant_id in dict.fromkeys(listing.merchant.id for listing in listings):
        merchant = next(item.merchant for item in listings if item.merchant.id == merchant_id)
        await link_staff(client, merchant, host)
    for listing in listings:
        added = await client.post(
            f"/api/v1/live-sessions/{session_id}/showcase",
            headers=host.headers,
            json={"product_id": listing.product_id, "live_price_cents": live_price_cents},
        )
        assert added.status_code == 201, added.text
    if start:
        started = await client.post(
            f"/api/v1/live-sessions/{session_id}/start", headers=host.headers
        )
        assert started.status_code == 200, started.text
    return Stage(host, room_id, session_id)
