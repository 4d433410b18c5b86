"""``livecommerce bench feed``: what one ``GET /api/v1/feed`` costs with the catalog prepared
per request against one prepared catalog shared by the requests of a refresh tick.

``livecommerce serve`` (one process, ``bench/servers.py``) over a fresh SQLite file (or
``--database-url``, ``--redis-url``): hosts with a room and a session on air each, made
through the API, and one signed-in viewer who opens the feed again and again (a new visit
each time, so every request ranks the whole catalog and writes its page's impressions).
Two phases on the same database, the server started with ``traffic_catalog_refresh_s`` 0
(a catalog per request: before), then 5 (one per tick: after); the ceiling is ``GET
/healthz`` on the same server. Per phase: the server process's CPU ms per request (its
``/proc`` CPU time over the requests, so the client's own work does not count) and the
client's wall p50/p99, one request at a time.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from livecommerce.bench.registry import register
from livecommerce.bench.seed import bench_database
from livecommerce.bench.servers import platform_server

HOSTS = 100
SMOKE_HOSTS = 6
REQUESTS = 300
SMOKE_REQUESTS = 20
PASSWORD = "correct horse battery"


def _cpu_s(pid: int) -> float:
    """The process's user + system CPU seconds (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _account(http: httpx.AsyncClient, role: str, number: int) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/signup",
        json={
            "email": f"feed-{role}{number}@example.com",
            "password": PASSWORD,
            "display_name": f"{role} {number}",
            "role": role,
        },
    )
    response.raise_for_status()
    http.cookies.clear()  # the bearer token, not the cookie the sign-up also set
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def _seed(http: httpx.AsyncClient, hosts: int) -> dict[str, str]:
    from livecommerce.kit.clock import utcnow

    categories = ["美妆", "服饰", "食品", "茶叶", "数码", "家居", "母婴", "珠宝"]
    for number in range(hosts):
        headers = await _account(http, "host", number)
        tag = categories[number % len(categories)]
        room = await http.post(
            "/api/v1/rooms", json={"name": f"{tag}直播间 {number}", "tags": [tag]}, headers=headers
        )
        room.raise_for_status()
        planned = (utcnow() + timedelta(hours=1)).isoformat()
        live = await http.post(
            f"/api/v1/rooms/{room.json()['id']}/sessions",
            json={"title": f"{tag}专场 {number}", "planned_start_at": planned},
            headers=headers,
        )
        live.raise_for_status()
        started = await http.post(
            f"/api/v1/live-sessions/{live.json()['id']}/start", headers=headers
        )
        started.raise_for_status()
    return await _account(http, "viewer", 0)


async def _phase(
    url: str, data_dir: Path, refresh_s: float, redis_url: str | None, requests: int, hosts: int
) -> dict[str, Any]:
    server_settings = {"LIVECOMMERCE_TRAFFIC_CATALOG_REFRESH_S": str(refresh_s)}
    async with platform_server(
        database_url=url, data_dir=data_dir, redis_url=redis_url, settings=server_settings
    ) as server:
        base = f"http://{server.host}:{server.port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            viewer = await (_seed(http, hosts) if refresh_s <= 0 else _login(http))
            figures: dict[str, Any] = {}
            for kind, path, headers in (
                ("healthz", "/healthz", {}),
                ("feed", "/api/v1/feed", viewer),
            ):
                walls: list[float] = []
                items = 0
                cpu = _cpu_s(server.process.pid)
                for _ in range(requests):
                    started = time.perf_counter()
                    response = await http.get(path, headers=headers)
                    walls.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    if kind == "feed":
                        items += len(response.json()["items"])
                cpu_ms = (_cpu_s(server.process.pid) - cpu) * 1000 / requests
                figures[kind] = {
                    "server_cpu_ms_per_request": round(cpu_ms, 3),
                    "p50_ms": round(float(np.percentile(walls, 50)), 3),
                    "p99_ms": round(float(np.percentile(walls, 99)), 3),
                }
                if kind == "feed":
                    figures[kind]["items_per_page"] = round(items / requests, 2)
            return figures


async def _login(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/token",
        json={"email": "feed-viewer0@example.com", "password": PASSWORD},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def _run(database_url: str | None, redis_url: str | None, smoke: bool) -> dict[str, Any]:
    hosts = SMOKE_HOSTS if smoke else HOSTS
    requests = SMOKE_REQUESTS if smoke else REQUESTS
    async with bench_database(database_url) as database:
        before = await _phase(database.url, database.data_dir, 0.0, redis_url, requests, hosts)
        after = await _phase(database.url, database.data_dir, 5.0, redis_url, requests, hosts)
    ceiling = after["healthz"]["server_cpu_ms_per_request"]
    return {
        "benchmark": "feed",
        "smoke": smoke,
        "database": "sqlite" if database_url is None else database_url.split("@")[-1],
        "sessions_on_air": hosts,
        "requests": requests,
        "per_request_catalog": before,
        "shared_catalog": after,
        "feed_cpu_ratio_before_after": round(
            before["feed"]["server_cpu_ms_per_request"]
            / max(after["feed"]["server_cpu_ms_per_request"], 1e-9),
            2,
        ),
        "ceiling_healthz_server_cpu_ms": ceiling,
    }


@register(
    "feed",
    "GET /api/v1/feed's CPU and wall time per request, catalog prepared per request vs "
    "shared per refresh tick, against GET /healthz through the same in-process app",
)
def run(
    smoke: bool = False,
    database_url: str | None = None,
    redis_url: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    return asyncio.run(_run(database_url, redis_url, smoke))
