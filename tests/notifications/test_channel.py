"""The bell's channel, /ws/notifications, on a real server: the count now and on change."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from livecommerce.notifications.service import notification_service
from tests.conftest import LiveServer
from tests.factories import sign_up

TIMEOUT = 10


async def _next(socket: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
    return message


async def test_the_count_arrives_at_once_and_after_every_change(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        viewer = await sign_up(api, "viewer")
        other = await sign_up(api, "viewer")
    runtime = live_server.app.state.runtime
    url = f"{live_server.ws_url}/ws/notifications?token={viewer.token}"
    async with websockets.connect(url, open_timeout=TIMEOUT) as socket:
        assert await _next(socket) == {"type": "unread", "unread": 0}
        async with runtime.db.transaction() as session:
            await notification_service.notify(
                session, [viewer.id, other.id], "message", {"title": "新消息", "body": "你好"}
            )
        assert await _next(socket) == {"type": "unread", "unread": 1}
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            read = await api.post("/api/v1/notifications/read-all", headers=viewer.headers)
            assert read.json() == {"unread": 0}
        assert await _next(socket) == {"type": "unread", "unread": 0}


async def test_without_a_log_in_the_channel_is_refused(live_server: LiveServer) -> None:
    async with websockets.connect(
        f"{live_server.ws_url}/ws/notifications", open_timeout=TIMEOUT
    ) as socket:
        error = await _next(socket)
        assert (error["type"], error["code"]) == ("error", "not_authenticated")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
