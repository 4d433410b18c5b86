"""The flash-sale buy queue: buys of one sale are written together (group commit).

A buy's reads and checks (``prepare_buy``) run in the buyer's own request, in a
reading unit of work, many at once. What is left — the conditional writes and the
order — waits here: one writer task per process takes every buy waiting for a sale
and writes them in one unit of work (``FlashSaleService.do_place_many``), about ten
statements for the whole batch, then commits once and answers each buyer. Buys that
arrive meanwhile form the next batch. On SQLite this is also the only flash-sale
writer of the process, so buyers never poll the database's busy handler for its one
write lock; on PostgreSQL the batch takes the sale's row lock once instead of once
per buy.

If a batch fails as a whole (a database error), each of its buys is written again on
its own (``do_place``), so one bad buy never costs the others theirs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from livecommerce.interactions.flash_sales import BuyPlan, FlashOrder, flash_sale_service
from livecommerce.kit.runtime import Runtime
from livecommerce.models import User

log = logging.getLogger(__name__)

MAX_BATCH = 128


@dataclass(frozen=True)
class _Waiting:
    buyer: User
    plan: BuyPlan
    answer: asyncio.Future[FlashOrder]


class BuyQueue:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._waiting: dict[str, list[_Waiting]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def place(self, buyer: User, plan: BuyPlan) -> FlashOrder:
        """Queue the buy for the next batch of its sale; its order or its refusal."""
        answer: asyncio.Future[FlashOrder] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(plan.sale.id, []).append(_Waiting(buyer, plan, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await answer

    async def _write_all(self) -> None:
        while self._waiting:
            sale_id, waiting = next(iter(self._waiting.items()))
            batch, rest = waiting[:MAX_BATCH], waiting[MAX_BATCH:]
            if rest:
                self._waiting[sale_id] = rest
            else:
                del self._waiting[sale_id]
            try:
                await self._write(batch)
            except BaseException as failed:  # never leave a buyer waiting
                for entry in batch:
                    if not entry.answer.done():
                        entry.answer.set_exception(failed)
                if not isinstance(failed, Exception):
                    raise

    async def _write(self, batch: list[_Waiting]) -> None:
        db = self._runtime.db
        outcomes: list[FlashOrder | BaseException]
        try:
            async with db.transaction() as session:
                outcomes = list(
                    await flash_sale_service.do_place_many(session, [entry.plan for entry in batch])
                )
        except Exception:
            log.warning("a batch of %d flash-sale buys failed; writing each alone", len(batch))
            outcomes = []
            for entry in batch:
                try:
                    async with db.transaction() as session:
                        outcomes.append(
                            await flash_sale_service.do_place(session, entry.buyer, entry.plan)
                        )
                except Exception as failed:
                    outcomes.append(failed)
        for entry, outcome in zip(batch, outcomes, strict=True):
            if entry.answer.done():  # the buyer went away; its order stands
                continue
            if isinstance(outcome, BaseException):
                entry.answer.set_exception(outcome)
            else:
                entry.answer.set_result(outcome)


def buy_queue(runtime: Runtime) -> BuyQueue:
    """The process's queue (one per running app)."""
    queue = runtime.extras.get("flash_sale_buy_queue")
    if not isinstance(queue, BuyQueue):
        queue = BuyQueue(runtime)
        runtime.extras["flash_sale_buy_queue"] = queue
    return queue
