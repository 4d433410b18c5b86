"""A pre-sale through its states: success with balances, failure with refunds, one
extension near the MOQ, a balance that is not paid, and the faults around them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from livecommerce.c2b.fulfilment import fulfilment_service
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Notification, Payment, Pledge, ProductionOrder
from tests.c2b.helpers import (
    campaign,
    check_books,
    create_presale,
    drain,
    join,
    join_and_pay,
    make_world,
    rows,
)
from tests.orders.shop import get_order, pay


async def test_success_requests_balances_issues_production_and_ships(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world)
    first = await join_and_pay(client, world, sale["id"], 0, 2)
    await join_and_pay(client, world, sale["id"], 1, 1)
    assert first["amount_cents"] == 4000  # two deposits
    await drain(runtime)
    state = await campaign(client, sale["id"])
    assert (state["units_paid"], state["units_reserved"], state["status"]) == (3, 3, "open")
    await check_books(runtime, sale["id"])

    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    state = await campaign(client, sale["id"])
    assert state["status"] == "succeeded"
    assert state["production_issued"] is True
    pledges = await rows(runtime, Pledge, Pledge.campaign_id == sale["id"])
    assert [p.status for p in pledges] == ["balance_due", "balance_due"]
    buyer, _ = world.buyers[0]
    mine = next(p for p in pledges if p.buyer_id == buyer.id)
    assert mine.balance_order_id is not None
    balance = await get_order(client, buyer, mine.balance_order_id)
    assert balance["total_cents"] == 2 * 8000
    await pay(client, buyer, mine.balance_order_id)
    other = next(p for p in pledges if p.buyer_id != buyer.id)
    assert other.balance_order_id is not None
    await pay(client, world.buyers[1][0], other.balance_order_id)
    await drain(runtime)
    await check_books(runtime, sale["id"])

    # The factory gets the production order with the quantities.
    [production] = await rows(runtime, ProductionOrder, ProductionOrder.campaign_id == sale["id"])
    assert (production.units_total, production.supplier_id) == (3, world.supplier.id)

    shipped = await client.post(
        f"/api/v1/pledges/{mine.id}/ship",
        headers=world.merchant.headers,
        json={"carrier": "顺丰", "tracking_number": "SF100"},
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "shipped"
    await drain(runtime)
    await check_books(runtime, sale["id"])
    assert (await get_order(client, buyer, mine.first_order_id))["status"] == "shipped"

    # A buyer sees the pledge, the campaign and the production state.
    mine_view = await client.get("/api/v1/presales/mine", headers=buyer.headers)
    assert mine_view.status_code == 200
    [item] = mine_view.json()["items"]
    assert (item["pledge"]["status"], item["production_status"]) == ("shipped", "issued")


async def test_failure_refunds_every_payment_once_and_tells_buyers(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=4)
    await join_and_pay(client, world, sale["id"], 0, 1)
    await join_and_pay(client, world, sale["id"], 1, 2)
    unpaid = await join(client, world, sale["id"], 2, 1)
    await drain(runtime)

    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    state = await campaign(client, sale["id"])
    assert (state["status"], state["units_paid"], state["units_reserved"]) == ("failed", 0, 0)
    pledges = await rows(runtime, Pledge, Pledge.campaign_id == sale["id"])
    assert sorted(p.status for p in pledges) == ["cancelled", "refunded", "refunded"]
    payments = await rows(runtime, Payment)
    assert sorted((p.status, p.refunded_cents) for p in payments) == [
        ("refunded", 2000),
        ("refunded", 4000),
    ]
    told = await rows(runtime, Notification, Notification.template == "presale_failed")
    assert len(told) == 2
    await check_books(runtime, sale["id"])

    # The unpaid buyer cannot pay any more; running the refund job again changes nothing.
    response = await client.post(
        f"/api/v1/orders/{unpaid['order_id']}/pay", headers=world.buyers[2][0].headers
    )
    assert response.status_code == 409

    async with runtime.db.transaction() as session:
        assert await fulfilment_service.do_refund_batch(session, sale["id"]) == 0
        assert await fulfilment_service.do_run_deadline(session, sale["id"]) == ""
    await drain(runtime)
    await check_books(runtime, sale["id"])


async def test_late_payment_on_failed_campaign_is_refunded(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=2)
    joined = await join(client, world, sale["id"], 0, 1)
    buyer = world.buyers[0][0]
    started = await client.post(f"/api/v1/orders/{joined['order_id']}/pay", headers=buyer.headers)
    payment_id = started.json()["payment_id"]
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "failed"
    # The bank's confirmation arrives after the deadline.
    late = await client.post(
        f"/api/v1/payments/{payment_id}/sandbox-confirm",
        headers=buyer.headers,
        json={"outcome": "succeed"},
    )
    assert late.status_code == 200, late.text
    await drain(runtime)
    [payment] = await rows(runtime, Payment, Payment.id == payment_id)
    assert (payment.status, payment.refunded_cents) == ("refunded", 2000)
    await check_books(runtime, sale["id"])


async def test_extension_once_near_moq_then_success(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=4, extend_share_bp=5000, extend_hours=24)
    await join_and_pay(client, world, sale["id"], 0, 2)
    await drain(runtime)
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    state = await campaign(client, sale["id"])
    assert (state["status"], state["extended"]) == ("open", True)
    decisions = await client.get(
        f"/api/v1/presales/{sale['id']}/decisions", headers=world.merchant.headers
    )
    [decision] = decisions.json()["items"]
    assert decision["rule"] == "extend_near_moq"
    assert (decision["figures"]["units_paid"], decision["figures"]["moq"]) == (2, 4)

    await join_and_pay(client, world, sale["id"], 1, 2)
    clock.advance(timedelta(hours=24))
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "succeeded"
    await check_books(runtime, sale["id"])


async def test_extension_happens_only_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=4, extend_share_bp=5000, extend_hours=24)
    await join_and_pay(client, world, sale["id"], 0, 2)
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    clock.advance(timedelta(hours=24))
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "failed"
    await check_books(runtime, sale["id"])


async def test_unpaid_balance_forfeits_or_refunds_the_deposit(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for default in ("forfeit", "refund"):
        world = await make_world(client, buyers=2)
        sale = await create_presale(
            client, world, moq=2, on_balance_default=default, balance_hours=24
        )
        await join_and_pay(client, world, sale["id"], 0, 1)
        await join_and_pay(client, world, sale["id"], 1, 1)
        clock.advance(timedelta(days=3, seconds=1))
        await drain(runtime)
        pledges = await rows(runtime, Pledge, Pledge.campaign_id == sale["id"])
        payer = pledges[0]
        payer_account = next(a for a, _ in world.buyers if a.id == payer.buyer_id)
        assert payer.balance_order_id is not None
        await pay(client, payer_account, payer.balance_order_id)
        clock.advance(timedelta(hours=24, seconds=1))
        await drain(runtime)
        after = await rows(runtime, Pledge, Pledge.campaign_id == sale["id"])
        expected = "defaulted" if default == "forfeit" else "refunded"
        assert sorted(p.status for p in after) == sorted(["confirmed", expected])
        await check_books(runtime, sale["id"])
        clock.reset()


async def test_maximum_never_exceeded_by_concurrent_joins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client, buyers=6)
    sale = await create_presale(client, world, moq=2, max_units=4)
    results = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/presales/{sale['id']}/join",
                headers=account.headers,
                json={"quantity": 1, "address_id": address_id},
            )
            for account, address_id in world.buyers
        )
    )
    codes = sorted(response.status_code for response in results)
    assert codes == [201, 201, 201, 201, 409, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"campaign_full"}
    assert (await campaign(client, sale["id"]))["units_reserved"] == 4
    await check_books(runtime, sale["id"])


async def test_bad_input_is_refused_with_codes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world)
    too_long = await join(
        client, world, sale["id"], 0, expect=422, customisation={"刻字": "x" * 11}
    )
    assert too_long["code"] == "c2b_field_too_long"
    unknown = await join(client, world, sale["id"], 0, expect=422, customisation={"颜色": "红"})
    assert unknown["code"] == "c2b_unknown_field"
    over = await join(client, world, sale["id"], 0, 6, expect=422)
    assert over["code"] == "c2b_bad_quantity"
    ok = await join(client, world, sale["id"], 0, customisation={"刻字": "<b>小明</b>"})
    assert ok["pledge"]["customisation"] == {"刻字": "<b>小明</b>"}
    again = await join(client, world, sale["id"], 0, expect=409)
    assert again["code"] == "c2b_already_joined"
    bad = await create_presale(client, world, moq=9, max_units=5, expect=422)
    assert bad["code"] == "c2b_bad_moq"
    bad = await create_presale(client, world, deposit_cents=10000, expect=422)
    assert bad["code"] == "c2b_bad_deposit"
    viewer = world.buyers[1][0]
    response = await client.post(
        "/api/v1/presales",
        headers=viewer.headers,
        json={"sku_id": world.listing.sku_id},
    )
    assert response.status_code in (403, 422)
