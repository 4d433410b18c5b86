"""A viewer's profile follows what they do in rooms and buy; they can read it in plain words,
switch personalisation off and erase the history (every row, counted)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, ProductAction, RecommendList, UserProfile
from livecommerce.recommend.service import recommend_service
from tests.factories import Account
from tests.orders.shop import (
    Listing,
    buyer_with_address,
    count_rows,
    open_stage,
    pay,
    place_order,
)

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def listing(
    client: httpx.AsyncClient, merchant: Account | None, title: str, category: str, price_cents: int
) -> Listing:
    from tests.factories import sign_up

    merchant = merchant or await sign_up(client, "merchant")
    response = await client.post(
        "/api/v1/products",
        headers=merchant.headers,
        json={
            "title": title,
            "category": category,
            "currency": "CNY",
            "status": "on_sale",
            "skus": [{"spec": {"颜色": "红"}, "price_cents": price_cents, "stock": 10}],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Listing(merchant, body["id"], body["skus"][0]["id"], price_cents)


async def click(
    client: httpx.AsyncClient, viewer: Account, session_id: str, product_id: str
) -> None:
    response = await client.post(
        f"/api/v1/live-sessions/{session_id}/events",
        headers=viewer.headers,
        json={"kind": "product_click", "product_id": product_id},
    )
    assert response.status_code == 204, response.text


async def test_profile_from_clicks_and_a_paid_order_then_switched_off_and_erased(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(NOON)
    tea = await listing(client, None, "龙井", "茶叶", 12_900)
    cup = await listing(client, tea.merchant, "茶杯", "茶具", 3_900)
    stage = await open_stage(client, [tea, cup])
    viewer, address = await buyer_with_address(client, "阿茶")
    other, _ = await buyer_with_address(client, "路人")

    await click(client, viewer, stage.session_id, tea.product_id)
    await click(client, viewer, stage.session_id, cup.product_id)
    await click(client, viewer, stage.session_id, tea.product_id)
    await click(client, other, stage.session_id, cup.product_id)
    order = await place_order(client, viewer, address, tea, session_id=stage.session_id)
    await pay(client, viewer, order["id"])

    me = await client.get("/api/v1/me/profile", headers=viewer.headers)
    assert me.status_code == 200, me.text
    profile = me.json()
    # Two views (1 each) and a purchase (4) of tea, one view of a cup, all at noon.
    assert [(i["name"], i["score"]) for i in profile["interests"]] == [("茶叶", 6.0), ("茶具", 1.0)]
    assert (profile["orders_count"], profile["spent_cents"], profile["price_band"]) == (
        1,
        12_900,
        "50_200",
    )
    assert profile["active_hours"] == [12]
    assert profile["events_count"] == 4
    assert profile["personalised"] is True

    # The page says it in plain words, in the viewer's language.
    page = await client.get("/me/profile", headers={**viewer.headers, "Cookie": "lang=en"})
    assert page.status_code == 200
    zh = await client.get("/me/profile", headers=viewer.headers)
    assert "你最近常看的品类：茶叶、茶具" in zh.text
    assert "Lately you look at: 茶叶, 茶具" in page.text
    assert "You usually buy at ¥50–200" in page.text

    # Recommendations: trained, then served; switched off, only the popular list is used.
    async with runtime.db.transaction() as session:
        trained = await recommend_service.do_train(session)
    assert (trained.actions, trained.users, trained.items) == (4, 2, 2)  # same-second views: one
    off = await client.put(
        "/api/v1/me/profile/personalised", headers=viewer.headers, json={"on": False}
    )
    assert off.status_code == 200
    assert off.json()["personalised"] is False
    picks = await client.get("/api/v1/recommendations/products", headers=viewer.headers)
    assert picks.json()["personalised"] is False
    assert [p["id"] for p in picks.json()["items"]] == [cup.product_id, tea.product_id]

    async with runtime.db.transaction() as session:
        assert await session.get(RecommendList, ("user", viewer.id)) is not None
    mine = BehaviourEvent.user_id == viewer.id
    behaviour_before = await count_rows(runtime, BehaviourEvent, mine)
    assert behaviour_before == 5  # three clicks, the order and its payment
    erased = await client.delete("/api/v1/me/behaviour", headers=viewer.headers)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "product_actions": 3,  # a view of each product (the second tea view is the same
        # second: one row) and the purchase
        "behaviour_events": 5,
        "profiles": 1,
        "recommendation_lists": 1,
        "total": 10,
    }
    assert await count_rows(runtime, BehaviourEvent, mine) == 0
    assert await count_rows(runtime, ProductAction, ProductAction.user_id == viewer.id) == 0
    # The switch stays off: an empty profile keeps it.
    assert await count_rows(runtime, UserProfile, UserProfile.user_id == viewer.id) == 1
    again = (await client.get("/api/v1/me/profile", headers=viewer.headers)).json()
    assert (again["interests"], again["events_count"], again["personalised"]) == ([], 0, False)
    # Someone else's history is untouched.
    assert await count_rows(runtime, BehaviourEvent, BehaviourEvent.user_id == other.id) == 1
