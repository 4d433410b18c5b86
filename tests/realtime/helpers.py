"""Live rooms for realtime tests: sessions made through the HTTP API, WebSocket viewers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.clock import utcnow
from livecommerce.realtime.fanout import UVICORN_WS
from tests.conftest import LiveServer, free_port
from tests.factories import Account, sign_up

TIMEOUT = 5.0


@dataclass
class Live:
    host: Account
    room_id: str
    session_id: str


async def start_live_session(http: httpx.AsyncClient, *, start: bool = True) -> Live:
    host = await sign_up(http, "host", name="主播小美")
    room = await http.post(
        "/api/v1/rooms", headers=host.headers, json={"name": "小美的直播间", "tags": ["美妆"]}
    )
    assert room.status_code == 201, room.text
    room_id = room.json()["id"]
    planned = (utcnow() + timedelta(minutes=5)).isoformat()
    created = await http.post(
        f"/api/v1/rooms/{room_id}/sessions",
        headers=host.headers,
        json={"title": "春季上新", "planned_start_at": planned},
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    if start:
        started = await http.post(f"/api/v1/live-sessions/{session_id}/start", headers=host.headers)
        assert started.status_code == 200, started.text
    return Live(host=host, room_id=room_id, session_id=session_id)


@dataclass
class Viewer:
    """A WebSocket client that keeps what it received, in order."""

    socket: ClientConnection
    hello: dict[str, Any] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message, ensure_ascii=False))

    async def chat(self, text: str) -> None:
        await self.send({"type": "chat", "text": text})

    async def recv(self, within: float = TIMEOUT) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), within)
        message: dict[str, Any] = json.loads(raw)
        self.received.append(message)
        return message

    async def next(self, kind: str, within: float = TIMEOUT) -> dict[str, Any]:
        """The next message of type ``kind``; others (online, likes…) are kept but skipped."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kind!r} message within {within}s: {self.received}")
            try:
                message = await self.recv(left)
            except TimeoutError:
                continue
            if message["type"] == kind:
                return message

    async def quiet(self, kinds: set[str], seconds: float = 0.5) -> None:
        """Assert that nothing of these types arrives for a while."""
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                message = await self.recv(left)
            except TimeoutError:
                return
            assert message["type"] not in kinds, message

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.received if message["type"] == kind]


@asynccontextmanager
async def watch(
    server: LiveServer,
    session_id: str,
    account: Account | None = None,
    *,
    expect_hello: bool = True,
    **options: Any,
) -> AsyncIterator[Viewer]:
    url = f"{server.ws_url}/ws/live/{session_id}"
    if account is not None:
        url += f"?token={account.token}"
    async with websockets.connect(url, open_timeout=TIMEOUT, **options) as socket:
        viewer = Viewer(socket)
        if expect_hello:
            viewer.hello = await viewer.recv()
            assert viewer.hello["type"] == "hello", viewer.hello
        yield viewer


@asynccontextmanager
async def http_client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        yield http


async def until(viewer: Viewer, kind: str, check: Any, within: float = TIMEOUT) -> dict[str, Any]:
    """The first message of type ``kind`` for which ``check(message)`` holds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no matching {kind!r} within {within}s: {viewer.received}")
        message = await viewer.next(kind, left)
        if check(message):
            return message


async def eventually(probe: Any, within: float = TIMEOUT) -> None:
    """Poll an async ``probe()`` until it returns True (work done after a disconnect)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def close_code(socket: ClientConnection) -> int | None:
    """Read (and discard) until the server closes; the code it closed with."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), TIMEOUT)
    except ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


@asynccontextmanager
async def another_worker(settings: Settings) -> AsyncIterator[LiveServer]:
    """A second app worker (own hub, own broker connection) on the same database."""
    port = free_port()
    application = create_app(settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"}))
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws=UVICORN_WS,
            ws_per_message_deflate=settings.ws_per_message_deflate,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(application, port)
    finally:
        server.should_exit = True
        await task
