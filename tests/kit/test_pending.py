"""Rows kept back (``kit/pending.py``) are the rows a flush would store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from livecommerce.kit import pending
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Order, OrderItem
from livecommerce.models.jobs import ScheduledJob
from tests.factories import sign_up
from tests.orders.shop import create_listing, open_stage


@dataclass(frozen=True)
class _World:
    buyer: str
    merchant: str
    room: str
    session: str
    host: str
    product: str
    sku: str


def _batch(tag: str, world: _World) -> list[Any]:
    """Two orders (ids given, one item each: the item's order id comes from its parent)
    and a timer whose id, status, attempts and created time are left to defaults."""
    now = utcnow()
    objects: list[Any] = []
    for n in range(2):
        objects.append(
            Order(
                id=f"{tag}-order-{n}",
                buyer_id=world.buyer,
                merchant_id=world.merchant,
                room_id=world.room,
                session_id=world.session,
                host_id=world.host,
                status="pending_payment",
                currency="CNY",
                subtotal_cents=300,
                discount_cents=0,
                total_cents=300,
                shipping_address={"recipient": "张三"},
                idempotency_key=f"{tag}-{n}",
                created_at=now,
                expires_at=now + timedelta(minutes=15),
                items=[
                    OrderItem(
                        id=f"{tag}-item-{n}",
                        product_id=world.product,
                        sku_id=world.sku,
                        title="围巾",
                        spec={"颜色": "红"},
                        unit_price_cents=300,
                        quantity=1,
                        line_total_cents=300,
                    )
                ],
            )
        )
    objects.append(ScheduledJob(kind="order.expire", run_at=now, payload={"order_id": "x"}))
    return objects


def _comparable(table: str, row: dict[str, Any], tag: str) -> dict[str, Any]:
    """A row with what differs between two batches by construction set aside (ids made
    by defaults, times of creation, the tag in given ids)."""
    out = {
        key: (value.replace(tag, "T") if isinstance(value, str) else value)
        for key, value in row.items()
    }
    for key in ("created_at", "expires_at", "run_at", "updated_at"):
        out.pop(key, None)
    if table == "scheduled_jobs":
        assert isinstance(out.pop("id"), str)
    return out


async def test_kept_rows_are_the_rows_a_flush_stores(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    stage = await open_stage(client, [listing])
    buyer = await sign_up(client, "viewer")
    world = _World(
        buyer.id,
        listing.merchant.id,
        stage.room_id,
        stage.session_id,
        stage.host.id,
        listing.product_id,
        listing.sku_id,
    )
    async with runtime.db.transaction() as session:
        pending.keep_back(session)
        kept_objects = _batch("kept", world)
        session.add_all(kept_objects)
        kept = {entry.table.name: entry.rows for entry in pending.kept_rows(session)}
        pending.mark_stored(session)
        assert not session.new  # nothing is left for a flush to store again
        # The objects hold what their rows hold: defaults and the parents' keys.
        job = kept_objects[-1]
        assert job.id == kept["scheduled_jobs"][0]["id"]
        assert job.status == "pending"
        assert job.attempts == 0
        assert kept_objects[0].items[0].order_id == "kept-order-0"
    # Tables in dependency order: every parent before its children.
    assert list(kept).index("orders") < list(kept).index("order_items")

    async with runtime.db.transaction() as session:
        session.add_all(_batch("flushed", world))
        await session.flush()
        stored: dict[str, list[dict[str, Any]]] = {}
        for table, mine in (
            (Order.__table__, Order.__table__.c.id.like("flushed-%")),
            (OrderItem.__table__, OrderItem.__table__.c.id.like("flushed-%")),
            (ScheduledJob.__table__, ScheduledJob.__table__.c.kind == "order.expire"),
        ):
            rows = (await session.execute(select(table).where(mine))).mappings()
            stored[table.name] = [dict(row) for row in rows]

    for table, rows in kept.items():
        assert sorted(rows[0]) == sorted(stored[table][0]), table  # every column, no more
        expected = sorted((_comparable(table, row, "flushed") for row in stored[table]), key=repr)
        assert sorted((_comparable(table, row, "kept") for row in rows), key=repr) == expected
