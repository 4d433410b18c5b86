"""Statements: closed periods never change, later refunds land in the next one; CSV; payouts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.ledger.world import build_world, buy, owed, refund, verify


async def close(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    response = await client.post("/api/v1/ledger/settlements", headers=admin_headers, json={})
    assert response.status_code == 201, response.text
    items: list[dict] = response.json()["items"]  # type: ignore[type-arg]
    return items


async def test_refund_after_settlement_lands_in_next_period(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(utcnow())
    world = await build_world(client, runtime, price_cents=9999, share_bp=3333)
    order = await buy(client, world)
    clock.advance(timedelta(minutes=1))
    first = await close(client, world.admin.headers)
    by_kind = {item["kind"]: item for item in first}
    assert {kind: item["closing_cents"] for kind, item in by_kind.items()} == {
        "merchant_payable": 7501,
        "host_payable": 1333,
        "agency_payable": 666,
    }
    host_statement = by_kind["host_payable"]
    assert (host_statement["opening_cents"], host_statement["lines_count"]) == (0, 1)

    clock.advance(timedelta(minutes=1))
    await refund(client, world.merchant, order["id"], 3333)
    # The closed statement is exactly as it was.
    again = await client.get(
        f"/api/v1/ledger/statements/{host_statement['id']}", headers=world.host.headers
    )
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["closing_cents"], body["lines_count"], len(body["lines"])) == (1333, 1, 1)
    assert body["lines"][0]["amount_cents"] == 1333

    clock.advance(timedelta(minutes=1))
    second = {item["kind"]: item for item in await close(client, world.admin.headers)}
    assert second["host_payable"]["opening_cents"] == 1333
    assert second["host_payable"]["lines_total_cents"] == -444
    assert second["host_payable"]["closing_cents"] == 889
    assert second["merchant_payable"]["closing_cents"] == 7501 - 2501
    assert second["agency_payable"]["closing_cents"] == 666 - 222
    assert second["host_payable"]["period_start"] == host_statement["period_end"]
    assert await owed(client, world.host) == {"host_payable": 889}

    # Nothing new: a third close makes no statements.
    clock.advance(timedelta(minutes=1))
    assert await close(client, world.admin.headers) == []
    report = await verify(client, world.admin)
    assert (report["ok"], report["statements"]) == (True, 6)


async def test_statement_csv_and_payout(client: httpx.AsyncClient, runtime: Runtime) -> None:
    clock.freeze(utcnow())
    world = await build_world(client, runtime, price_cents=10000, share_bp=None)
    order = await buy(client, world)
    clock.advance(timedelta(seconds=5))
    [merchant_statement] = [
        item
        for item in await close(client, world.admin.headers)
        if item["owner_id"] == world.merchant.id
    ]
    response = await client.get(
        f"/api/v1/ledger/statements/{merchant_statement['id']}/csv",
        headers=world.merchant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="statement-')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1] == ["account", "merchant_payable"]
    assert rows[5] == ["opening_cents", "0"]
    header = rows.index(["at", "kind", "order_id", "reference", "memo", "amount_cents"])
    line = rows[header + 1]
    assert line[1:4] == ["order_paid", order["id"], f"order_paid:{order['id']}"]
    # 10000 − 5 % fee − 20 % commission.
    assert line[5] == "7500"
    assert rows[-3:] == [
        ["lines_total_cents", "7500"],
        ["closing_cents", "7500"],
        ["payout_status", "pending"],
    ]

    paid = await client.post(
        f"/api/v1/ledger/statements/{merchant_statement['id']}/payout",
        headers=world.admin.headers,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["payout_status"] == "paid"
    twice = await client.post(
        f"/api/v1/ledger/statements/{merchant_statement['id']}/payout",
        headers=world.admin.headers,
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "already_paid_out")


async def test_statement_permissions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    clock.freeze(utcnow())
    world = await build_world(client, runtime, share_bp=3000)
    await buy(client, world)
    clock.advance(timedelta(seconds=5))
    statements = {item["kind"]: item for item in await close(client, world.admin.headers)}
    host_statement = statements["host_payable"]["id"]
    other_host = await sign_up(client, "host")
    for path in (
        f"/api/v1/ledger/statements/{host_statement}",
        f"/api/v1/ledger/statements/{host_statement}/csv",
    ):
        for outsider in (other_host, world.merchant, world.buyer):
            response = await client.get(path, headers=outsider.headers)
            assert (response.status_code, response.json()["code"]) == (404, "statement_not_found")
    listed = await client.get("/api/v1/ledger/statements", headers=other_host.headers)
    assert listed.json()["items"] == []
    mine = await client.get("/api/v1/ledger/statements", headers=world.host.headers)
    assert [item["id"] for item in mine.json()["items"]] == [host_statement]
    # An agency reads its own statement, not its hosts'.
    assert world.agency_admin is not None
    agency_list = await client.get("/api/v1/ledger/statements", headers=world.agency_admin.headers)
    assert [item["kind"] for item in agency_list.json()["items"]] == ["agency_payable"]
    # Another host's earnings stay invisible, even when asked for by owner id.
    peek = await client.get(
        f"/api/v1/ledger/earnings?owner_id={world.host.id}", headers=other_host.headers
    )
    assert peek.json()["accounts"] == []
    assert peek.json()["owner_ids"] == [other_host.id]

    for path, body in (
        ("/api/v1/ledger/settlements", {}),
        (f"/api/v1/ledger/statements/{host_statement}/payout", None),
    ):
        for account in (world.host, world.merchant, world.agency_admin):
            response = await client.post(path, headers=account.headers, json=body)
            assert (response.status_code, response.json()["code"]) == (403, "role_required")
    denied = await client.get("/api/v1/ledger/verify", headers=world.merchant.headers)
    assert denied.status_code == 403


async def test_future_period_cannot_close(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await build_world(client, runtime, share_bp=None)
    later = (utcnow() + timedelta(days=1)).isoformat()
    response = await client.post(
        "/api/v1/ledger/settlements", headers=world.admin.headers, json={"period_end": later}
    )
    assert (response.status_code, response.json()["code"]) == (422, "period_not_over")


async def test_refund_permissions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await build_world(client, runtime, share_bp=None)
    order = await buy(client, world)
    other_merchant = await sign_up(client, "merchant")
    body = await refund(client, other_merchant, order["id"], 100, expect=404)
    assert body["code"] == "order_not_found"
    body = await refund(client, world.buyer, order["id"], 100, expect=403)
    assert body["code"] == "not_order_merchant"
    body = await refund(client, world.host, order["id"], 100, expect=404)
    assert body["code"] == "order_not_found"
    done = await refund(client, world.admin, order["id"], 100)
    assert done["refunded_cents"] == 100


async def test_periods_close_on_schedule(client: httpx.AsyncClient, runtime: Runtime) -> None:
    from datetime import UTC, datetime

    from livecommerce.models import ScheduledJob
    from tests.orders.shop import jobs, tick

    clock.freeze(datetime(2026, 3, 4, 15, 30, tzinfo=UTC))  # a Wednesday
    world = await build_world(client, runtime, price_cents=10000, share_bp=None)
    await buy(client, world)
    await buy(client, world)
    [job] = await jobs(runtime, "ledger.close_period")
    assert isinstance(job, ScheduledJob)
    # Weekly periods end at 00:00 UTC on Mondays.
    assert job.run_at == datetime(2026, 3, 9, tzinfo=UTC)
    assert job.payload == {"period_end": "2026-03-09T00:00:00+00:00"}
    assert await tick(runtime) == 0

    clock.freeze(datetime(2026, 3, 9, 0, 0, 1, tzinfo=UTC))
    assert [job.kind for job in await jobs(runtime, "recommend.train")] == ["recommend.train"]
    # the close, the two paid orders' expiry timers and the recommender's training check
    assert await tick(runtime) == 4
    statements = await client.get("/api/v1/ledger/statements", headers=world.admin.headers)
    closed = {item["kind"]: item for item in statements.json()["items"]}
    assert closed["merchant_payable"]["closing_cents"] == 2 * 7500
    assert closed["host_payable"]["closing_cents"] == 2 * 2000
    assert closed["host_payable"]["period_end"] == "2026-03-09T00:00:00Z"
    pending = [
        item for item in await jobs(runtime, "ledger.close_period") if item.status == "pending"
    ]
    assert [item.run_at for item in pending] == [datetime(2026, 3, 16, tzinfo=UTC)]
    assert (await verify(client, world.admin))["ok"] is True
