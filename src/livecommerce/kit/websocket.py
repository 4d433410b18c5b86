"""Server-push WebSockets: send until the client goes away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.websockets import WebSocket


async def push_until_closed(
    websocket: WebSocket, push: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run ``push`` (which sends on the accepted ``websocket``) until it returns or the
    client disconnects, whichever is first; the other side is cancelled and awaited."""

    async def until_closed() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = [asyncio.create_task(push()), asyncio.create_task(until_closed())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
