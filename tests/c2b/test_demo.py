"""The demo's C2B story: a colour poll, a 100-unit pre-sale with a deposit filled by
simulated viewers, the factory's production order, a pre-sale that ships and one that
refunds everyone."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from livecommerce.demo.c2b import seed_c2b
from livecommerce.demo.seed import seed_demo
from livecommerce.demo.world import api_token, bearer
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.ledger.verify import verify_ledger
from tests.c2b.helpers import drain


async def test_demo_c2b_story(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await seed_demo(client, runtime)

    async def move_clock(when: datetime) -> None:
        clock.advance(when - utcnow() + timedelta(seconds=1))

    await seed_c2b(client, runtime, world, move_clock)
    await drain(runtime)
    polls = (await client.get(f"/api/v1/live-sessions/{world.session_id}/polls")).json()
    [poll] = polls["items"]
    assert (poll["options"], poll["counts"]) == (["雾蓝", "樱花粉", "奶白"], [6, 3, 1])
    presales = (
        await client.get("/api/v1/presales", params={"session_id": world.session_id})
    ).json()
    [big] = presales["items"]
    assert (big["moq"], big["units_paid"], big["deposit_cents"]) == (100, 100, 2000)
    factory = bearer(await api_token(client, "factory@demo.livecommerce.local"))
    orders = (await client.get("/api/v1/production-orders", headers=factory)).json()["items"]
    by_title = {order["title"]: order for order in orders}
    made = by_title["雾蓝防晒衣 · 100 件起订"]
    assert (made["status"], made["units_total"], made["units_delivered"]) == (
        "in_production",
        120,
        60,
    )
    everything = (
        await client.get("/api/v1/presales", params={"product_id": big["product_id"]})
    ).json()["items"]
    states = {item["title"]: item["status"] for item in everything}
    assert states == {
        "雾蓝防晒衣 · 100 件起订": "open",
        "雾蓝防晒衣 · 尝鲜团": "succeeded",
        "樱花粉防晒衣 · 50 件起订": "failed",
    }
    buyer = bearer(await api_token(client, "buyer1@demo.livecommerce.local"))
    mine = (await client.get("/api/v1/presales/mine", headers=buyer)).json()["items"]
    assert sorted(item["pledge"]["status"] for item in mine) == ["paid", "refunded", "shipped"]
    async with runtime.db.transaction() as session:
        report = await verify_ledger(session)
    assert report.ok, report.problems

    await seed_c2b(client, runtime, world)  # a second start adds nothing
    again = (await client.get(f"/api/v1/live-sessions/{world.session_id}/polls")).json()
    assert len(again["items"]) == 1
