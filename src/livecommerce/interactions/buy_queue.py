"""The flash-sale buy queue: buys of one sale are written together (group commit).

A buy's reads and checks (``prepare_buy``) run in the buyer's own request, in a
reading unit of work, many at once. What is left — the conditional writes and the
order — waits here: one writer task per process takes every buy waiting for a sale
and writes them together: on PostgreSQL as one statement when the batch can be placed
whole (``FlashSaleService.do_place_many_at_once``), otherwise in one unit of work
(``FlashSaleService.do_place_many``), about ten statements for the whole batch,
committed once; then it answers each buyer. Buys that
arrive while the batch waits for the sale's lock (another worker's batch holds it) join
it once the lock is held; those that arrive later form the next batch. On SQLite this
is also the only flash-sale writer of the process, so buyers never poll the database's
busy handler for its one write lock; on PostgreSQL the batch takes the sale's row lock
once instead of once per buy.

If a batch fails as a whole (a database error), each of its buys is written again on
its own (``do_place``), so one bad buy never costs the others theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from livecommerce.interactions.flash_sales import (
    BuyPlan,
    FlashOrder,
    NotAtOnce,
    flash_sale_service,
)
from livecommerce.kit.errors import Conflict, ValidationFailed
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Address, User

log = logging.getLogger(__name__)

MAX_BATCH = 128
# How long the writer keeps its connection (PostgreSQL) once no buy is waiting.
HOLD_IDLE_S = 0.1


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
        self._arrived = asyncio.Event()  # a buy was queued

    async def place(self, buyer: User, plan: BuyPlan) -> FlashOrder:
        """Queue the buy for the next batch of its sale; its order or its refusal."""
        answer: asyncio.Future[FlashOrder] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(plan.sale.id, []).append(_Waiting(buyer, plan, answer))
        self._arrived.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await answer

    async def _more_soon(self) -> bool:
        """Whether a buy comes within ``HOLD_IDLE_S`` (the writer keeps its connection
        that long for it)."""
        self._arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), HOLD_IDLE_S)
        return bool(self._waiting)

    def _take(self, sale_id: str, most: int) -> list[_Waiting]:
        """Up to ``most`` of the buys waiting for this sale, in the order they came."""
        waiting = self._waiting.get(sale_id, [])
        taken, rest = waiting[:most], waiting[most:]
        if rest:
            self._waiting[sale_id] = rest
        else:
            self._waiting.pop(sale_id, None)
        return taken

    async def _write_all(self) -> None:
        while self._waiting:
            await self._write_while_coming()
        # Nothing awaited since the queue was seen empty: a buy queued from now on
        # finds this task done and starts another.

    async def _write_while_coming(self) -> None:
        # While buys keep coming, the batches are written on one connection kept for
        # them (PostgreSQL): no pool round and no ping between one batch and the next.
        # It goes back to the pool once no buy has come for ``HOLD_IDLE_S``, or after
        # a batch failed.
        held: AsyncExitStack | None = None
        connection: AsyncConnection | None = None
        try:
            while self._waiting or (connection is not None and await self._more_soon()):
                if held is None:
                    held = AsyncExitStack()
                    # A batch placed at once is one statement: it commits on its own.
                    connection = await held.enter_async_context(
                        self._runtime.db.held_connection(autocommit=True)
                    )
                sale_id = next(iter(self._waiting))
                batch = self._take(sale_id, MAX_BATCH)
                try:
                    kept = await self._write(sale_id, batch, connection)
                except BaseException as failed:  # never leave a buyer waiting
                    for entry in batch:
                        if not entry.answer.done():
                            entry.answer.set_exception(failed)
                    if not isinstance(failed, Exception):
                        raise
                    kept = False
                if not kept:
                    await held.aclose()
                    held = connection = None
        finally:
            if held is not None:
                await held.aclose()

    async def _write(
        self, sale_id: str, batch: list[_Waiting], connection: AsyncConnection | None = None
    ) -> bool:
        """Write ``batch``, and the buys that join it while it waits for the sale's lock
        (added to ``batch``, so that whatever happens they are answered). ``connection``:
        the writer's held connection, for a batch placed at once. Whether that
        connection may be kept for the next batch (False after a unit of work on it
        failed other than as ``NotAtOnce``: it may be the connection that failed)."""
        db = self._runtime.db
        kept = True

        def more() -> list[BuyPlan]:
            joined = self._take(sale_id, MAX_BATCH - len(batch))
            batch.extend(joined)
            return [entry.plan for entry in joined]

        outcomes: list[FlashOrder | BaseException]
        if not db.is_sqlite:  # SQLite's whole database is locked anyway: no gain there
            try:
                async with db.transaction(connection=connection) as session:
                    placed = await flash_sale_service.do_place_many_at_once(
                        session, [entry.plan for entry in batch]
                    )
            except NotAtOnce:
                pass
            except Exception:
                log.warning("a batch of %d flash-sale buys failed at once", len(batch))
                kept = False
            else:
                for entry, order in zip(batch, placed, strict=True):
                    if not entry.answer.done():
                        entry.answer.set_result(order)
                return kept
        try:
            async with db.transaction() as session:
                outcomes = list(
                    await flash_sale_service.do_place_many(
                        session, [entry.plan for entry in batch], more=more
                    )
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
        return kept


# Who is buying, given the buy's own reading unit of work: the route reads a token the
# cache does not know there; the fast path reads it with the tokens of the other clicks
# of the moment (``fast_path.caller_reads``).
Buyer = Callable[[AsyncSession], Awaitable[User]]


def clean_idempotency_key(idempotency_key: str | None) -> str | None:
    """The key as a click's answers and orders use it: stripped, 1 to 64 characters."""
    if idempotency_key is None:
        return None
    idempotency_key = idempotency_key.strip()
    if not 1 <= len(idempotency_key) <= 64:
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 64 characters.", code="bad_idempotency_key"
        )
    return idempotency_key


