"""The bell's live number: the unread count now and after every change of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from livecommerce.kit.broker import user_channel
from livecommerce.kit.runtime import Runtime
from livecommerce.notifications.repository import notification_repository

# With nothing new, the count is sent again this often (it doubles as a keep-alive).
REFRESH_S = 30.0


async def _unread(runtime: Runtime, user_id: str) -> int:
    async with runtime.db.reading() as session:
        return await notification_repository.unread_count(session, user_id)


async def unread_counts(runtime: Runtime, user_id: str) -> AsyncIterator[int]:
    """The user's unread count at once, then whenever their channel says it changed
    (a notification arrived, one was read on another page), forever."""
    changed = asyncio.Event()

    def listener(_text: str) -> None:
        changed.set()

    channel = user_channel(user_id)
    await runtime.broker.subscribe(channel, listener)
    try:
        while True:
            changed.clear()
            yield await _unread(runtime, user_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=REFRESH_S)
    finally:
        with contextlib.suppress(Exception):
            await runtime.broker.unsubscribe(channel, listener)
