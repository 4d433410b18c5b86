"""Dashboards split by traffic source: each viewer is filed under the source the traffic
domain attributed to their visit (traffic.visit_attributed), the first one winning; a
viewer without an attributed visit stays `unknown`. The funnel's exposures are the
distinct people the feed showed the session to."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from livecommerce.dashboards.rollup import catch_up
from livecommerce.insights.service import VISITOR_COOKIE, BehaviourRecord, insights_service
from livecommerce.kit.clock import clock
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DashboardRoomDay, DashboardSessionMinute, DashboardViewer
from tests.dashboards.script import T0, at, stop_background_rollups
from tests.orders.shop import buyer_with_address, create_listing, open_stage, pay, place_order


async def _impression(
    client: httpx.AsyncClient, session_id: str, headers: dict[str, str] | None = None
) -> str:
    feed = await client.get("/api/v1/feed", headers=headers or {})
    assert feed.status_code == 200, feed.text
    (item,) = [i for i in feed.json()["items"] if i["session_id"] == session_id]
    return str(item["impression_id"])


async def test_viewers_are_split_by_their_attributed_source(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await stop_background_rollups(runtime)
    clock.freeze(T0 - timedelta(minutes=5))
    listing = await create_listing(client, price_cents=10000, stock=20, title="羊毛围巾")
    alice, alice_address = await buyer_with_address(client, "Alice")
    bob, _ = await buyer_with_address(client, "Bob")
    carol, _ = await buyer_with_address(client, "Carol")
    stage = await open_stage(client, [listing], live_price_cents=8800)
    clock.freeze(at(0))
    visitor = new_id()
    browser = {"Cookie": f"{VISITOR_COOKIE}={visitor}"}

    # Alice opens the room from the home feed; Bob from search, then again from the feed
    # (his first source stays); the anonymous browser from another site; Carol is not
    # attributed. A second anonymous browser only sees the feed.
    imp = await _impression(client, stage.session_id, alice.headers)
    for headers, body in (
        (alice.headers, {"impression_id": imp}),
        (bob.headers, {"came_from": "search"}),
        (bob.headers, {"impression_id": await _impression(client, stage.session_id, bob.headers)}),
        (browser, {"came_from": "external"}),
    ):
        visit = await client.post(
            "/api/v1/traffic/visits", headers=headers, json={"session_id": stage.session_id, **body}
        )
        assert visit.status_code == 200, visit.text
    await _impression(client, stage.session_id, {"Cookie": f"{VISITOR_COOKIE}={new_id()}"})

    records = [
        BehaviourRecord(
            kind="enter",
            user_id=user_id,
            visitor_id=visitor_id,
            room_id=stage.room_id,
            session_id=stage.session_id,
            value=1,
            occurred_at=at(0, second),
        )
        for second, (user_id, visitor_id) in enumerate(
            [(alice.id, None), (bob.id, None), (None, visitor), (carol.id, None)], start=5
        )
    ]
    async with runtime.db.transaction() as session:
        await insights_service.do_record_many(session, records)
    clock.freeze(at(1, 10))
    order = await place_order(client, alice, alice_address, listing, session_id=stage.session_id)
    await pay(client, alice, order["id"])
    await catch_up(runtime)

    async with runtime.db.reading() as session:
        viewers = {
            (row.user_id, row.source)
            for row in await session.scalars(
                select(DashboardViewer).where(DashboardViewer.session_id == stage.session_id)
            )
        }
        minutes = sorted(
            (row.minute.minute, row.source, row.enters, row.viewers, row.gmv_cents)
            for row in await session.scalars(
                select(DashboardSessionMinute).where(
                    DashboardSessionMinute.session_id == stage.session_id
                )
            )
        )
        days = sorted(
            (row.source, row.viewers, row.paid_orders)
            for row in await session.scalars(
                select(DashboardRoomDay).where(DashboardRoomDay.room_id == stage.room_id)
            )
        )
    assert viewers == {
        (alice.id, "feed_recommend"),
        (bob.id, "search"),
        (None, "external"),
        (carol.id, "unknown"),
    }
    assert minutes == [
        (0, "external", 1, 1, 0),
        (0, "feed_recommend", 1, 1, 0),
        (0, "search", 1, 1, 0),
        (0, "unknown", 1, 1, 0),
        (1, "feed_recommend", 0, 0, 8800),
    ]
    assert days == [
        ("external", 1, 0),
        ("feed_recommend", 1, 1),
        ("search", 1, 0),
        ("unknown", 1, 0),
    ]

    dashboard = await client.get(
        f"/api/v1/dashboards/sessions/{stage.session_id}", headers=stage.host.headers
    )
    assert dashboard.status_code == 200, dashboard.text
    body = dashboard.json()
    assert body["sources"] == [
        {"source": "external", "enters": 1, "viewers": 1, "paid_orders": 0, "gmv_cents": 0},
        {
            "source": "feed_recommend",
            "enters": 1,
            "viewers": 1,
            "paid_orders": 1,
            "gmv_cents": 8800,
        },
        {"source": "search", "enters": 1, "viewers": 1, "paid_orders": 0, "gmv_cents": 0},
        {"source": "unknown", "enters": 1, "viewers": 1, "paid_orders": 0, "gmv_cents": 0},
    ]
    # Exposures: Alice, Bob and the second browser were shown the session by the feed.
    assert body["funnel"] == [
        {"step": "exposures", "value": 3, "rate_bp": 0},
        {"step": "viewers", "value": 4, "rate_bp": 13333},
        {"step": "clickers", "value": 0, "rate_bp": 0},
        {"step": "orderers", "value": 1, "rate_bp": 0},
        {"step": "payers", "value": 1, "rate_bp": 10000},
    ]
