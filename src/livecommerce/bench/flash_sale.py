"""``livecommerce bench flash-sale``: buyers race for a flash sale over real HTTP.

It starts ``livecommerce serve`` on a free port with a fresh SQLite database,
seeds signed-in buyers with default addresses, launches a flash sale through the
API, and drives the server with bounded concurrency from this process. Every
buyer keeps trying (with one ``Idempotency-Key``) until it wins or sees sold-out;
one winner in ten sends its request again with the same key. In the same run and
against the same server it measures the ceiling (a route that does nothing) and
the textbook read-then-write purchase (``bench/flash_sale_server.py``). Oversell
and duplicates are counted from the database afterwards, not from the replies.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from livecommerce.bench.registry import register

BUYERS = 10_000
UNITS = 500
SMOKE_BUYERS = 200
SMOKE_UNITS = 20
NAIVE_BUYERS = 5_000  # enough to show the oversell; the naive route is slow to drain
CONCURRENCY = 64
RETRY_EVERY = 10  # one winner in ten repeats its request with the same key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    errors: int = 0

    @property
    def attempts(self) -> int:
        return len(self.latencies)

    @property
    def per_s(self) -> float:
        elapsed = max(self.finished - self.started, 1e-9)
        return round(self.attempts / elapsed, 1)

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
        return round(ordered[index] * 1000, 2)


async def _seed_buyers(database_url: str, count: int) -> list[str]:
    """Buyers with an API token and a default address, written straight into the database
    (signing 10,000 people up through argon2 would measure the password hasher)."""
    from livecommerce.accounts.security import hash_password, hash_token
    from livecommerce.kit.clock import utcnow
    from livecommerce.kit.db import Database
    from livecommerce.kit.ids import new_id, new_token
    from livecommerce.models import Address, AuthSession, User

    password_hash = hash_password("bench password")
    now = utcnow()
    users: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    tokens: list[str] = []
    for number in range(count):
        user_id = new_id()
        token = new_token()
        tokens.append(token)
        users.append(
            {
                "id": user_id,
                "email": f"buyer{number}@bench.invalid",
                "display_name": f"买家{number}",
                "password_hash": password_hash,
                "role": "viewer",
                "locale": "zh",
                "is_active": True,
                "created_at": now,
            }
        )
        sessions.append(
            {
                "id": new_id(),
                "user_id": user_id,
                "token_hash": hash_token(token),
                "kind": "api",
                "created_at": now,
                "expires_at": now + timedelta(days=1),
            }
        )
        addresses.append(
            {
                "id": new_id(),
                "user_id": user_id,
                "recipient": f"买家{number}",
                "phone": "13800000000",
                "region": "浙江省 杭州市",
                "line1": "文一西路 1 号",
                "postal_code": "310000",
                "is_default": True,
                "created_at": now,
            }
        )
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            await session.execute(insert(User), users)
            await session.execute(insert(AuthSession), sessions)
            await session.execute(insert(Address), addresses)
    finally:
        await db.dispose()
    return tokens


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def _set_up_sale(http: httpx.AsyncClient, units: int) -> dict[str, Any]:
    """Merchant, product, host, room, live session and the flash sale, through the API."""
    stamp = int(time.time() * 1000)
    accounts: dict[str, str] = {}
    for role in ("merchant", "host"):
        body = await _ok(
            await http.post(
                "/api/v1/auth/signup",
                json={
                    "email": f"{role}{stamp}@bench.invalid",
                    "password": "bench password",
                    "display_name": f"bench {role}",
                    "role": role,
                },
            ),
            201,
        )
        accounts[role] = body["token"]
        http.cookies.clear()
    merchant = {"Authorization": f"Bearer {accounts['merchant']}"}
    host = {"Authorization": f"Bearer {accounts['host']}"}
    product = await _ok(
        await http.post(
            "/api/v1/products",
            headers=merchant,
            json={
                "title": "秒杀围巾",
                "currency": "CNY",
                "status": "on_sale",
                "skus": [{"spec": {"颜色": "红"}, "price_cents": 9900, "stock": units * 3}],
            },
        ),
        201,
    )
    room = await _ok(await http.post("/api/v1/rooms", headers=host, json={"name": "秒杀间"}), 201)
    from datetime import UTC, datetime

    planned = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    live = await _ok(
        await http.post(
            f"/api/v1/rooms/{room['id']}/sessions",
            headers=host,
            json={"title": "bench", "planned_start_at": planned},
        ),
        201,
    )
    await _ok(
        await http.post(
            f"/api/v1/live-sessions/{live['id']}/showcase",
            headers=host,
            json={"product_id": product["id"]},
        ),
        201,
    )
    await _ok(await http.post(f"/api/v1/live-sessions/{live['id']}/start", headers=host))
    sale = await _ok(
        await http.post(
            f"/api/v1/live-sessions/{live['id']}/flash-sales",
            headers=host,
            json={
                "product_id": product["id"],
                "sku_id": product["skus"][0]["id"],
                "price_cents": 990,
                "units": units,
                "per_buyer_limit": 1,
                "duration_s": 3600,
            },
        ),
        201,
    )
    return sale


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


async def _ceiling(http: httpx.AsyncClient, requests: int, concurrency: int) -> Phase:
    phase = Phase()
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            try:
                response = await http.get("/api/v1/bench/noop")
            except httpx.HTTPError:
                phase.errors += 1
                continue
            phase.latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                phase.errors += 1

    phase.started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    phase.finished = time.perf_counter()
    return phase


async def _race(
    http: httpx.AsyncClient, path: str, tokens: list[str], concurrency: int, *, retries: bool
) -> tuple[Phase, int]:
    """Every buyer tries until it wins or sees sold-out. Returns the phase and the
    number of same-key repeats that came back with a different order (must be 0)."""
    phase = Phase()
    queue = iter(enumerate(tokens))
    mismatched = 0

    async def attempt(headers: dict[str, str]) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await http.post(path, headers=headers)
        except httpx.HTTPError:
            phase.errors += 1
            return None
        finally:
            phase.latencies.append(time.perf_counter() - started)
        return response

    async def worker() -> None:
        nonlocal mismatched
        for number, token in queue:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{number}"}
            for _ in range(20):
                response = await attempt(headers)
                if response is None or response.status_code >= 500:
                    continue  # retry with the same key
                if response.status_code in (200, 201):
                    if retries and number % RETRY_EVERY == 0:
                        again = await attempt(headers)
                        if again is not None and again.status_code in (200, 201):
                            if again.json().get("id") != response.json().get("id"):
                                mismatched += 1
                    break
                code = response.json().get("code")
                if code == "sold_out":
                    break
                if code not in ("flash_sale_not_started", "not_enough_units"):
                    phase.errors += 1
                    break

    phase.started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    phase.finished = time.perf_counter()
    return phase, mismatched


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


def _start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "livecommerce", "serve", "--port", str(port), "--no-migrate"]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("the benchmark server exited while starting")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


async def run_flash_sale(
    *, buyers: int, units: int, concurrency: int, ceiling_requests: int, naive_buyers: int
) -> dict[str, Any]:
    from livecommerce.kit.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="lc-bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    port = _free_port()
    env = {
        **os.environ,
        "LIVECOMMERCE_DATABASE_URL": database_url,
        "LIVECOMMERCE_DATA_DIR": str(workdir),
        "LIVECOMMERCE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LIVECOMMERCE_BENCH_ENDPOINTS": "true",
        "LIVECOMMERCE_RTMP_ENABLED": "false",
        "LIVECOMMERCE_FLASH_SALE_PAYMENT_TIMEOUT_S": "3600",
        "LIVECOMMERCE_MODE": "development",  # a local benchmark server
    }
    env.pop("LIVECOMMERCE_REDIS_URL", None)
    try:
        await asyncio.to_thread(upgrade, database_url)
        tokens = await _seed_buyers(database_url, buyers)
        process = _start_server(env, port, workdir / "server.log")
        url = f"http://127.0.0.1:{port}"
        try:
            await _wait_ready(url, process)
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
                sale = await _set_up_sale(http, units)
                naive_sale_id = await _naive_sale(database_url, sale)
                for _ in range(3):  # warm up connections
                    await http.get("/api/v1/bench/noop")
                ceiling = await _ceiling(http, ceiling_requests, concurrency)
                real, mismatched = await _race(
                    http, f"/api/v1/flash-sales/{sale['id']}/buy", tokens, concurrency, retries=True
                )
                naive, _ = await _race(
                    http,
                    f"/api/v1/bench/naive-buy/{naive_sale_id}",
                    tokens[:naive_buyers],
                    concurrency,
                    retries=False,
                )
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        counted = await _count(database_url, sale["id"])
        naive_counted = await _count(database_url, naive_sale_id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    oversold = max(0, counted["sold"] - counted["units_total"])
    result: dict[str, Any] = {
        "buyers": buyers,
        "units": units,
        "concurrency": concurrency,
        "attempts": real.attempts,
        "attempts_per_s": real.per_s,
        "p50_ms": real.percentile(0.50),
        "p99_ms": real.percentile(0.99),
        "sold": counted["sold"],
        "oversold": oversold,
        "duplicate_orders": counted["orders"] - counted["buyers"] + mismatched,
        "stock_left": counted["units_left"],
        "units_accounted": counted["sold"] + counted["units_left"] == counted["units_total"],
        "errors": real.errors,
        "ceiling_per_s": ceiling.per_s,
        "ceiling_errors": ceiling.errors,
        "ceiling_p50_ms": ceiling.percentile(0.50),
        "naive_per_s": naive.per_s,
        "naive_buyers": min(naive_buyers, buyers),
        "naive_attempts": naive.attempts,
        "naive_sold": naive_counted["sold"],
        "naive_oversold": max(0, naive_counted["sold"] - naive_counted["units_total"]),
        "ratio_to_ceiling": round(real.per_s / ceiling.per_s, 3) if ceiling.per_s else None,
    }
    result["target_met"] = bool(
        result["ratio_to_ceiling"] is not None
        and result["ratio_to_ceiling"] >= 0.5
        and result["oversold"] == 0
        and result["duplicate_orders"] == 0
        and result["units_accounted"]
    )
    if real.latencies:
        result["mean_ms"] = round(statistics.fmean(real.latencies) * 1000, 2)
    return result


@register("flash-sale", "10,000 buyers race for 500 flash-sale units over HTTP (vs ceiling, naive)")
def flash_sale(*, smoke: bool = False) -> dict[str, Any]:
    if smoke:
        return asyncio.run(
            run_flash_sale(
                buyers=SMOKE_BUYERS,
                units=SMOKE_UNITS,
                concurrency=16,
                ceiling_requests=300,
                naive_buyers=SMOKE_BUYERS,
            )
        )
    return asyncio.run(
        run_flash_sale(
            buyers=BUYERS,
            units=UNITS,
            concurrency=CONCURRENCY,
            ceiling_requests=10_000,
            naive_buyers=NAIVE_BUYERS,
        )
    )
