"""``livecommerce bench flash-sale``: buyers race for a flash sale over real HTTP.

It migrates a fresh SQLite file (or the ``--database-url`` database), writes the
buyers with an API token and a default address straight into it, starts
``livecommerce serve`` as its own process (``bench/servers.py``, with
``LIVECOMMERCE_BENCH_ENDPOINTS=true``), sets up the merchant's product, the host's
room, live session and flash sale through the API, and drives the server with the
benchmark load generator (``bench/loadgen.py``) on ``CONCURRENCY`` keep-alive
connections. Every buyer sends its click with one ``Idempotency-Key``, as the browser
does, until it wins or sees sold-out; one winner in ten sends its request again with
the same key and must get the same order back. The ceiling is the bare ASGI app of
``bench/servers.py`` in its own process, driven by the same load generator at the same
concurrency in the same run. The textbook read-then-write purchase
(``bench/flash_sale_server.py``) races for a second sale to show the oversell the real
endpoint avoids. Oversell and duplicates are counted from the database afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from livecommerce.bench.loadgen import (
    Connection,
    HttpError,
    LoadResult,
    Reply,
    hammer,
    run_workers,
)
from livecommerce.bench.registry import register
from livecommerce.bench.seed import Buyer, bench_database, seed_buyers, set_role
from livecommerce.bench.servers import Server, api, ceiling_server, platform_server, run_client

BUYERS = 10_000
UNITS = 500
SMOKE_BUYERS = 200
SMOKE_UNITS = 20
NAIVE_BUYERS = 5_000  # enough to show the oversell; the naive route is slow to drain
CONCURRENCY = 64
RETRY_EVERY = 10  # one winner in ten repeats its request with the same key
TARGET_RATIO = 0.1
TARGET_WINNER_P99_MS = 200.0


async def _set_up_sale(server: Server, merchant: Buyer, host: Buyer, units: int) -> dict[str, Any]:
    """Product, room, live session and the flash sale, through the API."""
    from datetime import UTC, datetime, timedelta

    connection = Connection(server.host, server.port)
    try:
        product = await api(
            connection,
            server,
            "POST",
            "/api/v1/products",
            token=merchant.token,
            json_body={
                "title": "秒杀围巾",
                "currency": "CNY",
                "status": "on_sale",
                "skus": [{"spec": {"颜色": "红"}, "price_cents": 9900, "stock": units * 3}],
            },
            expect=201,
        )
        # The host sells the merchant's goods as its staff (商家自播).
        await api(
            connection,
            server,
            "POST",
            "/api/v1/mcn/staff",
            token=merchant.token,
            json_body={"host_id": host.user_id},
            expect=201,
        )
        await api(
            connection,
            server,
            "POST",
            f"/api/v1/mcn/staff/{merchant.user_id}/accept",
            token=host.token,
        )
        room = await api(
            connection,
            server,
            "POST",
            "/api/v1/rooms",
            token=host.token,
            json_body={"name": "秒杀间"},
            expect=201,
        )
        planned = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        live = await api(
            connection,
            server,
            "POST",
            f"/api/v1/rooms/{room['id']}/sessions",
            token=host.token,
            json_body={"title": "bench", "planned_start_at": planned},
            expect=201,
        )
        await api(
            connection,
            server,
            "POST",
            f"/api/v1/live-sessions/{live['id']}/showcase",
            token=host.token,
            json_body={"product_id": product["id"]},
            expect=201,
        )
        await api(
            connection,
            server,
            "POST",
            f"/api/v1/live-sessions/{live['id']}/start",
            token=host.token,
        )
        sale: dict[str, Any] = await api(
            connection,
            server,
            "POST",
            f"/api/v1/live-sessions/{live['id']}/flash-sales",
            token=host.token,
            json_body={
                "product_id": product["id"],
                "sku_id": product["skus"][0]["id"],
                "price_cents": 990,
                "units": units,
                "per_buyer_limit": 1,
                "duration_s": 3600,
            },
            expect=201,
        )
        return sale
    finally:
        connection.close()


async def _naive_sale(database_url: str, sale: dict[str, Any]) -> str:
    """A second sale row for the naive endpoint, same product and units."""
    from livecommerce.kit.db import Database
    from livecommerce.kit.ids import new_id
    from livecommerce.models import FlashSale

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            real = await session.get(FlashSale, sale["id"])
            assert real is not None
            naive = FlashSale(
                id=new_id(),
                session_id=real.session_id,
                room_id=real.room_id,
                product_id=real.product_id,
                sku_id=real.sku_id,
                created_by=real.created_by,
                currency=real.currency,
                price_cents=real.price_cents,
                original_price_cents=real.original_price_cents,
                units_total=real.units_total,
                units_left=real.units_total,
                units_returned=0,
                per_buyer_limit=1,
                starts_at=real.starts_at,
                ends_at=real.ends_at,
            )
            session.add(naive)
        return naive.id
    finally:
        await db.dispose()


@dataclass
class Race:
    result: LoadResult = field(default_factory=LoadResult)
    winners: list[float] = field(default_factory=list)  # the winning click's latency
    mismatched: int = 0  # same-key repeats that came back with another order (must be 0)


async def _race(
    server: Server, path: str, buyers: list[Buyer], concurrency: int, *, retries: bool, tag: str
) -> Race:
    """Every buyer clicks until it wins or sees sold-out, each click keyed."""
    race = Race()
    result = race.result
    queue = iter(enumerate(buyers))

    async def attempt(connection: Connection, raw: bytes) -> Reply | None:
        started = time.perf_counter()
        try:
            reply = await connection.request(raw)
        except HttpError:
            result.errors += 1
            return None
        result.record(started, reply.status)
        if reply.status in (200, 201):
            race.winners.append(result.latencies[-1])
        return reply

    async def worker(connection: Connection) -> None:
        for number, buyer in queue:
            raw = server.request(
                "POST",
                path,
                headers={
                    "Authorization": f"Bearer {buyer.token}",
                    "Idempotency-Key": f"{tag}-{number}",
                },
            )
            for _ in range(20):
                reply = await attempt(connection, raw)
                if reply is None or reply.status >= 500:
                    continue  # retry with the same key
                if reply.status in (200, 201):
                    if retries and number % RETRY_EVERY == 0:
                        again = await attempt(connection, raw)
                        if again is not None and again.status in (200, 201):
                            if again.json().get("id") != reply.json().get("id"):
                                race.mismatched += 1
                    break
                code = reply.json().get("code")
                if code == "sold_out":
                    break
                if code not in ("flash_sale_not_started", "not_enough_units"):
                    result.errors += 1
                    break

    result.elapsed = await run_workers(concurrency, worker, server.host, server.port)
    return race


async def _count(database_url: str, sale_id: str) -> dict[str, int]:
    from livecommerce.kit.db import Database
    from livecommerce.models import FlashSale, Order, OrderItem

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            sale = await session.get(FlashSale, sale_id)
            assert sale is not None
            units = await session.scalar(
                select(func.coalesce(func.sum(OrderItem.quantity), 0))
                .join(Order, Order.id == OrderItem.order_id)
                .where(Order.flash_sale_id == sale_id)
            )
            orders = await session.scalar(
                select(func.count()).select_from(Order).where(Order.flash_sale_id == sale_id)
            )
            buyers = await session.scalar(
                select(func.count(func.distinct(Order.buyer_id))).where(
                    Order.flash_sale_id == sale_id
                )
            )
            return {
                "units_total": sale.units_total,
                "units_left": sale.units_left,
                "sold": int(units or 0),
                "orders": int(orders or 0),
                "buyers": int(buyers or 0),
            }
    finally:
        await db.dispose()


async def run_flash_sale(
    *,
    buyers: int,
    units: int,
    concurrency: int,
    ceiling_s: float,
    naive_buyers: int,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    tag = str(int(time.time() * 1000))
    async with ceiling_server(workers=workers) as server:
        request = server.request("GET", "/healthz")
        ceiling = await hammer(
            server.host,
            server.port,
            connections=concurrency,
            make_request=lambda _c, _n: request,
            duration_s=ceiling_s,
        )
    async with bench_database(database_url) as database:
        people = await seed_buyers(database.url, buyers + 2, tag=tag)
        merchant, host, people = people[0], people[1], people[2:]
        await set_role(database.url, merchant.user_id, "merchant")
        await set_role(database.url, host.user_id, "host")
        async with platform_server(
            database_url=database.url,
            data_dir=database.data_dir,
            redis_url=redis_url,
            workers=workers,
        ) as server:
            sale = await _set_up_sale(server, merchant, host, units)
            naive_sale_id = await _naive_sale(database.url, sale)
            real = await _race(
                server,
                f"/api/v1/flash-sales/{sale['id']}/buy",
                people,
                concurrency,
                retries=True,
                tag=tag,
            )
            naive = await _race(
                server,
                f"/api/v1/bench/naive-buy/{naive_sale_id}",
                people[:naive_buyers],
                concurrency,
                retries=False,
                tag=f"{tag}-naive",
            )
        counted = await _count(database.url, sale["id"])
        naive_counted = await _count(database.url, naive_sale_id)
    winners = LoadResult(latencies=real.winners)
    oversold = max(0, counted["sold"] - counted["units_total"])
    result: dict[str, Any] = {
        "database": "sqlite" if database.is_sqlite else database.url.split("://")[0],
        "redis": bool(redis_url),
        "workers": workers,
        "buyers": buyers,
        "units": units,
        "concurrency": concurrency,
        "attempts": real.result.requests,
        "attempts_per_s": real.result.per_s,
        "p50_ms": real.result.percentile_ms(0.50),
        "p99_ms": real.result.percentile_ms(0.99),
        "winners_p50_ms": winners.percentile_ms(0.50),
        "winners_p99_ms": winners.percentile_ms(0.99),
        "statuses": real.result.summary()["statuses"],
        "sold": counted["sold"],
        "oversold": oversold,
        "duplicate_orders": counted["orders"] - counted["buyers"] + real.mismatched,
        "stock_left": counted["units_left"],
        "units_accounted": counted["sold"] + counted["units_left"] == counted["units_total"],
        "errors": real.result.errors,
        "ceiling_per_s": ceiling.per_s,
        "ceiling_errors": ceiling.errors,
        "ceiling_p50_ms": ceiling.percentile_ms(0.50),
        "naive_per_s": naive.result.per_s,
        "naive_buyers": min(naive_buyers, buyers),
        "naive_attempts": naive.result.requests,
        "naive_sold": naive_counted["sold"],
        "naive_oversold": max(0, naive_counted["sold"] - naive_counted["units_total"]),
        "ratio_to_ceiling": round(real.result.per_s / ceiling.per_s, 3) if ceiling.per_s else None,
    }
    result["target_met"] = bool(
        result["ratio_to_ceiling"] is not None
        and result["ratio_to_ceiling"] >= TARGET_RATIO
        and result["winners_p99_ms"] <= TARGET_WINNER_P99_MS
        and result["oversold"] == 0
        and result["duplicate_orders"] == 0
        and result["units_accounted"]
    )
    return result


@register("flash-sale", "10,000 buyers race for 500 flash-sale units over HTTP (vs ceiling, naive)")
def flash_sale(
    *,
    smoke: bool = False,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    if smoke:
        settings: dict[str, Any] = {
            "buyers": SMOKE_BUYERS,
            "units": SMOKE_UNITS,
            "concurrency": 16,
            "ceiling_s": 0.3,
            "naive_buyers": SMOKE_BUYERS,
        }
    else:
        settings = {
            "buyers": BUYERS,
            "units": UNITS,
            "concurrency": CONCURRENCY,
            "ceiling_s": 3.0,
            "naive_buyers": NAIVE_BUYERS,
        }
    result: dict[str, Any] = run_client(
        run_flash_sale(**settings, database_url=database_url, redis_url=redis_url, workers=workers)
    )
    return result
