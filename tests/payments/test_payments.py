from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from livecommerce.accounts.service import mask_name
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, JournalEntry
from livecommerce.payments.repository import payment_repository
from livecommerce.worker.loop import WorkerLoop
from tests.factories import sign_up
from tests.orders.shop import (
    Recorder,
    behaviour_events,
    buyer_with_address,
    count_rows,
    create_listing,
    get_order,
    jobs,
    open_stage,
    pay,
    payment_row,
    place_order,
    start_payment,
    stock_of,
    tick,
    wait_for,
)

SECRET = b"test-secret"  # the test settings' secret_key


def _signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return body, {"X-Sandbox-Signature": signature, "Content-Type": "application/json"}


async def _callback_payload(runtime: Runtime, payment_id: str, outcome: str) -> dict[str, Any]:
    payment = await payment_row(runtime, payment_id)
    return {
        "reference": payment.provider_reference,
        "outcome": outcome,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
    }


async def _confirm(
    client: httpx.AsyncClient, headers: dict[str, str], payment_id: str, outcome: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/payments/{payment_id}/sandbox-confirm",
        headers=headers,
        json={"outcome": outcome},
    )


def test_buyer_names_are_masked() -> None:
    assert mask_name("小明") == "小*"
    assert mask_name("Alice") == "A***"
    assert mask_name("Al") == "A*"
    assert mask_name("王") == "王*"
    assert mask_name("欧阳娜娜") == "欧***"


async def test_start_payment_and_what_the_pay_page_shows(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, price_cents=4990, title="手工皂")
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, quantity=2)

    response = await client.post(f"/api/v1/orders/{order['id']}/pay", headers=buyer.headers)
    assert response.status_code == 200
    started = response.json()
    assert started["pay_url"] == f"/pay/sandbox/{started['payment_id']}"

    shown = await client.get(f"/api/v1/payments/{started['payment_id']}", headers=buyer.headers)
    assert shown.status_code == 200
    body = shown.json()
    assert body["id"] == started["payment_id"]
    assert body["order_id"] == order["id"]
    assert body["provider"] == "sandbox"
    assert body["status"] == "pending"
    assert body["amount_cents"] == 9980
    assert body["currency"] == "CNY"
    assert body["order_status"] == "pending_payment"
    assert body["product_titles"] == ["手工皂"]
    assert body["items"] == [
        {
            "title": "手工皂",
            "spec": {"颜色": "红"},
            "quantity": 2,
            "unit_price_cents": 4990,
            "line_total_cents": 9980,
        }
    ]

    for outsider in (await sign_up(client), listing.merchant):
        hidden = await client.get(
            f"/api/v1/payments/{started['payment_id']}", headers=outsider.headers
        )
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "payment_not_found"
        confirm = await _confirm(client, outsider.headers, started["payment_id"], "succeed")
        assert confirm.status_code == 404
    assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"


