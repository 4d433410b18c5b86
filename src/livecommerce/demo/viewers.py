"""Simulated viewers for the demo room: real WebSocket clients and real API purchases."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from typing import Any

import httpx
import websockets

from livecommerce.demo.seed import ensure_address
from livecommerce.demo.world import DemoWorld, api_token, bearer, ensure_account
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

log = logging.getLogger(__name__)

VIEWER_NAMES = [
    "阿珍",
    "Leo",
    "茶茶子",
    "北方的狼",
    "Mia",
    "老王",
    "小鹿乱撞",
    "Sunny",
    "阿杰",
    "Yuki",
]
CHAT_LINES = [
    "主播好！",
    "这个茶香不香？",
    "已下单，期待！",
    "能讲讲怎么泡吗？",
    "礼盒好看，送长辈合适",
    "上链接上链接！",
    "第一次来，关注了",
    "价格真的很给力",
    "How long does shipping take?",
    "紫砂壶有朱泥的吗",
    "❤️❤️❤️",
    "买过两次了，回购",
    "主播今天好精神",
    "Is there an English manual?",
]


class SimulatedViewer:
    def __init__(self, base_url: str, world: DemoWorld, token: str, name: str) -> None:
        self.base_url = base_url
        self.world = world
        self.token = token
        self.name = name
        self.pinned: dict[str, Any] | None = None

    async def run(self) -> None:
        ws_url = self.base_url.replace("http", "ws", 1)
        url = f"{ws_url}/ws/live/{self.world.session_id}?token={self.token}"
        while True:
            try:
                async with websockets.connect(url, max_size=2**20) as socket:
                    await asyncio.gather(self._listen(socket), self._act(socket))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the demo keeps going when a socket drops
                log.debug("simulated viewer %s reconnecting: %s", self.name, exc)
                await asyncio.sleep(2)

    async def _listen(self, socket: websockets.ClientConnection) -> None:
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") in ("hello", "pinned"):
                self.pinned = message.get("pinned") or message.get("item")

    async def _act(self, socket: websockets.ClientConnection) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=15) as http:
            while True:
                await asyncio.sleep(random.uniform(2.0, 7.0))
                roll = random.random()
                if roll < 0.45:
                    await socket.send(
                        json.dumps({"type": "chat", "text": random.choice(CHAT_LINES)})
                    )
                elif roll < 0.85:
                    await socket.send(json.dumps({"type": "like", "count": random.randint(1, 5)}))
                elif roll < 0.88:
                    await self._page_event(http, {"kind": "share"})
                elif roll < 0.94:
                    # A look at the pinned product; about half of the lookers buy it.
                    item = self.pinned
                    if item and item.get("product_id"):
                        await self._page_event(
                            http, {"kind": "product_click", "product_id": item["product_id"]}
                        )
                    if random.random() < 0.5:
                        await self._buy(http)

    async def _page_event(self, http: httpx.AsyncClient, body: dict[str, Any]) -> None:
        """What the live page reports itself (the session dashboard counts it)."""
        await http.post(
            f"/api/v1/live-sessions/{self.world.session_id}/events",
            headers=bearer(self.token),
            json=body,
        )

    async def _buy(self, http: httpx.AsyncClient) -> None:
        item = self.pinned
        if not item or not item.get("skus"):
            return
        sku = random.choice([sku for sku in item["skus"] if sku["stock"] > 0] or [None])
        if sku is None:
            return
        headers = bearer(self.token)
        addresses = (await http.get("/api/v1/addresses", headers=headers)).json()["items"]
        if not addresses:
            return
        order = await http.post(
            "/api/v1/orders",
            headers=headers,
            json={
                "sku_id": sku["id"],
                "quantity": 1,
                "address_id": addresses[0]["id"],
                "session_id": self.world.session_id,
            },
        )
        if order.status_code != 201:
            return
        payment = await http.post(f"/api/v1/orders/{order.json()['id']}/pay", headers=headers)
        if payment.status_code != 200:
            return
        await http.post(
            f"/api/v1/payments/{payment.json()['payment_id']}/sandbox-confirm",
            headers=headers,
            json={"outcome": "succeed"},
        )


async def run_simulated_viewers(
    base_url: str, runtime: Runtime, world: DemoWorld, count: int
) -> None:
    if count <= 0:
        return
    viewers: list[SimulatedViewer] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        for number in range(count):
            name = VIEWER_NAMES[number % len(VIEWER_NAMES)]
            email = f"viewer{number + 1}@sim.livecommerce.local"
            await ensure_account(runtime, email, name, Role.VIEWER)
            token = await api_token(http, email)
            await ensure_address(http, bearer(token), name)
            viewers.append(SimulatedViewer(base_url, world, token, name))
    tasks = [asyncio.create_task(viewer.run()) for viewer in viewers]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
