"""Payments publish facts; the orders domain settles a successful payment inside the
callback's unit of work, so a payment and its order's outcome commit together."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.broker import live_channel
from livecommerce.kit.events import KIND_PREFIX, subscribe, subscriber_for_kind, unsubscribe
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, JournalEntry, Order, ScheduledJob
from livecommerce.orders.service import order_service
from livecommerce.payments.events import PaymentFailed, PaymentSucceeded
from livecommerce.worker.loop import WorkerLoop
from tests.orders.shop import (
    Recorder,
    buyer_with_address,
    count_rows,
    create_listing,
    get_order,
    jobs,
    open_stage,
    payment_row,
    place_order,
    start_payment,
    wait_for,
)

SECRET = b"test-secret"  # the test settings' secret_key
CALLBACK = "/api/v1/payments/callback/sandbox"

heard: list[PaymentSucceeded | PaymentFailed] = []


async def _hear(session: AsyncSession, event: PaymentSucceeded | PaymentFailed) -> None:
    heard.append(event)


@pytest.fixture(autouse=True)
def _listening() -> Iterator[None]:
    heard.clear()
    subscribe(PaymentSucceeded, "test.payment_succeeded")(_hear)
    subscribe(PaymentFailed, "test.payment_failed")(_hear)
    yield
    unsubscribe("test.payment_succeeded")
    unsubscribe("test.payment_failed")


async def _signed_callback(runtime: Runtime, payment_id: str, outcome: str) -> dict[str, Any]:
    payment = await payment_row(runtime, payment_id)
    body = json.dumps(
        {
            "reference": payment.provider_reference,
            "outcome": outcome,
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
        }
    ).encode()
    signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return {
        "content": body,
        "headers": {"X-Sandbox-Signature": signature, "Content-Type": "application/json"},
    }


def test_the_orders_domain_settles_payments_inside_the_callbacks_unit() -> None:
    settle = subscriber_for_kind(KIND_PREFIX + "orders.settle_payment")
    assert settle is not None
    assert (settle.event_type, settle.in_unit, settle.when) == (PaymentSucceeded, True, None)


async def test_a_callback_raced_with_its_replays_settles_the_order_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, price_cents=3000, title="香薰")
    stage = await open_stage(client, [listing])
    buyer, address_id = await buyer_with_address(client, name="小红")
    order = await place_order(client, buyer, address_id, listing, session_id=stage.session_id)
    payment_id = await start_payment(client, buyer, order["id"])
    recorder = Recorder()
    await runtime.broker.subscribe(live_channel(stage.session_id), recorder)
    callback = await _signed_callback(runtime, payment_id, "succeeded")

    answers = await asyncio.gather(*(client.post(CALLBACK, **callback) for _ in range(6)))
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "succeeded"})] * 6

    [event] = heard
    assert isinstance(event, PaymentSucceeded)
    assert (event.payment_id, event.order_id, event.amount_cents, event.currency) == (
        payment_id,
        order["id"],
        3000,
        "CNY",
    )
    paid = await get_order(client, buyer, order["id"])
    assert paid["status"] == "paid"
    assert datetime.fromisoformat(paid["paid_at"]) == event.succeeded_at
    assert await count_rows(runtime, BehaviourEvent, BehaviourEvent.kind == "payment") == 1
    assert await count_rows(runtime, JournalEntry) == 1
    for subscriber in ("mcn.post_order_paid", "insights.record_payment"):
        [row] = await jobs(runtime, KIND_PREFIX + subscriber)
        assert row.status == "done"
    assert await jobs(runtime, "payment.refund") == []
    await wait_for(recorder, 1)
    await asyncio.sleep(0.1)
    assert recorder.messages == [
        {"type": "purchase", "buyer": "小*", "product_title": "香薰", "quantity": 1}
    ]
    await runtime.broker.unsubscribe(live_channel(stage.session_id), recorder)


async def test_a_failed_payment_is_published_once_and_the_order_stays_payable(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    payment_id = await start_payment(client, buyer, order["id"])
    callback = await _signed_callback(runtime, payment_id, "failed")
    for _ in range(2):
        response = await client.post(CALLBACK, **callback)
        assert response.json() == {"status": "failed"}
    [event] = heard
    assert isinstance(event, PaymentFailed)
    assert (event.payment_id, event.order_id) == (payment_id, order["id"])
    assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"


async def test_an_order_that_fails_to_settle_fails_its_payment_with_it(
    app: FastAPI, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        listing = await create_listing(client)
        buyer, address_id = await buyer_with_address(client)
        order = await place_order(client, buyer, address_id, listing)
        payment_id = await start_payment(client, buyer, order["id"])
        callback = await _signed_callback(runtime, payment_id, "succeeded")
        mark_paid = order_service.do_mark_paid

        async def crash_after_marking(session: AsyncSession, order: Order, *, at: Any) -> bool:
            assert await mark_paid(session, order, at=at)
            raise RuntimeError("the process died here")

        # The order moved to paid and OrderPaid was stored, inside the callback's unit.
        monkeypatch.setattr(order_service, "do_mark_paid", crash_after_marking)
        response = await client.post(CALLBACK, **callback)
        assert response.status_code == 500
        monkeypatch.undo()

        # Nothing of it was committed: the payment is still pending, the order unpaid,
        # no outbox row exists, and the provider's retry is not taken for a replay.
        assert (await payment_row(runtime, payment_id)).status == "pending"
        assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"
        kinds = ScheduledJob.kind.like(KIND_PREFIX + "%")
        assert await count_rows(runtime, ScheduledJob, kinds) == 0
        assert await WorkerLoop(runtime).run_once() == 0

        retried = await client.post(CALLBACK, **callback)
        assert retried.json() == {"status": "succeeded"}
        assert (await get_order(client, buyer, order["id"]))["status"] == "paid"
        assert await count_rows(runtime, JournalEntry) == 1
        assert [type(event) for event in heard] == [PaymentSucceeded]
