"""What the merchant's console pages stand on: pre-sales of several variants with
per-variant production orders, editing an open pre-sale, errors that name their field,
the demand table with the profile of the people asking, the rules and their log, and
throttled progress broadcasts."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from livecommerce.c2b.progress import ProgressThrottle
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ProductionOrder
from livecommerce.web import c2b_pages
from tests.c2b.helpers import (
    campaign,
    check_books,
    create_presale,
    drain,
    join,
    make_world,
    rows,
)
from tests.factories import sign_up
from tests.orders.shop import Recorder, create_listing, open_stage, pay, wait_for


async def add_sku(client: httpx.AsyncClient, world: Any, colour: str) -> str:
    response = await client.post(
        f"/api/v1/products/{world.listing.product_id}/skus",
        headers=world.merchant.headers,
        json={"spec": {"颜色": colour}, "price_cents": 12900, "stock": 0},
    )
    assert response.status_code == 201, response.text
    sku_id: str = response.json()["id"]
    return sku_id


async def test_several_variants_order_production_per_variant(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client, buyers=4)
    blue = await add_sku(client, world, "雾蓝")
    green = await add_sku(client, world, "墨绿")
    sale = await create_presale(
        client,
        world,
        sku_id=blue,
        more_sku_ids=[green, blue],
        moq=3,
        max_units=10,
        production_at_moq=True,
        customisation_fields=[{"name": "刻字", "max_length": 10}],
    )
    assert sale["sku_ids"] == [blue, green]
    assert [variant["label"] for variant in sale["variants"]] == ["雾蓝", "墨绿"]
    # With several variants the buyer chooses one; another product's SKU is refused.
    missing = await join(client, world, sale["id"], 0, expect=422)
    assert (missing["code"], missing["details"]["field"]) == ("c2b_variant_required", "sku_id")
    account, address = world.buyers[0]
    foreign = await client.post(
        f"/api/v1/presales/{sale['id']}/join",
        headers=account.headers,
        json={"quantity": 1, "address_id": address, "sku_id": world.listing.sku_id},
    )
    assert foreign.json()["code"] == "c2b_bad_variant"

    async def pledge(buyer: int, sku_id: str, quantity: int, text: str) -> None:
        account, address = world.buyers[buyer]
        joined = await client.post(
            f"/api/v1/presales/{sale['id']}/join",
            headers=account.headers,
            json={
                "quantity": quantity,
                "address_id": address,
                "sku_id": sku_id,
                "customisation": {"刻字": text},
            },
        )
        assert joined.status_code == 201, joined.text
        assert joined.json()["pledge"]["sku_id"] == sku_id
        await pay(client, account, joined.json()["order_id"])

    await pledge(0, blue, 2, "阿明")
    await pledge(1, green, 1, "小红")  # the MOQ: production now, per variant
    await drain(runtime)
    [first] = await rows(runtime, ProductionOrder, ProductionOrder.campaign_id == sale["id"])
    assert [(line["sku_id"], line["quantity"]) for line in first.lines] == [(blue, 2), (green, 1)]
    assert [line["variant"] for line in first.lines] == ["雾蓝", "墨绿"]
    assert {item["variant"] for item in first.customisations} == {"雾蓝", "墨绿"}
    decisions = await client.get(
        f"/api/v1/presales/{sale['id']}/decisions", headers=world.merchant.headers
    )
    assert [d["rule"] for d in decisions.json()["items"]] == ["production_at_moq"]

    await pledge(2, green, 3, "阿强")  # after the first order: a top-up at the deadline
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "succeeded"
    orders = await rows(runtime, ProductionOrder, ProductionOrder.campaign_id == sale["id"])
    assert len(orders) == 2
    top_up = next(order for order in orders if order.id != first.id)
    assert [(line["sku_id"], line["quantity"]) for line in top_up.lines] == [(green, 3)]
    assert [item["fields"] for item in top_up.customisations] == [{"刻字": "阿强"}]
    # The balance order is for the variant the buyer chose.
    await check_books(runtime, sale["id"])
    mine = (await client.get("/api/v1/presales/mine", headers=world.buyers[2][0].headers)).json()
    assert mine["items"][0]["pledge"]["sku_id"] == green


async def test_one_variant_at_the_moq_orders_the_maximum_and_later_customisations(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client, buyers=3)
    sale = await create_presale(client, world, moq=1, max_units=5, production_at_moq=True)
    first = await join(client, world, sale["id"], 0, customisation={"刻字": "一"})
    await pay(client, world.buyers[0][0], first["order_id"])
    later = await join(client, world, sale["id"], 1, customisation={"刻字": "二"})
    await pay(client, world.buyers[1][0], later["order_id"])
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    [order] = await rows(runtime, ProductionOrder, ProductionOrder.campaign_id == sale["id"])
    assert order.units_total == 5
    assert [item["fields"]["刻字"] for item in order.customisations] == ["一", "二"]


async def test_merchant_edits_an_open_presale_until_buyers_fix_its_terms(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client, buyers=2)
    sale = await create_presale(client, world, moq=3, max_units=5)
    url = f"/api/v1/presales/{sale['id']}"
    headers = world.merchant.headers
    later = (utcnow() + timedelta(days=5)).isoformat()
    edited = await client.patch(
        url,
        headers=headers,
        json={"title": "刻字保温杯 二代", "price_cents": 11000, "max_units": 8, "deadline": later},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["price_cents"], body["max_units"]) == ("刻字保温杯 二代", 11000, 8)
    # Only the merchant of the pre-sale edits it.
    other = await sign_up(client, "merchant")
    assert (await client.patch(url, headers=other.headers, json={"moq": 2})).status_code == 404
    # Errors name the field they are about, in the caller's language.
    bad = await client.patch(url, headers={**headers, "Accept-Language": "zh-CN"}, json={"moq": 9})
    assert bad.status_code == 422
    assert bad.json()["details"]["field"] == "moq"
    assert bad.json()["message"] == "起订量至少为 1 且不超过上限"
    past = (utcnow() - timedelta(hours=1)).isoformat()
    dates = await client.patch(url, headers=headers, json={"deadline": past})
    assert (dates.json()["code"], dates.json()["details"]["field"]) == ("c2b_bad_dates", "deadline")
    unknown = await client.patch(url, headers=headers, json={"stock": 3})
    assert unknown.status_code == 422

    joined = await join(client, world, sale["id"], 0, 2)
    await pay(client, world.buyers[0][0], joined["order_id"])
    locked = await client.patch(url, headers=headers, json={"price_cents": 9000})
    assert locked.status_code == 409
    assert (locked.json()["code"], locked.json()["details"]["field"]) == (
        "c2b_terms_locked",
        "price_cents",
    )
    below = await client.patch(url, headers=headers, json={"max_units": 1})
    assert (below.json()["code"], below.json()["details"]) == (
        "c2b_max_below_booked",
        {"field": "max_units", "booked": 2},
    )
    # What stays editable still is: the moved deadline decides at its own time.
    assert (await client.patch(url, headers=headers, json={"max_units": 6})).status_code == 200
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "open"
    clock.advance(timedelta(days=2))
    await drain(runtime)
    assert (await campaign(client, sale["id"]))["status"] == "failed"
    closed = await client.patch(url, headers=headers, json={"title": "x"})
    assert (closed.status_code, closed.json()["code"]) == (409, "campaign_closed")
    await check_books(runtime, sale["id"])


async def test_create_errors_name_their_field_and_supplier_by_email(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world(client, buyers=0)
    bad = await create_presale(client, world, moq=9, max_units=5, expect=422)
    assert bad["details"]["field"] == "moq"
    bad = await create_presale(client, world, supplier_email="nobody@example.com", expect=422)
    assert (bad["code"], bad["details"]["field"]) == ("c2b_not_supplier", "supplier_email")
    bad = await create_presale(client, world, session_id="nosuchsession", expect=422)
    assert (bad["code"], bad["details"]["field"]) == ("c2b_unknown_session", "session_id")
    bad = await create_presale(client, world, more_sku_ids=["nosuchsku"], expect=422)
    assert (bad["code"], bad["details"]["field"]) == ("c2b_bad_variant", "sku_ids")
    bad = await create_presale(client, world, moq="ten", expect=422)
    assert bad["details"]["errors"][0]["field"] == "moq"
    made = await create_presale(
        client, world, supplier_id=None, supplier_email=world.supplier.email.upper()
    )
    assert made["supplier_id"] == world.supplier.id
    listed = await client.get(f"/api/v1/presales?merchant_id={world.merchant.id}")
    assert [item["id"] for item in listed.json()["items"]] == [made["id"]]


async def test_demand_table_with_the_profile_of_the_people_asking(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client, title="保温杯")
    other = await create_listing(client, title="围巾")
    stage = await open_stage(client, [listing])
    viewers = [await sign_up(client) for _ in range(5)]
    url = f"/api/v1/products/{listing.product_id}/demand"
    for index, viewer in enumerate(viewers):
        body: dict[str, Any] = {"variant": "雾蓝", "price_willing_cents": 10000 + index * 1000}
        if index < 3:
            body["session_id"] = stage.session_id
        assert (await client.post(url, headers=viewer.headers, json=body)).status_code == 201
    await client.post(url, headers=viewers[0].headers, json={"variant": "樱花粉", "proposed": True})
    await client.post(
        f"/api/v1/products/{other.product_id}/demand",
        headers=viewers[0].headers,
        json={"variant": "红"},
    )
    # One of the five does not allow personalisation: four are described.
    off = await client.put(
        "/api/v1/me/profile/personalised", headers=viewers[4].headers, json={"on": False}
    )
    assert off.status_code == 200, off.text

    table = await client.get("/api/v1/c2b/demand", headers=listing.merchant.headers)
    assert table.status_code == 200, table.text
    data = table.json()
    assert data["scope"] == "products"
    [top, proposed] = data["items"]
    assert (top["product_title"], top["variant"], top["votes"], top["priced"]) == (
        "保温杯",
        "雾蓝",
        5,
        5,
    )
    assert top["average_price_cents"] == 12000
    assert (top["profiled"], top["audience"]["size"], top["audience"]["new"]) == (4, 4, 4)
    assert (proposed["variant"], proposed["proposed"], proposed["audience"]) == (
        "樱花粉",
        True,
        None,
    )
    # Paging by cursor walks the same rows.
    first = (
        await client.get("/api/v1/c2b/demand?limit=1", headers=listing.merchant.headers)
    ).json()
    second = (
        await client.get(
            f"/api/v1/c2b/demand?limit=1&cursor={first['next_cursor']}",
            headers=listing.merchant.headers,
        )
    ).json()
    assert [first["items"][0]["variant"], second["items"][0]["variant"]] == ["雾蓝", "樱花粉"]
    assert second["next_cursor"] is None
    # The host sees what was asked in the room: three votes.
    room = (await client.get("/api/v1/c2b/demand", headers=stage.host.headers)).json()
    assert room["scope"] == "room"
    assert [(row["variant"], row["votes"]) for row in room["items"]] == [("雾蓝", 3)]
    assert room["items"][0]["audience"]["size"] == 3
    viewer_try = await client.get("/api/v1/c2b/demand", headers=viewers[0].headers)
    assert viewer_try.status_code == 403
    no_room = await client.get("/api/v1/c2b/demand?scope=room", headers=other.merchant.headers)
    assert no_room.status_code == 404


async def test_rules_list_their_switches_and_the_log_its_figures(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world(client, buyers=1)
    url = f"/api/v1/products/{world.listing.product_id}/c2b-rules"
    headers = world.merchant.headers
    incomplete = await client.put(
        url, headers=headers, json={"kind": "reorder", "params": {"forecast_units": 5}}
    )
    assert (incomplete.json()["code"], incomplete.json()["details"]["field"]) == (
        "c2b_rule_incomplete",
        "params.supplier_id",
    )
    bad = await client.put(
        url,
        headers=headers,
        json={
            "kind": "reorder",
            "params": {"forecast_units": "lots", "supplier_id": world.supplier.id},
        },
    )
    assert (bad.json()["code"], bad.json()["details"]["field"]) == (
        "c2b_bad_rule_param",
        "params.forecast_units",
    )
    not_supplier = await client.put(
        url,
        headers=headers,
        json={"kind": "reorder", "params": {"forecast_units": 5, "supplier_id": world.merchant.id}},
    )
    assert not_supplier.json()["details"]["field"] == "params.supplier_id"
    saved = await client.put(
        url,
        headers=headers,
        json={
            "kind": "auto_launch",
            "enabled": False,
            "params": {
                "threshold": "2",
                "sku_id": world.listing.sku_id,
                "price_cents": 9900,
                "moq": 2,
                "max_units": 4,
                "days": 3,
            },
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["params"]["threshold"] == 2
    listed = (await client.get("/api/v1/c2b-rules", headers=headers)).json()
    assert [(rule["kind"], rule["enabled"]) for rule in listed["items"]] == [("auto_launch", False)]
    # Switched off, the rule does nothing; switched on, it launches and logs why.
    viewers = [await sign_up(client) for _ in range(2)]
    demand = f"/api/v1/products/{world.listing.product_id}/demand"
    await client.post(demand, headers=viewers[0].headers, json={"variant": "红"})
    assert (await client.get("/api/v1/c2b-decisions", headers=headers)).json()["items"] == []
    rule = listed["items"][0]
    on = await client.put(
        url,
        headers=headers,
        json={"kind": "auto_launch", "enabled": True, "params": rule["params"]},
    )
    assert on.json()["enabled"] is True
    await client.post(demand, headers=viewers[1].headers, json={"variant": "红"})
    log = (await client.get("/api/v1/c2b-decisions", headers=headers)).json()
    [decision] = log["items"]
    assert (decision["rule"], decision["decision"]) == ("auto_launch", "launched_presale")
    assert decision["figures"] == {"variant": "红", "votes": 2, "threshold": 2}
    viewer = await client.get("/api/v1/c2b-decisions", headers=viewers[0].headers)
    assert viewer.status_code == 403


class FakeBroker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))


class FakeRuntime:
    def __init__(self) -> None:
        self.broker = FakeBroker()
        self.extras: dict[str, Any] = {}


async def test_a_burst_of_progress_gives_one_message_a_second_and_the_last_state() -> None:
    runtime = FakeRuntime()
    current = {"booked": 0}
    now = [100.0]  # the throttle's clock, moved by hand

    async def read(_runtime: Any, campaign_id: str) -> dict[str, Any]:
        return {"type": "presale_progress", "campaign_id": campaign_id, **current}

    throttle = ProgressThrottle(
        runtime,  # type: ignore[arg-type]
        read,
        interval_s=0.01,
        clock=lambda: now[0],
    )
    for booked in range(1, 21):
        current["booked"] = booked
        await throttle.offer("s1", {"campaign_id": "c1", "booked": booked})
    await throttle.offer("s1", {"campaign_id": "c2", "booked": 1})
    assert [m["booked"] for _, m in runtime.broker.sent] == [1, 1]  # first of each, at once
    await throttle.flush()
    sent = [(m["campaign_id"], m["booked"]) for _, m in runtime.broker.sent]
    assert sent == [("c1", 1), ("c2", 1), ("c1", 20)]
    # Another process moved the campaign meanwhile: the trailing message reads it again.
    now[0] += 1.0
    await throttle.offer("s1", {"campaign_id": "c1", "booked": 21})
    await throttle.offer("s1", {"campaign_id": "c1", "booked": 22})
    current["booked"] = 25
    await throttle.flush()
    assert [m["booked"] for _, m in runtime.broker.sent[-2:]] == [21, 25]


async def test_the_room_hears_pledges_throttled_and_ends_on_the_last_state(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client, buyers=4)
    stage = await open_stage(client, [world.listing])
    recorder = Recorder()
    await runtime.broker.subscribe(live_channel(stage.session_id), recorder)
    sale = await create_presale(client, world, session_id=stage.session_id, max_units=10)
    for buyer in range(4):
        await join(client, world, sale["id"], buyer)
    await wait_for(recorder, 1)
    await runtime.extras["c2b.progress"].flush()
    for _ in range(100):  # the broker delivers the trailing message
        progress = [m for m in recorder.messages if m["type"] == "presale_progress"]
        if progress[-1]["reserved"] == 4:
            break
        await asyncio.sleep(0.05)
    assert progress[-1]["reserved"] == 4


def page_data(response: httpx.Response) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="lc-page">(.*?)</script>', response.text)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


async def test_console_pages_are_the_merchants_and_the_demand_table_also_hosts(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world(client, buyers=0)
    sale = await create_presale(client, world)
    host = await sign_up(client, "host")
    viewer = await sign_up(client)
    pages = [
        "/console/presales",
        f"/console/presales/new?product_id={world.listing.product_id}&variant=雾蓝",
        f"/console/presales/{sale['id']}/edit",
        "/console/demand",
    ]
    for path in pages:
        anonymous = await client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303, path
        mine = await client.get(path, headers=world.merchant.headers)
        assert mine.status_code == 200, path
        expected = 200 if path == "/console/demand" else 404
        assert (await client.get(path, headers=host.headers)).status_code == expected, path
        assert (await client.get(path, headers=viewer.headers)).status_code == 404, path
    form = page_data(await client.get(pages[1], headers=world.merchant.headers))
    assert form["prefill"] == {"product_id": world.listing.product_id, "variant": "雾蓝"}
    assert [sku["id"] for sku in form["products"][0]["skus"]] == [world.listing.sku_id]
    other = await sign_up(client, "merchant")
    foreign = await client.get(f"/console/presales/{sale['id']}/edit", headers=other.headers)
    assert foreign.status_code == 404
    # Another merchant's product is not offered even when named.
    named = page_data(await client.get(pages[1], headers=other.headers))
    assert named["products"] == []


async def test_the_presale_form_finds_an_older_product_by_its_title(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(c2b_pages, "PRODUCTS_IN_FORM", 2)
    merchant = await sign_up(client, "merchant")
    oldest = await create_listing(client, merchant=merchant, title="老款保温杯")
    for title in ("新款围巾", "新款手套"):
        await create_listing(client, merchant=merchant, title=title)
    listed = await client.get("/console/presales/new", headers=merchant.headers)
    assert [p["title"] for p in page_data(listed)["products"]] == ["新款手套", "新款围巾"]
    assert 'id="product-search-capped"' in listed.text
    found = await client.get("/console/presales/new?q=保温", headers=merchant.headers)
    assert [p["id"] for p in page_data(found)["products"]] == [oldest.product_id]
    assert 'value="保温"' in found.text
    none = await client.get(
        "/console/presales/new?q=%3Cb%3E&variant=雾蓝", headers=merchant.headers
    )
    assert page_data(none)["products"] == []
    assert "没有标题含「&lt;b&gt;」的商品" in none.text
    assert 'name="variant" value="雾蓝"' in none.text
    # Another merchant's products never match.
    other = await sign_up(client, "merchant")
    theirs = await client.get("/console/presales/new?q=保温", headers=other.headers)
    assert page_data(theirs)["products"] == []