async def test_only_the_buyer_pays_and_only_pending_orders(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    by_merchant = await client.post(
        f"/api/v1/orders/{order['id']}/pay", headers=listing.merchant.headers
    )
    assert by_merchant.status_code == 403
    assert by_merchant.json()["code"] == "not_order_buyer"
    by_stranger = await client.post(
        f"/api/v1/orders/{order['id']}/pay", headers=(await sign_up(client)).headers
    )
    assert by_stranger.status_code == 404
    assert by_stranger.json()["code"] == "order_not_found"

    await pay(client, buyer, order["id"])
    again = await client.post(f"/api/v1/orders/{order['id']}/pay", headers=buyer.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_order_state"


async def test_successful_payment_marks_paid_announces_and_records(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, price_cents=12900, title="真丝睡衣")
    stage = await open_stage(client, [listing], live_price_cents=9900)
    buyer, address_id = await buyer_with_address(client, name="小明")
    order = await place_order(
        client, buyer, address_id, listing, quantity=2, session_id=stage.session_id
    )
    recorder = Recorder()
    await runtime.broker.subscribe(live_channel(stage.session_id), recorder)

    payment = await pay(client, buyer, order["id"])
    assert payment["status"] == "succeeded"
    assert payment["succeeded_at"] is not None
    assert payment["order_status"] == "paid"
    paid = await get_order(client, buyer, order["id"])
    assert paid["status"] == "paid"
    assert paid["paid_at"] is not None
    assert await stock_of(client, listing) == 8

    await wait_for(recorder, 1)
    assert recorder.messages == [
        {"type": "purchase", "buyer": "小*", "product_title": "真丝睡衣", "quantity": 2}
    ]
    [event] = await behaviour_events(runtime, "payment")
    assert (event.user_id, event.session_id, event.room_id, event.order_id, event.value) == (
        buyer.id,
        stage.session_id,
        stage.room_id,
        order["id"],
        19800,
    )
    assert event.product_id == listing.product_id
    await runtime.broker.unsubscribe(live_channel(stage.session_id), recorder)


async def test_failed_payment_leaves_the_order_payable(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    failed = await pay(client, buyer, order["id"], outcome="fail")
    assert failed["status"] == "failed"
    assert failed["order_status"] == "pending_payment"
    # Pressing the buttons again on a settled payment changes nothing.
    again = await _confirm(client, buyer.headers, failed["id"], "fail")
    assert again.json()["status"] == "failed"
    succeeded = await pay(client, buyer, order["id"])
    assert succeeded["id"] != failed["id"]
    assert succeeded["status"] == "succeeded"
    assert (await get_order(client, buyer, order["id"]))["status"] == "paid"


async def test_callback_checks_the_signature_and_is_idempotent(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, title="茶具")
    stage = await open_stage(client, [listing])
    buyer, address_id = await buyer_with_address(client, name="Alice")
    order = await place_order(client, buyer, address_id, listing, session_id=stage.session_id)
    payment_id = await start_payment(client, buyer, order["id"])
    recorder = Recorder()
    await runtime.broker.subscribe(live_channel(stage.session_id), recorder)
    body, headers = _signed(await _callback_payload(runtime, payment_id, "succeeded"))
    url = "/api/v1/payments/callback/sandbox"

    forged = await client.post(
        url, content=body, headers={**headers, "X-Sandbox-Signature": "0" * 64}
    )
    assert forged.status_code == 400
    assert forged.json()["code"] == "bad_signature"
    unsigned = await client.post(url, content=body)
    assert unsigned.status_code == 400
    assert unsigned.json()["code"] == "bad_signature"
    tampered = body.replace(b'"succeeded"', b'"succeeded" ')
    assert (await client.post(url, content=tampered, headers=headers)).status_code == 400
    assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"

    accepted = await client.post(url, content=body, headers=headers)
    assert accepted.status_code == 200
    assert accepted.json() == {"status": "succeeded"}
    paid = await get_order(client, buyer, order["id"])
    assert paid["status"] == "paid"

    replay = await client.post(url, content=body, headers=headers)
    assert replay.status_code == 200
    assert replay.json() == {"status": "succeeded"}
    failed_body, failed_headers = _signed(await _callback_payload(runtime, payment_id, "failed"))
    late_failure = await client.post(url, content=failed_body, headers=failed_headers)
    assert late_failure.status_code == 200
    assert late_failure.json() == {"status": "succeeded"}
    assert await get_order(client, buyer, order["id"]) == paid
    assert len(await behaviour_events(runtime, "payment")) == 1
    await wait_for(recorder, 1)
    await asyncio.sleep(0.1)
    assert recorder.messages == [
        {"type": "purchase", "buyer": "A***", "product_title": "茶具", "quantity": 1}
    ]
    await runtime.broker.unsubscribe(live_channel(stage.session_id), recorder)


async def test_callback_rejects_wrong_amount_unknown_payment_and_garbage(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    payment_id = await start_payment(client, buyer, order["id"])
    url = "/api/v1/payments/callback/sandbox"
    payload = await _callback_payload(runtime, payment_id, "succeeded")

    body, headers = _signed({**payload, "amount_cents": 1})
    response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "amount_mismatch"
    body, headers = _signed({**payload, "reference": "sbx_unknown"})
    response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "payment_not_found"
    body, headers = _signed({"hello": "world"})
    response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_callback"
    body, headers = _signed(payload)
    response = await client.post("/api/v1/payments/callback/nowhere", content=body, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "provider_not_found"
    assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"


async def test_payment_after_expiry_is_refunded_and_takes_no_stock(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(
        client, buyer, address_id, listing, quantity=2, session_id=stage.session_id
    )
    payment_id = await start_payment(client, buyer, order["id"])
    clock.advance(timedelta(seconds=901))
    assert await tick(runtime) == 1
    assert (await get_order(client, buyer, order["id"]))["status"] == "cancelled"
    assert await stock_of(client, listing) == 5
    recorder = Recorder()
    await runtime.broker.subscribe(live_channel(stage.session_id), recorder)

    late = await _confirm(client, buyer.headers, payment_id, "succeed")
    assert late.status_code == 200
    assert late.json()["status"] == "refunded"
    assert late.json()["refunded_at"] is not None
    assert late.json()["order_status"] == "cancelled"
    after = await get_order(client, buyer, order["id"])
    assert (after["status"], after["paid_at"]) == ("cancelled", None)
    assert await stock_of(client, listing) == 5
    assert await behaviour_events(runtime, "payment") == []
    [refund_job] = await jobs(runtime, "payment.refund")
    assert refund_job.payload == {"payment_id": payment_id, "amount_cents": order["total_cents"]}
    await asyncio.sleep(0.2)
    assert recorder.messages == []
    await runtime.broker.unsubscribe(live_channel(stage.session_id), recorder)


async def test_payment_after_the_deadline_expires_the_order_itself(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # The expiry job has not run yet: the callback sees the deadline and expires it.
    listing = await create_listing(client, stock=5)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, quantity=2)
    payment_id = await start_payment(client, buyer, order["id"])
    clock.advance(timedelta(seconds=901))
    late = await _confirm(client, buyer.headers, payment_id, "succeed")
    assert late.json()["status"] == "refunded"
    expired = await get_order(client, buyer, order["id"])
    assert (expired["status"], expired["cancel_reason"]) == ("cancelled", "payment_timeout")
    assert await stock_of(client, listing) == 5
    # The expiry job then finds nothing to do: stock is returned only once.
    assert await tick(runtime) == 2
    assert await stock_of(client, listing) == 5


async def test_payment_for_a_cancelled_or_already_paid_order_is_refunded(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, stock=5)
    buyer, address_id = await buyer_with_address(client)
    cancelled = await place_order(client, buyer, address_id, listing)
    payment_id = await start_payment(client, buyer, cancelled["id"])
    response = await client.post(f"/api/v1/orders/{cancelled['id']}/cancel", headers=buyer.headers)
    assert response.status_code == 200
    late = await _confirm(client, buyer.headers, payment_id, "succeed")
    assert (late.json()["status"], late.json()["order_status"]) == ("refunded", "cancelled")

    order = await place_order(client, buyer, address_id, listing)
    first = await start_payment(client, buyer, order["id"])
    second = await start_payment(client, buyer, order["id"])
    assert (await _confirm(client, buyer.headers, first, "succeed")).json()["status"] == "succeeded"
    duplicate = await _confirm(client, buyer.headers, second, "succeed")
    assert (duplicate.json()["status"], duplicate.json()["order_status"]) == ("refunded", "paid")
    assert await stock_of(client, listing) == 4


async def test_failure_after_marking_paid_rolls_back_and_announces_nothing(
    app: FastAPI, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        listing = await create_listing(client, stock=5)
        stage = await open_stage(client, [listing])
        buyer, address_id = await buyer_with_address(client)
        order = await place_order(client, buyer, address_id, listing, session_id=stage.session_id)
        payment_id = await start_payment(client, buyer, order["id"])
        recorder = Recorder()
        await runtime.broker.subscribe(live_channel(stage.session_id), recorder)

        async def refresh_fails(session: Any, payment: Any) -> None:
            raise RuntimeError("database went away")

        # Fails after the payment and order rows moved, OrderPaid was stored for the
        # ledger and insights, and the purchase was queued.
        monkeypatch.setattr(payment_repository, "refresh", refresh_fails)
        response = await _confirm(client, buyer.headers, payment_id, "succeed")
        assert response.status_code == 500
        monkeypatch.undo()
        # No handler heard of the rolled-back payment.
        assert await count_rows(runtime, BehaviourEvent, BehaviourEvent.kind == "payment") == 0
        assert await count_rows(runtime, JournalEntry) == 0
        assert await WorkerLoop(runtime).run_once() == 0

        assert (await get_order(client, buyer, order["id"]))["status"] == "pending_payment"
        shown = await client.get(f"/api/v1/payments/{payment_id}", headers=buyer.headers)
        assert shown.json()["status"] == "pending"
        await asyncio.sleep(0.2)
        assert recorder.messages == []

        # The provider retries; this time it goes through, announced exactly once.
        assert (await _confirm(client, buyer.headers, payment_id, "succeed")).status_code == 200
        await wait_for(recorder, 1)
        assert [message["type"] for message in recorder.messages] == ["purchase"]
        await runtime.broker.unsubscribe(live_channel(stage.session_id), recorder)