async def buy(
    runtime: Runtime,
    buyer: Buyer,
    sale_id: str,
    *,
    quantity: int = 1,
    address_id: str | None = None,
    idempotency_key: str | None = None,
    won: bool | None = None,
    default_address: Callable[[User], Address | None] | None = None,
) -> FlashOrder:
    """One click on a flash sale, whichever route it came by: its order (``created``
    false for a retried click, which takes nothing) or its refusal.

    What the buy reads and checks comes from one reading unit of work (no lock, buyers
    in parallel), which ``buyer`` may read the caller in; the conditional writes and
    the order then join the sale's next batch in the queue, written with other
    buyers' in one unit of work.
    ``won``: whether the broker knows this click's key as a winner, when the route
    asked already (``FlashSaleService.sold_out_check``); ``default_address``: the
    buyer's default address if ``buyer`` read it already (with the token)."""
    async with runtime.db.reading() as reader:
        user = await buyer(reader)  # a refusal to who is calling comes first
        idempotency_key = clean_idempotency_key(idempotency_key)
        prepared = await flash_sale_service.prepare_buy(
            reader,
            user,
            sale_id,
            quantity=quantity,
            address_id=address_id,
            idempotency_key=idempotency_key,
            won=won,
            default_address=None if default_address is None else default_address(user),
        )
        if isinstance(prepared, FlashOrder):  # a retried click: its order, nothing taken
            return prepared
        prepared = await flash_sale_service.do_take_from_gate(reader, prepared)
    # Sold out meanwhile? Not asked of a buy that holds units in the gate: the gate let
    # it through, and refusing it here would strand those units.
    if prepared.gate is None and await flash_sale_service.answers_sold_out(
        runtime, sale_id, idempotency_key
    ):
        raise Conflict("Sold out.", code="sold_out", details={"left": 0})
    return await buy_queue(runtime).place(user, prepared)


def buy_queue(runtime: Runtime) -> BuyQueue:
    """The process's queue (one per running app)."""
    queue = runtime.extras.get("flash_sale_buy_queue")
    if not isinstance(queue, BuyQueue):
        queue = BuyQueue(runtime)
        runtime.extras["flash_sale_buy_queue"] = queue
    return queue
