"""Exact splits through the API: platform fee, host commission, agency share, merchant rest."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from livecommerce.kit.runtime import Runtime
from livecommerce.models import Payment, ScheduledJob
from tests.factories import sign_up
from tests.ledger.world import (
    build_world,
    buy,
    create_offer,
    open_room,
    owed,
    platform,
    refund,
    verify,
)
from tests.orders.shop import buyer_with_address, create_listing, get_order, pay, place_order


async def test_odd_cents_split_across_three_parties(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=9999, commission_bp=2000, share_bp=3333)
    await buy(client, world)

    # 9999 × 5 % = 499.95 → 499; commission 9999 × 20 % = 1999.8 → 1999;
    # agency 1999 × 33.33 % = 666.27 → 666; host 1999 − 666 = 1333; merchant the rest.
    assert await platform(client, world.admin) == {
        "platform_revenue": 499,
        "provider_receivable": -9999,
    }
    assert await owed(client, world.host) == {"host_payable": 1333}
    assert world.agency_admin is not None
    assert await owed(client, world.agency_admin) == {"agency_payable": 666}
    assert await owed(client, world.merchant) == {"merchant_payable": 7501}
    assert 499 + 1333 + 666 + 7501 == 9999
    report = await verify(client, world.admin)
    assert report["ok"] is True
    assert (report["entries"], report["problems"]) == (1, [])


async def test_quantity_and_fixed_fee(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await build_world(client, runtime, price_cents=3333, share_bp=None)
    offers = await client.get("/api/v1/mcn/offers?mine=true", headers=world.merchant.headers)
    [offer] = offers.json()["items"]
    patched = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}",
        headers=world.merchant.headers,
        json={"commission_bp": 1500, "fixed_fee_cents": 25},
    )
    assert patched.status_code == 200, patched.text
    await buy(client, world, quantity=3)
    # total 9999: fee 499; commission floor(9999 × 15 %) = 1499 + 3 × 25 = 1574.
    assert await owed(client, world.host) == {"host_payable": 1574}
    assert await owed(client, world.merchant) == {"merchant_payable": 9999 - 499 - 1574}
    offer_now = await client.get(f"/api/v1/mcn/offers/{offer['id']}", headers=world.host.headers)
    assert (offer_now.json()["sales_count"], offer_now.json()["sales_cents"]) == (3, 9999)


async def money_returned(runtime: Runtime, order_id: str) -> tuple[str, int, list[int]]:
    """The order's payment status, what it gave back, and the provider refunds scheduled."""
    async with runtime.db.transaction() as session:
        payment = (
            await session.execute(select(Payment).where(Payment.order_id == order_id))
        ).scalar_one()
        jobs = (
            await session.execute(
                select(ScheduledJob)
                .where(ScheduledJob.kind == "payment.refund")
                .order_by(ScheduledJob.created_at)
            )
        ).scalars()
        amounts = [
            int(job.payload["amount_cents"])
            for job in jobs
            if job.payload["payment_id"] == payment.id
        ]
        return payment.status, payment.refunded_cents, amounts


async def test_partial_then_full_refund_claws_back_exactly(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=9999, share_bp=3333)
    order = await buy(client, world)

    first = await refund(client, world.merchant, order["id"], 3333)
    assert (first["refunded_cents"], first["refundable_cents"]) == (3333, 6666)
    assert first["order_status"] == "paid"
    # A third back from each: 499→166, 1333→444, 666→222; the merchant gives the rest (2501).
    assert await owed(client, world.host) == {"host_payable": 1333 - 444}
    assert world.agency_admin is not None
    assert await owed(client, world.agency_admin) == {"agency_payable": 666 - 222}
    assert await owed(client, world.merchant) == {"merchant_payable": 7501 - 2501}
    assert (await platform(client, world.admin))["platform_revenue"] == 499 - 166
    # The money goes back through the payment provider, not only in the books.
    assert await money_returned(runtime, order["id"]) == ("succeeded", 3333, [3333])

    # Refunding all that is left refunds the order itself: every party ends at zero.
    last = await refund(client, world.merchant, order["id"], 6666)
    assert (last["refunded_cents"], last["refundable_cents"], last["order_status"]) == (
        9999,
        0,
        "refunded",
    )
    assert await owed(client, world.host) == {"host_payable": 0}
    assert await owed(client, world.agency_admin) == {"agency_payable": 0}
    assert await owed(client, world.merchant) == {"merchant_payable": 0}
    assert await platform(client, world.admin) == {
        "platform_revenue": 0,
        "provider_receivable": 0,
    }
    assert (await get_order(client, world.buyer, order["id"]))["status"] == "refunded"
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"]) == (True, 3)
    assert await money_returned(runtime, order["id"]) == ("refunded", 9999, [3333, 6666])

    over = await refund(client, world.merchant, order["id"], 1, expect=409)
    assert over["code"] == "invalid_order_state"


async def test_refund_larger_than_paid_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, share_bp=None)
    order = await buy(client, world)
    body = await refund(client, world.merchant, order["id"], 10000, expect=422)
    assert body["code"] == "refund_too_large"
    assert body["details"] == {"refundable_cents": 9999}


