"""Live-room test data through the HTTP API, and a listener on a room's channel."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx

from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from tests.factories import Account


async def create_room(
    client: httpx.AsyncClient, host: Account, name: str = "小美的直播间", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/rooms", json={"name": name, **extra}, headers=host.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def schedule(
    client: httpx.AsyncClient, host: Account, room_id: str, title: str = "春季上新专场"
) -> dict[str, Any]:
    planned = (utcnow() + timedelta(hours=1)).isoformat()
    response = await client.post(
        f"/api/v1/rooms/{room_id}/sessions",
        json={"title": title, "planned_start_at": planned},
        headers=host.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def start(client: httpx.AsyncClient, host: Account, session_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/live-sessions/{session_id}/start", headers=host.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class ChannelListener:
    """Collects every message published on one live session's channel."""

    def __init__(self, runtime: Runtime, session_id: str) -> None:
        self.runtime = runtime
        self.channel = live_channel(session_id)
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()

    def _receive(self, text: str) -> None:
        self.messages.append(json.loads(text))
        self._arrived.set()

    async def __aenter__(self) -> ChannelListener:
        await self.runtime.broker.subscribe(self.channel, self._receive)
        if self.runtime.settings.redis_url:
            await asyncio.sleep(0.2)  # let Redis register the subscription
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.runtime.broker.unsubscribe(self.channel, self._receive)

    async def wait_for(self, count: int) -> list[dict[str, Any]]:
        """Wait (at most 5 s) until ``count`` messages have arrived."""
        async with asyncio.timeout(5):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["type"] == kind]
