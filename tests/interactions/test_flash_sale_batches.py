"""Buys written together in one batch (``do_place_many``) keep every rule a buy alone
keeps: units in arrival order, the per-buyer limit across the batch, one order per key."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select, update

from livecommerce.accounts.service import account_service
from livecommerce.interactions.flash_sales import (
    BuyPlan,
    FlashOrder,
    NotAtOnce,
    flash_sale_service,
)
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.runtime import Runtime
from livecommerce.models import (
    FlashSale,
    FlashSaleBuyer,
    LiveSession,
    LiveSessionStatus,
    Order,
    User,
)
from tests.factories import Account
from tests.interactions.helpers import buy, get_sale, launch_sale
from tests.orders.shop import buyer_with_address, create_listing, open_stage


async def _plan(
    runtime: Runtime, account: Account, sale_id: str, key: str, quantity: int = 1
) -> tuple[User, BuyPlan]:
    user = await account_service.authenticate(runtime, account.token)
    assert user is not None
    async with runtime.db.reading() as session:
        plan = await flash_sale_service.prepare_buy(
            session, user, sale_id, quantity=quantity, idempotency_key=key
        )
    assert isinstance(plan, BuyPlan)
    return user, plan


def _code(outcome: FlashOrder | LiveCommerceError) -> str:
    return outcome.code if isinstance(outcome, LiveCommerceError) else "placed"


async def test_one_batch_shares_units_in_order_and_holds_each_buyers_limit(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=4, per_buyer_limit=2)
    first, _ = await buyer_with_address(client, "一")
    second, _ = await buyer_with_address(client, "二")
    third, _ = await buyer_with_address(client, "三")
    plans = [
        await _plan(runtime, first, sale["id"], "a-1"),
        await _plan(runtime, first, sale["id"], "a-2"),
        await _plan(runtime, first, sale["id"], "a-3"),  # a third unit: over the limit of 2
        await _plan(runtime, first, sale["id"], "a-1"),  # the first click again
        await _plan(runtime, second, sale["id"], "b-1", quantity=2),  # 2 of the 2 left
        await _plan(runtime, third, sale["id"], "c-1"),  # nothing left
    ]
    async with runtime.db.transaction() as session:
        outcomes = await flash_sale_service.do_place_many(session, [plan for _, plan in plans])
    assert [_code(outcome) for outcome in outcomes] == [
        "placed",
        "placed",
        "buyer_limit_reached",
        "placed",
        "placed",
        "sold_out",
    ]
    placed = [outcome for outcome in outcomes if isinstance(outcome, FlashOrder)]
    assert [outcome.created for outcome in placed] == [True, True, False, True]
    assert placed[2].order.id == placed[0].order.id  # the repeated key: the same order
    state = await get_sale(client, sale["id"])
    assert (state["units_left"], state["status"]) == (0, "sold_out")

    # What the batch stored is what a buy alone would find: the limit holds, keys repeat.
    again = await buy(client, first, sale["id"], key="a-2", expect=200)
    assert again.json()["id"] == placed[1].order.id
    orders = (await client.get("/api/v1/orders", headers=first.headers)).json()["items"]
    assert sorted(order["id"] for order in orders) == sorted(
        outcome.order.id for outcome in placed[:2]
    )


async def test_a_batch_after_the_sale_ended_places_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=3)
    buyer, _ = await buyer_with_address(client, "迟")
    _, plan = await _plan(runtime, buyer, sale["id"], "late-1")
    ended = await client.post(f"/api/v1/flash-sales/{sale['id']}/end", headers=stage.host.headers)
    assert ended.status_code == 200, ended.text
    async with runtime.db.transaction() as session:
        outcomes = await flash_sale_service.do_place_many(session, [plan])
    assert [_code(outcome) for outcome in outcomes] == ["flash_sale_ended"]
    assert (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"] == []


async def test_a_batch_placed_at_once_or_not_at_all(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """PostgreSQL's one-statement lock (``do_place_many_at_once``): a batch of plain buys
    is placed whole; a batch with a repeated key, a buyer past the limit or too few units
    raises ``NotAtOnce`` and leaves nothing behind, and ``do_place_many`` then places it
    buy by buy as always."""
    if runtime.db.is_sqlite:
        return  # SQLite keeps the one path
    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=3, per_buyer_limit=1)
    first, _ = await buyer_with_address(client, "甲")
    second, _ = await buyer_with_address(client, "乙")
    third, _ = await buyer_with_address(client, "丙")
    fourth, _ = await buyer_with_address(client, "丁")
    first_click = (await _plan(runtime, first, sale["id"], "x-1"))[1]
    again = (await _plan(runtime, first, sale["id"], "x-1"))[1]  # the same click, retried
    async with runtime.db.transaction() as session:
        placed = await flash_sale_service.do_place_many_at_once(
            session, [first_click, (await _plan(runtime, second, sale["id"], "y-1"))[1]]
        )
    assert [outcome.created for outcome in placed] == [True, True]
    assert (await get_sale(client, sale["id"]))["units_left"] == 1

    refused = [
        [again],  # its key placed an order
        [(await _plan(runtime, first, sale["id"], "x-2"))[1]],  # past the limit of 1
        [  # two units wanted, one left
            (await _plan(runtime, third, sale["id"], "z-1"))[1],
            (await _plan(runtime, fourth, sale["id"], "w-1"))[1],
        ],
    ]
    for plans in refused:
        with pytest.raises(NotAtOnce):
            async with runtime.db.transaction() as session:
                await flash_sale_service.do_place_many_at_once(session, plans)
        state = await get_sale(client, sale["id"])
        assert state["units_left"] == 1  # nothing taken, nothing stored
    orders = (await client.get("/api/v1/orders", headers=third.headers)).json()["items"]
    assert orders == []

    async with runtime.db.transaction() as session:
        outcomes = await flash_sale_service.do_place_many(session, refused[2])
    assert [_code(outcome) for outcome in outcomes] == ["placed", "sold_out"]
    assert (await get_sale(client, sale["id"]))["units_left"] == 0


async def test_a_batch_at_once_is_refused_by_a_placed_key_or_a_session_off_air(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The batch written at once reads nothing first: a key that placed an order before
    is refused by the orders' unique key, a session off air by the ``UPDATE`` that takes
    the units; either way the unit rolls back with nothing taken or stored, and
    ``do_place_many`` then answers each buy as always."""
    if runtime.db.is_sqlite:
        return
    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=4, per_buyer_limit=2)
    first, _ = await buyer_with_address(client, "甲")
    second, _ = await buyer_with_address(client, "乙")
    click = (await _plan(runtime, first, sale["id"], "k-1"))[1]
    again = (await _plan(runtime, first, sale["id"], "k-1"))[1]  # the limit (2) allows one more
    async with runtime.db.transaction() as session:
        [placed] = await flash_sale_service.do_place_many_at_once(session, [click])
    other = (await _plan(runtime, second, sale["id"], "m-1"))[1]
    with pytest.raises(NotAtOnce):
        async with runtime.db.transaction() as session:
            await flash_sale_service.do_place_many_at_once(session, [other, again])
    assert (await get_sale(client, sale["id"]))["units_left"] == 3
    assert (await client.get("/api/v1/orders", headers=second.headers)).json()["items"] == []
    async with runtime.db.transaction() as session:
        outcomes = await flash_sale_service.do_place_many(session, [other, again])
    assert [_code(outcome) for outcome in outcomes] == ["placed", "placed"]
    assert isinstance(outcomes[1], FlashOrder)
    assert (outcomes[1].order.id, outcomes[1].created) == (placed.order.id, False)
    assert (await get_sale(client, sale["id"]))["units_left"] == 2

    # Off air: the units' UPDATE finds the session's state and takes nothing.
    async with runtime.db.transaction() as session:
        await session.execute(
            update(LiveSession)
            .where(LiveSession.id == sale["session_id"])
            .values(status=LiveSessionStatus.ENDED)
        )
    late = (await _plan(runtime, second, sale["id"], "m-2"))[1]  # read while on air
    with pytest.raises(NotAtOnce):
        async with runtime.db.transaction() as session:
            await flash_sale_service.do_place_many_at_once(session, [late])
    async with runtime.db.transaction() as session:
        outcomes = await flash_sale_service.do_place_many(session, [late])
    assert [_code(outcome) for outcome in outcomes] == ["session_not_live"]
    async with runtime.db.reading() as session:
        bought = await session.scalar(
            select(FlashSaleBuyer.bought).where(
                FlashSaleBuyer.sale_id == sale["id"], FlashSaleBuyer.buyer_id == late.order.buyer_id
            )
        )
        left = await session.scalar(select(FlashSale.units_left).where(FlashSale.id == sale["id"]))
    assert (left, bought) == (2, 1)  # the refused buy took nothing, moved no counter