async def test_full_order_refund_posts_reversal(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, share_bp=5000)
    order = await buy(client, world)
    response = await client.post(
        f"/api/v1/orders/{order['id']}/refund", headers=world.merchant.headers
    )
    assert response.status_code == 200, response.text
    assert await owed(client, world.host) == {"host_payable": 0}
    assert await owed(client, world.merchant) == {"merchant_payable": 0}
    refunds = await client.get(
        f"/api/v1/ledger/orders/{order['id']}/refunds", headers=world.buyer.headers
    )
    assert refunds.json()["refunded_cents"] == 9999
    assert (await verify(client, world.admin))["ok"] is True


async def test_merchant_self_broadcast_pays_no_commission(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    listing = await create_listing(client, merchant=merchant, price_cents=10000)
    await create_offer(client, merchant, listing.product_id, commission_bp=3000)
    session_id = await open_room(client, merchant, [listing], name="品牌自播间")
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing, session_id=session_id)
    await pay(client, buyer, order["id"])
    assert await owed(client, merchant) == {"merchant_payable": 9500}


async def test_staff_host_earns_nothing_once_accepted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=None)
    added = await client.post(
        "/api/v1/mcn/staff", headers=world.merchant.headers, json={"host_id": world.host.id}
    )
    assert added.status_code == 201, added.text
    # Not yet confirmed by the host: still a talent host, still paid.
    await buy(client, world)
    assert await owed(client, world.host) == {"host_payable": 2000}
    accepted = await client.post(
        f"/api/v1/mcn/staff/{world.merchant.id}/accept", headers=world.host.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["accepted"] is True
    await buy(client, world)
    assert await owed(client, world.host) == {"host_payable": 2000}
    assert await owed(client, world.merchant) == {"merchant_payable": 7500 + 9500}


async def test_products_without_offer_or_outside_rooms_pay_no_commission(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=None)
    await buy(client, world, in_room=False)
    assert await owed(client, world.host) == {}
    other = await create_listing(client, merchant=world.merchant, price_cents=5000)
    added = await client.post(
        f"/api/v1/live-sessions/{world.session_id}/showcase",
        headers=world.host.headers,
        json={"product_id": other.product_id},
    )
    # Without an offer (or a staff link) the host may not sell the product at all.
    assert (added.status_code, added.json()["code"]) == (403, "no_selling_right")
    order = await place_order(client, world.buyer, world.address_id, other)
    await pay(client, world.buyer, order["id"])
    assert await owed(client, world.host) == {}
    assert await owed(client, world.merchant) == {"merchant_payable": 9500 + 4750}


async def test_paying_twice_posts_once(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await build_world(client, runtime, share_bp=None)
    order = await buy(client, world)
    payments = await client.get(f"/api/v1/orders/{order['id']}", headers=world.buyer.headers)
    assert payments.json()["status"] == "paid"
    report = await verify(client, world.admin)
    assert (report["ok"], report["entries"]) == (True, 1)


async def test_invite_only_offer_pays_invited_hosts_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=None)
    offers = await client.get("/api/v1/mcn/offers?mine=true", headers=world.merchant.headers)
    [offer] = offers.json()["items"]
    hidden = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}",
        headers=world.merchant.headers,
        json={"visibility": "invite_only"},
    )
    assert hidden.status_code == 200, hidden.text
    # Not invited: the host may not sell the product in its room any more.
    refused = await place_order(
        client,
        world.buyer,
        world.address_id,
        world.listing,
        session_id=world.session_id,
        expect=409,
    )
    assert refused["code"] == "not_sold_here"
    assert await owed(client, world.host) == {}
    invited = await client.post(
        f"/api/v1/mcn/offers/{offer['id']}/invites",
        headers=world.merchant.headers,
        json={"host_ids": [world.host.id]},
    )
    assert invited.json() == {"invited": 1}
    await buy(client, world)
    assert await owed(client, world.host) == {"host_payable": 2000}


async def test_ended_offer_and_contract_stop_paying(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from datetime import timedelta

    from livecommerce.kit.clock import clock, utcnow

    clock.freeze(utcnow())
    world = await build_world(client, runtime, price_cents=10000, share_bp=4000)
    await buy(client, world)
    assert await owed(client, world.host) == {"host_payable": 1200}
    assert world.agency_admin is not None
    assert await owed(client, world.agency_admin) == {"agency_payable": 800}

    contracts = await client.get("/api/v1/mcn/contracts", headers=world.host.headers)
    [contract] = contracts.json()["items"]
    clock.advance(timedelta(minutes=1))
    ended = await client.post(
        f"/api/v1/mcn/contracts/{contract['id']}/terminate", headers=world.host.headers
    )
    assert ended.json()["status"] == "terminated"
    clock.advance(timedelta(minutes=1))
    await buy(client, world)  # no agency any more: the host keeps the whole commission
    assert await owed(client, world.host) == {"host_payable": 1200 + 2000}
    assert await owed(client, world.agency_admin) == {"agency_payable": 800}

    offers = await client.get("/api/v1/mcn/offers?mine=true", headers=world.merchant.headers)
    [offer] = offers.json()["items"]
    ends = (utcnow() + timedelta(minutes=1)).isoformat()
    patched = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}", headers=world.merchant.headers, json={"ends_at": ends}
    )
    assert patched.status_code == 200, patched.text
    order = await place_order(
        client, world.buyer, world.address_id, world.listing, session_id=world.session_id
    )
    clock.advance(timedelta(minutes=2))
    await pay(client, world.buyer, order["id"])  # paid after the offer's period is over
    assert await owed(client, world.host) == {"host_payable": 3200}
    assert await owed(client, world.merchant) == {"merchant_payable": 7500 + 7500 + 9500}
