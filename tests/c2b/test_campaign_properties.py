"""Property test: random joins, payments (in time, late, failed), cancellations,
deadline runs and balances keep units and money exact and ``ledger verify`` passing.

After every step that runs the worker, and at the end, ``check_books`` asserts:
units reserved and paid equal the pledges' quantities and never pass the maximum;
the money kept by the payments equals the paid campaign orders; every refunded
payment gave back all of it; the ledger verifies; and the held pre-sale account owes
exactly the paid orders that have not shipped or been forfeited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Pledge
from tests.c2b.helpers import check_books, create_presale, drain, make_world, rows
from tests.interactions.helpers import run_hypothesis
from tests.orders.shop import start_payment

BUYERS = 3

operation = st.one_of(
    st.tuples(st.just("join"), st.integers(0, BUYERS - 1), st.integers(1, 3)),
    st.tuples(st.just("start"), st.integers(0, BUYERS - 1), st.just(0)),
    st.tuples(st.just("confirm"), st.integers(0, BUYERS - 1), st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.integers(0, BUYERS - 1), st.just(0)),
    st.tuples(st.just("wait"), st.sampled_from([1, 20, 40]), st.just(0)),
    st.tuples(st.just("balance"), st.integers(0, BUYERS - 1), st.just(0)),
)


async def test_random_sequences_keep_units_and_money_exact(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        steps=st.lists(operation, min_size=3, max_size=14),
        deposit=st.sampled_from([0, 3000]),
        default=st.sampled_from(["forfeit", "refund"]),
    )
    async def example(steps: list[tuple[str, int, int]], deposit: int, default: str) -> None:
        world = await make_world(client, buyers=BUYERS)
        sale = await create_presale(
            client,
            world,
            moq=3,
            max_units=5,
            deposit_cents=deposit,
            on_balance_default=default,
            balance_hours=24,
            extend_share_bp=6000,
            extend_hours=20,
        )
        orders: dict[int, str] = {}
        started: dict[int, str] = {}
        for kind, who, extra in steps:
            account, address_id = world.buyers[who] if kind != "wait" else world.buyers[0]
            response: Any = None
            if kind == "join":
                response = await client.post(
                    f"/api/v1/presales/{sale['id']}/join",
                    headers=account.headers,
                    json={"quantity": extra, "address_id": address_id},
                )
                if response.status_code == 201:
                    orders[who] = response.json()["order_id"]
            elif kind == "start" and who in orders:
                response = await client.post(
                    f"/api/v1/orders/{orders[who]}/pay", headers=account.headers
                )
                if response.status_code == 200:
                    started[who] = response.json()["payment_id"]
            elif kind == "confirm" and who in started:
                response = await client.post(
                    f"/api/v1/payments/{started[who]}/sandbox-confirm",
                    headers=account.headers,
                    json={"outcome": "fail" if extra == 2 else "succeed"},
                )
            elif kind == "cancel" and who in orders:
                response = await client.post(
                    f"/api/v1/orders/{orders[who]}/cancel", headers=account.headers
                )
            elif kind == "balance":
                pledges = await rows(
                    runtime, Pledge, Pledge.campaign_id == sale["id"], Pledge.buyer_id == account.id
                )
                if pledges and pledges[0].balance_order_id and pledges[0].status == "balance_due":
                    payment_id = await start_payment(client, account, pledges[0].balance_order_id)
                    response = await client.post(
                        f"/api/v1/payments/{payment_id}/sandbox-confirm",
                        headers=account.headers,
                        json={"outcome": "succeed"},
                    )
            elif kind == "wait":
                clock.advance(timedelta(hours=who))
                await drain(runtime)
                await check_books(runtime, sale["id"])
            if response is not None:
                assert response.status_code < 500, response.text
        # Whatever happened, the campaign ends decided and the books balance.
        clock.advance(timedelta(days=8))
        await drain(runtime)
        await check_books(runtime, sale["id"])
        state = (await client.get(f"/api/v1/presales/{sale['id']}")).json()
        assert state["status"] in ("succeeded", "failed")
        if state["status"] == "failed":
            assert state["units_paid"] == 0

    await run_hypothesis(example)
