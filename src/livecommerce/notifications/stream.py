"""The bell's live number outside a room: server-sent events on the user's channel."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from livecommerce.kit.broker import user_channel
from livecommerce.kit.runtime import Runtime
from livecommerce.models import User
from livecommerce.notifications.repository import notification_repository

HEARTBEAT_S = 25.0
# A stream ends after this long; the browser's EventSource opens a new one by itself.
MAX_STREAM_S = 600.0


async def _unread(runtime: Runtime, user_id: str) -> int:
    async with runtime.db.reading() as session:
        return await notification_repository.unread_count(session, user_id)


def _event(unread: int) -> str:
    return f"event: unread\ndata: {json.dumps({'unread': unread})}\n\n"


async def unread_stream(runtime: Runtime, user: User) -> AsyncIterator[str]:
    """``unread`` now, then again after every change on the user's channel."""
    changed = asyncio.Event()

    def listener(_text: str) -> None:
        changed.set()

    channel = user_channel(user.id)
    await runtime.broker.subscribe(channel, listener)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_STREAM_S
    try:
        yield "retry: 3000\n\n"
        yield _event(await _unread(runtime, user.id))
        while loop.time() < deadline:
            try:
                await asyncio.wait_for(changed.wait(), timeout=HEARTBEAT_S)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            changed.clear()
            yield _event(await _unread(runtime, user.id))
    finally:
        with contextlib.suppress(Exception):
            await runtime.broker.unsubscribe(channel, listener)