async def test_the_last_units_taken_at_once_mark_the_sale_sold_out(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    if runtime.db.is_sqlite:
        return
    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=2, per_buyer_limit=1)
    first, _ = await buyer_with_address(client, "一")
    second, _ = await buyer_with_address(client, "二")
    async with runtime.db.transaction() as session:
        await flash_sale_service.do_place_many_at_once(
            session, [(await _plan(runtime, first, sale["id"], "s-1"))[1]]
        )
    state = await get_sale(client, sale["id"])
    assert (state["units_left"], state["status"], state["sold_out_at"]) == (1, "running", None)
    async with runtime.db.transaction() as session:
        await flash_sale_service.do_place_many_at_once(
            session, [(await _plan(runtime, second, sale["id"], "s-2"))[1]]
        )
    state = await get_sale(client, sale["id"])
    assert (state["units_left"], state["status"]) == (0, "sold_out")
    assert state["sold_out_at"] is not None


async def test_buys_queued_together_sell_each_unit_once(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the process's queue on PostgreSQL (batches placed at once): 24 buyers for 9
    units get exactly 9 orders, one each, and the other 15 are told sold out, though a
    batch fails as a whole (it is written again buy by buy)."""
    if runtime.db.is_sqlite:
        return
    from livecommerce.interactions import buy_queue as queue_module

    listing = await create_listing(client, stock=40)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=9, per_buyer_limit=1)
    buyers = [(await buyer_with_address(client, f"买{n}"))[0] for n in range(24)]
    plans = [await _plan(runtime, buyer, sale["id"], f"q-{n}") for n, buyer in enumerate(buyers)]

    at_once = flash_sale_service.do_place_many_at_once
    calls: list[int] = []

    async def watched(session: object, batch: list[BuyPlan]) -> list[FlashOrder]:
        calls.append(len(batch))
        if len(calls) == 2:  # the second batch fails as a whole
            raise RuntimeError("connection lost")
        return await at_once(session, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(flash_sale_service, "do_place_many_at_once", watched)
    queue = queue_module.BuyQueue(runtime)

    async def place(user: User, plan: BuyPlan) -> FlashOrder | str:
        try:
            return await queue.place(user, plan)
        except LiveCommerceError as refused:
            return refused.code

    outcomes = []
    for user, plan in plans:  # one arrives, then the rest while its batch is written
        outcomes.append(asyncio.ensure_future(place(user, plan)))
        await asyncio.sleep(0)
    results = await asyncio.gather(*outcomes)
    orders = [result for result in results if isinstance(result, FlashOrder)]
    assert len(orders) == 9
    assert sorted(result for result in results if isinstance(result, str)) == ["sold_out"] * 15
    assert len({order.order.buyer_id for order in orders}) == 9
    assert calls[0] == 1  # the first alone, the rest after it
    assert len(calls) >= 2
    state = await get_sale(client, sale["id"])
    assert (state["units_left"], state["status"]) == (0, "sold_out")
    async with runtime.db.reading() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Order).where(Order.flash_sale_id == sale["id"])
        )
    assert stored == 9


async def test_the_writer_keeps_one_connection_while_buys_keep_coming(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """On PostgreSQL the queue's writer checks a connection out of the pool once for
    batches written one after another, not once per batch, and gives it back once no
    buy is waiting."""
    if runtime.db.is_sqlite:
        return
    from sqlalchemy import event

    from livecommerce.interactions import buy_queue as queue_module

    listing = await create_listing(client, stock=40)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=30, per_buyer_limit=1)
    buyers = [(await buyer_with_address(client, f"客{n}"))[0] for n in range(12)]
    plans = [await _plan(runtime, buyer, sale["id"], f"h-{n}") for n, buyer in enumerate(buyers)]

    at_once = flash_sale_service.do_place_many_at_once
    calls: list[int] = []

    async def watched(session: object, batch: list[BuyPlan]) -> list[FlashOrder]:
        calls.append(len(batch))
        return await at_once(session, batch)  # type: ignore[arg-type]

    checkouts: list[object] = []  # the task of each check-out (the app's worker checks out too)
    pool = runtime.db.engine.sync_engine.pool

    def checked_out(*_args: object) -> None:
        checkouts.append(asyncio.current_task())

    event.listen(pool, "checkout", checked_out)
    queue = queue_module.BuyQueue(runtime)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(flash_sale_service, "do_place_many_at_once", watched)
            outcomes = []
            for user, plan in plans:  # one arrives, then the rest while its batch is written
                outcomes.append(asyncio.ensure_future(queue.place(user, plan)))
                await asyncio.sleep(0)
            results = await asyncio.gather(*outcomes)
            writer = queue._writer
            assert writer is not None
            await writer  # no buy waiting: the connection goes back
    finally:
        event.remove(pool, "checkout", checked_out)
    assert [result.created for result in results] == [True] * 12
    assert calls[0] == 1
    assert sum(calls) == 12
    assert len(calls) >= 2
    assert [task for task in checkouts if task is writer] == [writer]  # one for every batch
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert (await get_sale(client, sale["id"]))["units_left"] == 18


async def _stored_for(runtime: Runtime, order_ids: list[str]) -> dict[str, object]:
    """What the database holds for these orders: their items, expiry timers, events
    and gate takes (as comparable shapes, ids left out)."""
    from livecommerce.models import BehaviourEvent, OrderItem, ScheduledJob, StockGateTake

    async with runtime.db.reading() as session:
        orders = (await session.scalars(select(Order).where(Order.id.in_(order_ids)))).all()
        items = (
            await session.scalars(select(OrderItem).where(OrderItem.order_id.in_(order_ids)))
        ).all()
        timers = (
            await session.scalars(select(ScheduledJob).where(ScheduledJob.kind == "order.expire"))
        ).all()
        events = (
            await session.scalars(
                select(BehaviourEvent).where(BehaviourEvent.order_id.in_(order_ids))
            )
        ).all()
        takes = (
            await session.scalars(select(StockGateTake).where(StockGateTake.id.in_(order_ids)))
        ).all()
    return {
        "orders": sorted(
            (o.status, o.total_cents, o.flash_sale_id is not None, o.expires_at > o.created_at)
            for o in orders
        ),
        "items": sorted((i.quantity, i.unit_price_cents, i.title) for i in items),
        "timers": sum(1 for t in timers if t.payload.get("order_id") in order_ids),
        "events": sorted((e.kind, e.value, e.user_id is not None) for e in events),
        "takes": len(takes),
    }


async def _outbox(runtime: Runtime) -> dict[str, str]:
    """Every outbox row (an event for a subscriber): id → kind."""
    from livecommerce.models import ScheduledJob

    async with runtime.db.reading() as session:
        rows = await session.execute(
            select(ScheduledJob.id, ScheduledJob.kind).where(ScheduledJob.kind.like("event:%"))
        )
    return {row.id: row.kind for row in rows}


def _new_kinds(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(kind for job_id, kind in after.items() if job_id not in before)


async def test_a_batch_at_once_is_one_statement_storing_what_a_batch_stores(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """On PostgreSQL a batch placed at once goes to the database as exactly one statement
    — counters, units, orders, items, timers, events, outbox rows and gate takes — and
    stores exactly what the same buys store through ``do_place_many``. A batch refused
    (two buyers for the last unit) is one statement too and stores nothing."""
    if runtime.db.is_sqlite:
        return
    from sqlalchemy import event

    listing = await create_listing(client, stock=20)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=5, per_buyer_limit=1)
    buyers = [(await buyer_with_address(client, f"单{n}"))[0] for n in range(5)]
    plans = [(await _plan(runtime, b, sale["id"], f"one-{n}"))[1] for n, b in enumerate(buyers)]

    statements: list[str] = []

    def executed(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    outbox = await _outbox(runtime)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        async with runtime.db.transaction() as session:
            at_once = await flash_sale_service.do_place_many_at_once(session, plans[:2])
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert len(statements) == 1
    outbox_at_once, outbox = _new_kinds(outbox, await _outbox(runtime)), await _outbox(runtime)
    async with runtime.db.transaction() as session:
        one_by_one = await flash_sale_service.do_place_many(session, plans[2:4])
    assert all(isinstance(outcome, FlashOrder) for outcome in one_by_one)
    assert outbox_at_once == _new_kinds(outbox, await _outbox(runtime))
    first = await _stored_for(runtime, [o.order.id for o in at_once])
    second = await _stored_for(runtime, [o.order.id for o in one_by_one])  # type: ignore[union-attr]
    assert first == second
    assert first["timers"] == 2
    assert len(first["events"]) == 2
    assert first["takes"] == (0 if plans[0].gate is None else 2)
    # The orders answer as stored ones do: their items, times and ids are there.
    answered = at_once[0].order
    assert [item.order_id for item in answered.items] == [answered.id]
    assert answered.created_at is not None
    assert answered.status == "pending_payment"
    state = await get_sale(client, sale["id"])
    assert state["units_left"] == 1

    # One unit left, two buyers: one statement, nothing stored, then the exact path.
    late = (await buyer_with_address(client, "迟"))[0]
    last = [plans[4], (await _plan(runtime, late, sale["id"], "one-late"))[1]]
    statements.clear()
    outbox = await _outbox(runtime)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        with pytest.raises(NotAtOnce):
            async with runtime.db.transaction() as session:
                await flash_sale_service.do_place_many_at_once(session, last)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert len(statements) == 1
    assert (await get_sale(client, sale["id"]))["units_left"] == 1
    assert await _stored_for(runtime, [plan.order.id for plan in last]) == {
        "orders": [],
        "items": [],
        "timers": 0,
        "events": [],
        "takes": 0,
    }
    assert _new_kinds(outbox, await _outbox(runtime)) == []
    async with runtime.db.transaction() as session:
        outcomes = await flash_sale_service.do_place_many(session, last)
    assert [_code(outcome) for outcome in outcomes] == ["placed", "sold_out"]
