"""The demo seed: every party has earnings, statements download as CSV, the ledger verifies."""

from __future__ import annotations

import httpx

from livecommerce.demo.seed import seed_demo
from livecommerce.kit.runtime import Runtime


async def test_demo_partners(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await seed_demo(client, runtime)
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in world.tokens.items()}

    dashboard = await client.get("/api/v1/mcn/agency/dashboard", headers=headers["mcn"])
    assert dashboard.status_code == 200, dashboard.text
    body = dashboard.json()
    assert sorted(host["display_name"] for host in body["hosts"]) == ["主播小李", "达人阿美"]
    assert all(host["gmv_cents"] > 0 and host["host_earned_cents"] > 0 for host in body["hosts"])
    assert body["agency_earned_cents"] > 0

    for name, kind in (
        ("merchant", "merchant_payable"),
        ("host", "host_payable"),
        ("host2", "host_payable"),
        ("mcn", "agency_payable"),
    ):
        earnings = (await client.get("/api/v1/ledger/earnings", headers=headers[name])).json()
        [account] = [item for item in earnings["accounts"] if item["kind"] == kind]
        assert account["owed_cents"] > 0, name
        statements = (await client.get("/api/v1/ledger/statements", headers=headers[name])).json()
        [statement] = statements["items"]
        assert statement["closing_cents"] == account["owed_cents"]
        csv_text = await client.get(
            f"/api/v1/ledger/statements/{statement['id']}/csv", headers=headers[name]
        )
        assert csv_text.status_code == 200
        assert f"closing_cents,{statement['closing_cents']}" in csv_text.text

    # The refund clawed back part of the talent host's commission.
    host_lines = (await client.get("/api/v1/ledger/earnings", headers=headers["host"])).json()
    kinds = sorted({line["entry_kind"] for line in host_lines["lines"]})
    assert kinds == ["affiliate_conversion", "order_paid", "order_refund"]
    links = (await client.get("/api/v1/mcn/affiliate-links", headers=headers["host"])).json()
    assert (links["items"][0]["clicks"], links["items"][0]["conversions"]) == (1, 1)

    report = (await client.get("/api/v1/ledger/verify", headers=headers["admin"])).json()
    assert report["ok"] is True
    # four orders (one bought from a short video), one refund, one external sale
    assert report["entries"] == 6

    again = await seed_demo(client, runtime)  # a second start reuses everything
    assert again.session_id == world.session_id
    report = (await client.get("/api/v1/ledger/verify", headers=headers["admin"])).json()
    assert (report["ok"], report["entries"]) == (True, 6)
