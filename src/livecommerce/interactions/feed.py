"""The room's view of a flash sale's stock: throttled, except that sold-out goes at once.

Every app process keeps its own throttle per sale. A change is published at most
once per ``interval_s``; the trailing publish re-reads ``units_left`` from the
database, so the last figure a room sees is the committed one, whatever order
concurrent purchases committed in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime

log = logging.getLogger(__name__)


def stock_message(sale_id: str, left: int) -> dict[str, Any]:
    return {
        "type": "flash_sale_stock",
        "sale_id": sale_id,
        "left": left,
        "sold_out": left == 0,
        "server_now": utcnow().isoformat(),
    }


class StockFeed:
    interval_s = 0.5

    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Task[None]] = {}

    async def changed(self, runtime: Runtime, session_id: str, sale_id: str, left: int) -> None:
        channel = live_channel(session_id)
        if left == 0:
            await runtime.broker.publish(channel, stock_message(sale_id, 0))
        if sale_id not in self._pending:
            self._pending[sale_id] = asyncio.create_task(
                self._trailing(runtime, channel, sale_id, skip_zero=left == 0)
            )

    async def _trailing(
        self, runtime: Runtime, channel: str, sale_id: str, *, skip_zero: bool
    ) -> None:
        from livecommerce.interactions.repository import flash_sale_repository

        try:
            await asyncio.sleep(self.interval_s)
            self._pending.pop(sale_id, None)
            async with runtime.db.reading() as session:  # a read: no write lock
                left = await flash_sale_repository.units_left(session, sale_id)
            if left is None or (left == 0 and skip_zero):
                return
            await runtime.broker.publish(channel, stock_message(sale_id, left))
        except Exception:  # the room's figure is best-effort; the database is the truth
            log.debug("flash sale stock publish failed", exc_info=True)
        finally:
            self._pending.pop(sale_id, None)


stock_feed = StockFeed()
