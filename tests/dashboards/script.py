"""A scripted session, played through the product's own write paths with a frozen
clock, so every figure of its dashboard is known in advance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from livecommerce.dashboards.rollup import catch_up
from livecommerce.insights.service import BehaviourRecord, insights_service
from livecommerce.kit.clock import clock
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.orders.shop import (
    Stage,
    buyer_with_address,
    create_listing,
    open_stage,
    pay,
    place_order,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(minute: int, second: int = 0) -> datetime:
    return T0 + timedelta(minutes=minute, seconds=second)


@dataclass
class Scripted:
    stage: Stage
    product_id: str
    merchant: Account
    alice: Account
    bob: Account
    carol: Account
    visitor: str


async def visits(
    runtime: Runtime, stage: Stage, rows: list[tuple[str, str, int, datetime]]
) -> None:
    """(kind, viewer, value, when): written as the hub's tick writes them."""
    records = []
    for kind, viewer, value, when in rows:
        user_id, visitor_id = (
            (viewer, None) if len(viewer) == 32 and not viewer.startswith("v") else (None, viewer)
        )
        records.append(
            BehaviourRecord(
                kind=kind,
                user_id=user_id,
                visitor_id=visitor_id,
                room_id=stage.room_id,
                session_id=stage.session_id,
                value=value,
                occurred_at=when,
            )
        )
    async with runtime.db.transaction() as session:
        await insights_service.do_record_many(session, records)


async def stop_background_rollups(runtime: Runtime) -> None:
    """The app keeps the rollups current by itself; tests that roll up step by step stop it."""
    runner = runtime.extras.get("rollups")
    if runner is not None:
        await runner.stop()


async def play(client: httpx.AsyncClient, runtime: Runtime, *, roll_up: bool = True) -> Scripted:
    await stop_background_rollups(runtime)
    clock.freeze(at(0) - timedelta(minutes=5))
    listing = await create_listing(client, price_cents=10000, stock=20, title="羊毛围巾")
    alice, alice_address = await buyer_with_address(client, "Alice")
    bob, bob_address = await buyer_with_address(client, "Bob")
    carol, carol_address = await buyer_with_address(client, "Carol")
    dave = await sign_up(client, name="Dave")
    stage = await open_stage(client, [listing], live_price_cents=8800, start=False)
    # Carol followed the room before: a fan.
    followed = await client.post(f"/api/v1/rooms/{stage.room_id}/follow", headers=carol.headers)
    assert followed.status_code == 200, followed.text
    clock.freeze(at(0))
    started = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/start", headers=stage.host.headers
    )
    assert started.status_code == 200, started.text
    visitor = "v" + new_id()[:31]
    await visits(
        runtime,
        stage,
        [
            ("enter", alice.id, 1, at(0, 5)),
            ("enter", bob.id, 1, at(0, 10)),
            ("enter", visitor, 1, at(0, 20)),
            ("enter", carol.id, 1, at(0, 30)),
        ],
    )
    # Minute 1: a like burst, a chat, a share and three product clicks (two people).
    clock.freeze(at(1, 10))
    await visits(runtime, stage, [("like", alice.id, 5, at(1, 10)), ("chat", bob.id, 1, at(1, 12))])
    share = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/events",
        headers=bob.headers,
        json={"kind": "share"},
    )
    assert share.status_code == 204
    for buyer in (alice, bob, bob):
        click = await client.post(
            f"/api/v1/live-sessions/{stage.session_id}/events",
            headers=buyer.headers,
            json={"kind": "product_click", "product_id": listing.product_id},
        )
        assert click.status_code == 204
    # Minute 2: three orders, two paid; Dave follows.
    clock.freeze(at(2, 15))
    alice_order = await place_order(
        client, alice, alice_address, listing, session_id=stage.session_id
    )
    await pay(client, alice, alice_order["id"])
    await place_order(client, bob, bob_address, listing, quantity=2, session_id=stage.session_id)
    carol_order = await place_order(
        client, carol, carol_address, listing, session_id=stage.session_id
    )
    await pay(client, carol, carol_order["id"])
    dave_follows = await client.post(f"/api/v1/rooms/{stage.room_id}/follow", headers=dave.headers)
    assert dave_follows.status_code == 200
    # Minute 3: Alice's order is refunded.
    clock.freeze(at(3, 30))
    refund = await client.post(
        f"/api/v1/orders/{alice_order['id']}/refund", headers=listing.merchant.headers
    )
    assert refund.status_code == 200, refund.text
    # Minute 4: everyone leaves; the anonymous visitor comes back.
    clock.freeze(at(4, 40))
    await visits(
        runtime,
        stage,
        [
            ("leave", alice.id, 240, at(4, 5)),
            ("leave", bob.id, 180, at(4, 10)),
            ("leave", visitor, 60, at(4, 20)),
            ("leave", carol.id, 300, at(4, 30)),
            ("enter", visitor, 1, at(4, 35)),
        ],
    )
    if roll_up:
        await catch_up(runtime)
    return Scripted(stage, listing.product_id, listing.merchant, alice, bob, carol, visitor)


EXPECTED_FIGURES = {
    "online": 0,  # nobody is on the hub: the visits were written directly
    "pcu": 4,
    "enters": 5,
    "viewers": 4,
    "avg_watch_seconds": 195,  # (240 + 180 + 60 + 300) / 4
    "follows": 1,  # Dave, during the session; Carol followed before it
    "fan_joins": 0,
    "likes": 5,
    "comments": 1,
    "shares": 1,
    "product_clicks": 3,
    "orders": 3,
    "paid_orders": 2,
    "gmv_cents": 17600,
    "refunds": 1,
    "refund_cents": 8800,
    "net_gmv_cents": 8800,
    "gpm_cents": 3_520_000,  # 17600 * 1000 / 5 entries
    "uv_value_cents": 4400,  # 17600 / 4 viewers
    "conversion_bp": 5000,  # 2 payers of 4 viewers
}
