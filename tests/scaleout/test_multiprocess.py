"""Two real app workers (``livecommerce serve``) on different ports, one PostgreSQL, one Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from livecommerce.config import Settings
from tests.factories import Account, sign_up
from tests.interactions.helpers import buy, get_sale, launch_sale
from tests.orders.shop import buyer_with_address, create_listing, open_stage, stock_of
from tests.realtime.helpers import start_live_session, until, watch
from tests.scaleout.processes import only_with_postgres_and_redis, serve_processes

pytestmark = only_with_postgres_and_redis


async def online_of(http: httpx.AsyncClient, session_id: str, headers: dict[str, str]) -> int:
    response = await http.get(f"/api/v1/live-sessions/{session_id}/stats", headers=headers)
    assert response.status_code == 200, response.text
    online: int = response.json()["online"]
    return online


async def test_chat_crosses_workers_and_online_sums_both_and_survives_a_crash(
    settings: Settings, tmp_path: Path
) -> None:
    async with serve_processes(settings, tmp_path) as (one, two):
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=10) as http1,
            httpx.AsyncClient(base_url=two.url, timeout=10) as http2,
        ):
            live = await start_live_session(http1)
            alice = await sign_up(http2)
            bob = await sign_up(http1)
            async with (
                watch(one.server, live.session_id, bob) as bob_on_one,
                watch(two.server, live.session_id, alice) as alice_on_two,
            ):
                assert bob_on_one.hello["online"] == 1
                assert alice_on_two.hello["online"] == 2
                assert await online_of(http1, live.session_id, live.host.headers) == 2
                assert await online_of(http2, live.session_id, live.host.headers) == 2
                await until(bob_on_one, "online", lambda message: message["online"] == 2)
                await alice_on_two.chat("二号机说话")
                heard = await bob_on_one.next("chat")
                assert (heard["text"], heard["user_id"]) == ("二号机说话", alice.id)
                await bob_on_one.chat("一号机回答")
                answer = await until(alice_on_two, "chat", lambda m: m["user_id"] == bob.id)
                assert answer["text"] == "一号机回答"
                # Worker two dies without closing anything: its viewer stops counting
                # once its share expires (3 s here), and worker one says so.
                two.kill()
                await until(bob_on_one, "online", lambda message: message["online"] == 1, within=10)
                assert await online_of(http1, live.session_id, live.host.headers) == 1


async def test_orders_racing_through_both_workers_never_oversell(
    settings: Settings, tmp_path: Path
) -> None:
    async with serve_processes(settings, tmp_path) as (one, two):
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=20) as http1,
            httpx.AsyncClient(base_url=two.url, timeout=20) as http2,
        ):
            listing = await create_listing(http1, stock=5)
            buyers = [await buyer_with_address(http1) for _ in range(16)]

            async def buy(index: int) -> httpx.Response:
                buyer, address_id = buyers[index]
                http = http1 if index % 2 else http2
                return await http.post(
                    "/api/v1/orders",
                    headers=buyer.headers,
                    json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
                )

            responses = await asyncio.gather(*(buy(index) for index in range(16)))
            codes = sorted(response.status_code for response in responses)
            assert codes == [201] * 5 + [409] * 11
            refused = [r.json()["code"] for r in responses if r.status_code == 409]
            assert refused == ["out_of_stock"] * 11
            assert await stock_of(http2, listing) == 0


async def test_a_flash_sale_bought_through_both_workers_never_oversells(
    settings: Settings, tmp_path: Path
) -> None:
    async with serve_processes(settings, tmp_path) as (one, two):
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=20) as http1,
            httpx.AsyncClient(base_url=two.url, timeout=20) as http2,
        ):
            listing = await create_listing(http1, stock=20)
            stage = await open_stage(http1, [listing])
            sale = await launch_sale(http1, stage, listing, units=5, per_buyer_limit=1)
            buyers = [(await buyer_with_address(http2))[0] for _ in range(12)]

            async def attempt(index: int, round_: int) -> httpx.Response:
                http = (http1, http2)[(index + round_) % 2]
                return await buy(http, buyers[index], sale["id"], expect=None)

            # Every buyer clicks twice, once on each worker, all at the same time.
            responses = await asyncio.gather(
                *(attempt(index, round_) for index in range(12) for round_ in range(2))
            )
            created = [response for response in responses if response.status_code == 201]
            assert len(created) == 5
            assert len({response.json()["id"] for response in created}) == 5
            refused = sorted(
                response.json()["code"] for response in responses if response.status_code != 201
            )
            assert set(refused) <= {"sold_out", "buyer_limit_reached", "not_enough_units"}
            assert len(refused) == 19
            assert (await get_sale(http2, sale["id"]))["units_left"] == 0
            assert await stock_of(http1, listing) == 15  # the sale's units left the SKU


async def test_payment_expiry_runs_once_with_two_workers_polling(
    settings: Settings, tmp_path: Path
) -> None:
    """Both processes run the worker loop; every expiry job is claimed by exactly one."""
    env = {"LIVECOMMERCE_ORDER_PAYMENT_TIMEOUT_S": "1", "LIVECOMMERCE_WORKER_POLL_S": "0.05"}
    async with serve_processes(settings, tmp_path, env=env) as (one, two):
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=20) as http1,
            httpx.AsyncClient(base_url=two.url, timeout=20) as http2,
        ):
            listing = await create_listing(http1, stock=10)
            buyers = [await buyer_with_address(http1) for _ in range(8)]

            async def place(index: int) -> tuple[Account, str]:
                buyer, address_id = buyers[index]
                placed = await (http1, http2)[index % 2].post(
                    "/api/v1/orders",
                    headers=buyer.headers,
                    json={"sku_id": listing.sku_id, "quantity": 1, "address_id": address_id},
                )
                assert placed.status_code == 201, placed.text
                order_id: str = placed.json()["id"]
                return buyer, order_id

            orders = await asyncio.gather(*(place(index) for index in range(8)))
            deadline = asyncio.get_running_loop().time() + 15
            while True:
                statuses = [
                    (await http2.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)).json()[
                        "status"
                    ]
                    for buyer, order_id in orders
                ]
                if statuses == ["cancelled"] * 8:
                    break
                assert asyncio.get_running_loop().time() < deadline, statuses
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)  # a second claim would have returned the units twice
            assert await stock_of(http2, listing) == 10
