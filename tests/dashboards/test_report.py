"""The after-session report: comparison with the host's previous sessions, moments,
top products and the CSV; the platform dashboard and selection insight on the same data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx

from livecommerce.dashboards.rollup import catch_up
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.dashboards.script import at, play, visits
from tests.ledger.world import create_offer
from tests.orders.shop import Stage, make_admin


async def _end(client: httpx.AsyncClient, stage: Stage) -> None:
    ended = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/end", headers=stage.host.headers
    )
    assert ended.status_code == 200, ended.text


async def test_report_compares_marks_moments_and_downloads(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    scripted = await play(client, runtime)
    stage = scripted.stage
    showcase = await client.get(f"/api/v1/live-sessions/{stage.session_id}/showcase")
    item_id = (
        showcase.json()["items"][0]["id"]
        if isinstance(showcase.json(), dict)
        else showcase.json()[0]["id"]
    )
    pinned = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/pin",
        headers=stage.host.headers,
        json={"item_id": item_id},
    )
    assert pinned.status_code == 200, pinned.text
    clock.freeze(at(5, 10))
    await _end(client, stage)
    # A second session of the same room, an hour later, with two viewers.
    clock.freeze(at(60))
    second = await client.post(
        f"/api/v1/rooms/{stage.room_id}/sessions",
        headers=stage.host.headers,
        json={"title": "第二场", "planned_start_at": at(60).isoformat()},
    )
    assert second.status_code == 201, second.text
    second_stage = Stage(stage.host, stage.room_id, second.json()["id"])
    started = await client.post(
        f"/api/v1/live-sessions/{second_stage.session_id}/start", headers=stage.host.headers
    )
    assert started.status_code == 200
    await visits(
        runtime,
        second_stage,
        [("enter", scripted.alice.id, 1, at(60, 10)), ("enter", scripted.bob.id, 1, at(60, 20))],
    )
    clock.freeze(at(62))
    await _end(client, second_stage)
    await catch_up(runtime)

    report = await client.get(
        f"/api/v1/dashboards/sessions/{second_stage.session_id}/report", headers=stage.host.headers
    )
    assert report.status_code == 200, report.text
    assert report.json()["comparison"] == [
        {"metric": "viewers", "value": 2, "previous_average": 4, "previous_sessions": 1},
        {"metric": "pcu", "value": 2, "previous_average": 4, "previous_sessions": 1},
        {
            "metric": "avg_watch_seconds",
            "value": 0,
            "previous_average": 195,
            "previous_sessions": 1,
        },
        {"metric": "gmv_cents", "value": 0, "previous_average": 17600, "previous_sessions": 1},
        {"metric": "net_gmv_cents", "value": 0, "previous_average": 8800, "previous_sessions": 1},
        {"metric": "gpm_cents", "value": 0, "previous_average": 3_520_000, "previous_sessions": 1},
    ]

    first = await client.get(
        f"/api/v1/dashboards/sessions/{stage.session_id}/report", headers=stage.host.headers
    )
    body = first.json()
    assert body["comparison"][0] == {
        "metric": "viewers",
        "value": 4,
        "previous_average": 0,
        "previous_sessions": 0,
    }
    moments = [(m["kind"], m["at"].replace("+00:00", "Z"), m["label"]) for m in body["moments"]]
    iso = lambda minute, second=0: at(minute, second).isoformat().replace("+00:00", "Z")  # noqa: E731
    assert moments == [
        ("peak", iso(0), "4"),
        ("drop", iso(4), "-3"),
        ("pin", iso(4, 40), "羊毛围巾"),
    ]
    [top] = body["top_products"]
    assert (top["product_id"], top["explain_seconds"], top["gmv_cents"]) == (
        scripted.product_id,
        30,
        17600,
    )

    download = await client.get(
        f"/api/v1/dashboards/sessions/{stage.session_id}/report.csv", headers=stage.host.headers
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:4] == ["minute", "online", "enters", "viewers"]
    assert [row[1] for row in rows[1:7]] == ["4", "4", "4", "4", "1", "1"]
    assert ["gmv_cents", "17600"] in rows
    assert ["gpm_cents", "3520000"] in rows


async def test_platform_and_selection_on_the_scripted_day(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    scripted = await play(client, runtime)
    offer = await create_offer(
        client, scripted.merchant, scripted.product_id, commission_bp=1500, sample_policy="free"
    )
    admin = await make_admin(runtime)
    platform = (await client.get("/api/v1/dashboards/platform", headers=admin.headers)).json()
    assert platform["rooms_on_air"] == 1
    assert {
        k: platform["today"][k]
        for k in ("enters", "viewers", "paid_orders", "gmv_cents", "refund_cents")
    } == {
        "enters": 5,
        "viewers": 4,
        "paid_orders": 2,
        "gmv_cents": 17600,
        "refund_cents": 8800,
    }
    assert [(r["id"], r["gmv_cents"], r["gpm_cents"]) for r in platform["top_rooms"]] == [
        (scripted.stage.room_id, 17600, 3_520_000)
    ]
    assert [(r["id"], r["gmv_cents"], r["paid_orders"]) for r in platform["top_products"]] == [
        (scripted.product_id, 17600, 2)
    ]
    assert [(s["source"], s["viewers"]) for s in platform["by_source"]] == [("unknown", 4)]
    assert [(d["day"], d["gmv_cents"]) for d in platform["days"]] == [("2026-03-02", 17600)]
    assert [(p["enters"], p["paid_orders"], p["gmv_cents"]) for p in platform["per_minute"]] == [
        (4, 0, 0),
        (0, 0, 0),
        (0, 2, 17600),
        (0, 0, 0),
        (1, 0, 0),
    ]
    # A week later the product has sold nothing new: it is no longer rising.
    answer = await client.get(
        "/api/v1/dashboards/selection?days=7", headers=scripted.stage.host.headers
    )
    assert answer.status_code == 200, answer.text
    insight = answer.json()
    [item] = insight["items"]
    assert (item["product_id"], item["paid_orders"], item["gmv_cents"], item["clicks"]) == (
        scripted.product_id,
        2,
        17600,
        3,
    )
    assert (item["conversion_bp"], item["gpm_cents"], item["return_rate_bp"]) == (
        6666,
        5_866_666,
        5000,
    )
    assert (item["growth_bp"], item["rising"], item["velocity_per_day_x100"]) == (20000, True, 28)
    assert (item["offer_id"], item["commission_bp"], item["sample_policy"]) == (
        offer["id"],
        1500,
        "free",
    )
    assert item["trend"] == [0, 0, 0, 0, 0, 0, 17600]
    filtered = await client.get(
        "/api/v1/dashboards/selection?days=30&min_price_cents=20000",
        headers=scripted.stage.host.headers,
    )
    assert filtered.json()["items"] == []
    # From here the host requests the sample of the rising product.
    sample = await client.post(
        f"/api/v1/mcn/offers/{item['offer_id']}/samples",
        headers=scripted.stage.host.headers,
        json={"note": ""},
    )
    assert sample.status_code == 201, sample.text
    clock.freeze(at(0) + timedelta(days=8))
    later = (
        await client.get("/api/v1/dashboards/selection", headers=scripted.stage.host.headers)
    ).json()
    assert later["items"] == []
