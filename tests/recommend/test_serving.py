"""Serving: a signed-out viewer gets popular goods, a room's audience is a profile shown to
its host only, a host's selection fits its audience, rooms follow favourite hosts."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from livecommerce.recommend.service import recommend_service
from tests.factories import sign_up
from tests.fans.helpers import join, record
from tests.orders.shop import buyer_with_address, open_stage, pay, place_order
from tests.profiles.test_profile_flow import click, listing


async def test_audiences_selection_and_rooms(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tea = await listing(client, None, "龙井", "茶叶", 12_900)
    stage = await open_stage(client, [tea])
    market = await listing(client, None, "白茶", "茶叶", 8_800)  # another merchant's tea
    await listing(client, market.merchant, "雨伞", "雨具", 5_000)

    # Before any training or history: the newest on sale, for anyone.
    anonymous = await client.get("/api/v1/recommendations/products?limit=2")
    assert anonymous.status_code == 200, anonymous.text
    assert [p["title"] for p in anonymous.json()["items"]] == ["雨伞", "白茶"]

    buyer, address = await buyer_with_address(client, "老茶客")
    fan = await sign_up(client, "viewer", name="茶粉")
    where = {"room_id": stage.room_id, "session_id": stage.session_id}
    for viewer in (buyer, fan):
        await record(runtime, "enter", viewer, value=1, **where)
        await click(client, viewer, stage.session_id, tea.product_id)
    await join(client, fan, stage.room_id)
    order = await place_order(client, buyer, address, tea, session_id=stage.session_id)
    await pay(client, buyer, order["id"])

    audience = await client.get(
        f"/api/v1/rooms/{stage.room_id}/audience", headers=stage.host.headers
    )
    assert audience.status_code == 200, audience.text
    assert audience.json() == {
        "size": 2,
        "interests": [{"name": "茶叶", "score": 1.0}],
        "price_bands": {"50_200": 1},
        "new": 1,
        "returning": 1,
        "fans": 1,
    }
    denied = await client.get(f"/api/v1/rooms/{stage.room_id}/audience", headers=fan.headers)
    assert denied.status_code == 403
    assert denied.json()["code"] == "not_room_host"

    product_audience = await client.get(
        f"/api/v1/products/{tea.product_id}/audience", headers=tea.merchant.headers
    )
    assert (product_audience.json()["size"], product_audience.json()["returning"]) == (2, 1)

    # 选品: the host's audience likes tea, so the teas come before the umbrella.
    selection = await client.get("/api/v1/recommendations/selection", headers=stage.host.headers)
    assert selection.status_code == 200, selection.text
    titles = [p["title"] for p in selection.json()["items"]]
    assert sorted(titles[:2]) == sorted(["龙井", "白茶"])
    assert titles[2:] == ["雨伞"]

    rooms = await client.get("/api/v1/recommendations/rooms", headers=fan.headers)
    assert [room["room_id"] for room in rooms.json()["items"]] == [stage.room_id]

    async with runtime.db.transaction() as session:
        await recommend_service.do_train(session)
    mine = await client.get("/api/v1/recommendations/products?limit=3", headers=fan.headers)
    assert mine.json()["personalised"] is True
    # Tea first (the fan's own interest), then the rest on sale.
    assert [p["title"] for p in mine.json()["items"]] == ["龙井", "白茶", "雨伞"]
    # Served from the trained list, but only what is on sale at the moment of asking.
    off = await client.post(
        f"/api/v1/products/{tea.product_id}/status",
        json={"status": "off_sale"},
        headers=tea.merchant.headers,
    )
    assert off.status_code == 200, off.text
    mine = await client.get("/api/v1/recommendations/products?limit=3", headers=fan.headers)
    assert [p["title"] for p in mine.json()["items"]] == ["白茶", "雨伞"]
    unknown = await client.get("/api/v1/products/nope/also")
    assert unknown.status_code == 404


async def test_training_with_no_behaviour_yet_stores_nothing_and_fails_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.db.transaction() as session:
        trained = await recommend_service.do_train(session)
        assert (trained.actions, trained.users, trained.items) == (0, 0, 0)
        assert await recommend_service.do_train_if_due(session) is None
    viewer = await sign_up(client, "viewer")
    picks = await client.get("/api/v1/recommendations/products", headers=viewer.headers)
    assert picks.status_code == 200
    assert picks.json() == {"items": [], "personalised": True}
