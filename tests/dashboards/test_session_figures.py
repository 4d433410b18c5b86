"""Exact figures of a scripted session: totals, minutes, funnel, audience, products."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.dashboards.script import EXPECTED_FIGURES, T0, at, play


async def test_the_scripted_session_adds_up(client: httpx.AsyncClient, runtime: Runtime) -> None:
    scripted = await play(client, runtime)
    response = await client.get(
        f"/api/v1/dashboards/sessions/{scripted.stage.session_id}",
        headers=scripted.stage.host.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["figures"] == EXPECTED_FIGURES
    assert body["funnel"] == [
        {"step": "exposures", "value": 0, "rate_bp": 0},
        {"step": "viewers", "value": 4, "rate_bp": 0},
        {"step": "clickers", "value": 2, "rate_bp": 5000},
        {"step": "orderers", "value": 3, "rate_bp": 15000},  # Carol ordered without a click
        {"step": "payers", "value": 2, "rate_bp": 6666},
    ]
    assert body["segments"] == {
        "fans": {"viewers": 1, "gmv_cents": 8800},
        "non_fans": {"viewers": 3, "gmv_cents": 8800},
        "first_time_buyers": {"buyers": 2, "gmv_cents": 17600},
    }
    assert body["sources"] == [
        {"source": "unknown", "enters": 5, "viewers": 4, "paid_orders": 2, "gmv_cents": 17600}
    ]
    minutes = [
        (
            p["minute"],
            p["online"],
            p["enters"],
            p["viewers"],
            p["likes"],
            p["comments"],
            p["product_clicks"],
            p["orders"],
            p["paid_orders"],
            p["gmv_cents"],
            p["refund_cents"],
            p["follows"],
        )
        for p in body["minutes"]
    ]
    iso = [at(m).isoformat().replace("+00:00", "Z") for m in range(5)]
    assert [m[0].replace("+00:00", "Z") for m in minutes] == iso
    assert [m[1:] for m in minutes] == [
        (4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0),
        (4, 0, 0, 5, 1, 3, 0, 0, 0, 0, 0),
        (4, 0, 0, 0, 0, 0, 3, 2, 17600, 0, 1),
        (4, 0, 0, 0, 0, 0, 0, 0, 0, 8800, 0),
        (1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]
    assert body["products"] == [
        {
            "product_id": scripted.product_id,
            "title": "羊毛围巾",
            "explain_seconds": 0,
            "clicks": 3,
            "orders": 3,
            "paid_orders": 2,
            "gmv_cents": 17600,
            "refund_cents": 8800,
            "conversion_bp": 6666,
        }
    ]
    assert body["session"]["started_at"].startswith(T0.isoformat()[:16])


async def test_rolling_up_again_counts_nothing_twice(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from livecommerce.dashboards.rollup import catch_up

    scripted = await play(client, runtime)
    assert await catch_up(runtime) == 0
    response = await client.get(
        f"/api/v1/dashboards/sessions/{scripted.stage.session_id}",
        headers=scripted.stage.host.headers,
    )
    assert response.json()["figures"] == EXPECTED_FIGURES
