"""``livecommerce bench http``: what an API call costs next to what the server under it costs.

The ceiling (``bench/servers.py``: a bare ASGI app under uvicorn, uvloop, httptools,
access log off, one process) and ``livecommerce serve`` (one process, access log off)
are started in the same run and driven by the same load generator
(``bench/loadgen.py``) at 1, 16 and 256 keep-alive connections. Each request kind is
reported as requests/s, p50/p99, errors and its ratio to the ceiling at the same
number of connections:

- ``healthz``: ``GET /healthz``;
- ``me``: ``GET /api/v1/me`` with a bearer token (one buyer per connection);
- ``list``: ``GET /api/v1/products?limit=20`` with a bearer token;
- ``order``: ``POST /api/v1/orders`` (one unit, a fresh ``Idempotency-Key`` each);
- ``signup``: ``POST /api/v1/auth/signup`` (a new e-mail each: one argon2 hash);
- ``login``: ``POST /api/v1/auth/token`` (an existing buyer: one argon2 verify).

The embedded default (a fresh SQLite file) unless ``--database-url`` names another
database (PostgreSQL), optionally with ``--redis-url``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from livecommerce.bench.loadgen import Connection, LoadResult, hammer
from livecommerce.bench.registry import register
from livecommerce.bench.seed import BENCH_PASSWORD, Buyer, bench_database, seed_buyers, set_role
from livecommerce.bench.servers import Server, api, ceiling_server, platform_server, run_client

CONNECTIONS = (1, 16, 256)
SMOKE_CONNECTIONS = (1, 16)
DURATION_S = 3.0
SMOKE_DURATION_S = 0.3
BUYERS = 256
TARGETS = {"healthz": 0.5, "me": 0.12}  # ratio to the ceiling, at 16 and 256 connections
KINDS = ("healthz", "me", "list", "order", "signup", "login")


async def _set_up(server: Server, merchant: Buyer) -> dict[str, Any]:
    """The merchant's products (stock for every order the run can place)."""
    connection = Connection(server.host, server.port)
    try:
        products = []
        for number in range(25):
            products.append(
                await api(
                    connection,
                    server,
                    "POST",
                    "/api/v1/products",
                    token=merchant.token,
                    json_body={
                        "title": f"围巾 {number}",
                        "currency": "CNY",
                        "status": "on_sale",
                        "skus": [{"spec": {"颜色": "红"}, "price_cents": 9900, "stock": 1_000_000}],
                    },
                    expect=201,
                )
            )
        return {"sku_id": products[0]["skus"][0]["id"]}
    finally:
        connection.close()


def _makers(
    server: Server, buyers: list[Buyer], sku_id: str, tag: str
) -> dict[str, tuple[Callable[[int, int], bytes], tuple[int, ...]]]:
    """For each kind: (connection number, request number) → request bytes, and the
    statuses that count as success."""
    healthz = server.request("GET", "/healthz")
    me = [server.request("GET", "/api/v1/me", headers=_auth(b)) for b in buyers]
    listing = [server.request("GET", "/api/v1/products?limit=20", headers=_auth(b)) for b in buyers]
    logins = [
        server.request(
            "POST", "/api/v1/auth/token", json_body={"email": b.email, "password": BENCH_PASSWORD}
        )
        for b in buyers
    ]
    sign_ups = itertools.count()
    keys = itertools.count()

    def order(connection: int, number: int) -> bytes:
        buyer = buyers[connection % len(buyers)]
        return server.request(
            "POST",
            "/api/v1/orders",
            headers={**_auth(buyer), "Idempotency-Key": f"{tag}-{next(keys)}"},
            json_body={"sku_id": sku_id, "quantity": 1, "address_id": buyer.address_id},
        )

    def signup(_connection: int, _number: int) -> bytes:
        return server.request(
            "POST",
            "/api/v1/auth/signup",
            json_body={
                "email": f"new{next(sign_ups)}.{tag}@bench.invalid",
                "password": BENCH_PASSWORD,
                "display_name": "新用户",
            },
        )

    return {
        "healthz": (lambda _c, _n: healthz, (200,)),
        "me": (lambda c, _n: me[c % len(me)], (200,)),
        "list": (lambda c, _n: listing[c % len(listing)], (200,)),
        "order": (order, (201,)),
        "signup": (signup, (201,)),
        "login": (lambda c, _n: logins[c % len(logins)], (200,)),
    }


def _auth(buyer: Buyer) -> dict[str, str]:
    return {"Authorization": f"Bearer {buyer.token}"}


def _ratio(result: LoadResult, ceiling: LoadResult) -> float | None:
    return round(result.per_s / ceiling.per_s, 3) if ceiling.per_s else None


async def run_request_path(
    *,
    connections: tuple[int, ...],
    duration_s: float,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
    kinds: tuple[str, ...] = KINDS,
) -> dict[str, Any]:
    tag = str(int(time.time() * 1000))
    ceiling: dict[int, LoadResult] = {}
    async with ceiling_server(workers=workers) as server:
        request = server.request("GET", "/healthz")
        for count in connections:
            ceiling[count] = await hammer(
                server.host,
                server.port,
                connections=count,
                make_request=lambda _c, _n: request,
                duration_s=duration_s,
            )
    routes: dict[str, dict[str, Any]] = {}
    async with bench_database(database_url) as database:
        buyers = await seed_buyers(database.url, BUYERS + 1, tag=tag)
        merchant, buyers = buyers[0], buyers[1:]
        await set_role(database.url, merchant.user_id, "merchant")
        async with platform_server(
            database_url=database.url,
            data_dir=database.data_dir,
            redis_url=redis_url,
            workers=workers,
        ) as server:
            setup = await _set_up(server, merchant)
            makers = _makers(server, buyers, setup["sku_id"], tag)
            for kind in kinds:
                make_request, expect = makers[kind]
                routes[kind] = {}
                for count in connections:
                    result = await hammer(
                        server.host,
                        server.port,
                        connections=count,
                        make_request=make_request,
                        duration_s=duration_s,
                        expect=expect,
                    )
                    routes[kind][str(count)] = {
                        **result.summary(),
                        "ratio_to_ceiling": _ratio(result, ceiling[count]),
                    }
    targets: dict[str, Any] = {}
    for kind, wanted in TARGETS.items():
        if kind not in routes:
            continue
        ratios = [
            routes[kind][str(count)]["ratio_to_ceiling"] for count in connections if count > 1
        ]
        targets[kind] = {
            "wanted_ratio": wanted,
            "met": all(ratio is not None and ratio >= wanted for ratio in ratios),
        }
    return {
        "database": "sqlite" if database.is_sqlite else database.url.split("://")[0],
        "redis": bool(redis_url),
        "workers": workers,
        "duration_s": duration_s,
        "connections": list(connections),
        "ceiling": {str(count): result.summary() for count, result in ceiling.items()},
        "routes": routes,
        "errors": sum(point["errors"] for route in routes.values() for point in route.values()),
        "targets": targets,
    }


@register(
    "http", "healthz, /me, a list, an order, sign-up, log-in at 1/16/256 conns vs a bare ASGI app"
)
def request_path(
    *,
    smoke: bool = False,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    result: dict[str, Any] = run_client(
        run_request_path(
            connections=SMOKE_CONNECTIONS if smoke else CONNECTIONS,
            duration_s=SMOKE_DURATION_S if smoke else DURATION_S,
            database_url=database_url,
            redis_url=redis_url,
            workers=workers,
        )
    )
    return result
