"""The supplier's console: only the order's supplier acts, its merchant reads, others
see nothing; progress moves forward; partial deliveries add up to the whole."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.c2b.helpers import create_presale, drain, join_and_pay, make_world
from tests.factories import sign_up


async def test_supplier_console_permissions_progress_and_partial_deliveries(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=2, production_at_moq=True)
    await join_and_pay(client, world, sale["id"], 0, 1)
    await drain(runtime)
    assert (await client.get("/api/v1/production-orders", headers=world.supplier.headers)).json()[
        "items"
    ] == []
    await join_and_pay(client, world, sale["id"], 1, 1)
    await drain(runtime)
    # Issued the moment the MOQ was reached, for the campaign's maximum, before the deadline.
    listed = await client.get("/api/v1/production-orders", headers=world.supplier.headers)
    [order] = listed.json()["items"]
    assert (order["status"], order["units_total"], order["reason"]) == ("issued", 5, "moq_reached")
    decisions = await client.get(
        f"/api/v1/presales/{sale['id']}/decisions", headers=world.merchant.headers
    )
    [decision] = decisions.json()["items"]
    assert decision["rule"] == "production_at_moq"
    assert decision["figures"] == {"units_paid": 2, "moq": 2}

    url = f"/api/v1/production-orders/{order['id']}"
    other_supplier = await sign_up(client, "supplier")
    viewer = world.buyers[0][0]
    for account in (other_supplier, viewer):
        response = await client.get(url, headers=account.headers)
        assert (response.status_code, response.json()["code"]) == (404, "production_not_found")
        response = await client.post(f"{url}/accept", headers=account.headers)
        assert response.status_code == 404
    viewer_list = await client.get("/api/v1/production-orders", headers=viewer.headers)
    assert viewer_list.status_code == 403
    # The merchant reads but does not act for the factory.
    assert (await client.get(url, headers=world.merchant.headers)).status_code == 200
    response = await client.post(f"{url}/accept", headers=world.merchant.headers)
    assert (response.status_code, response.json()["code"]) == (403, "not_order_supplier")

    early = await client.post(
        f"{url}/deliveries", headers=world.supplier.headers, json={"units": 1}
    )
    assert (early.status_code, early.json()["code"]) == (409, "invalid_production_state")
    accepted = await client.post(f"{url}/accept", headers=world.supplier.headers)
    assert accepted.json()["status"] == "accepted"
    again = await client.post(f"{url}/decline", headers=world.supplier.headers)
    assert again.status_code == 409
    for status in ("materials", "in_production"):
        moved = await client.post(
            f"{url}/progress", headers=world.supplier.headers, json={"status": status}
        )
        assert moved.json()["status"] == status
    back = await client.post(
        f"{url}/progress", headers=world.supplier.headers, json={"status": "materials"}
    )
    assert back.status_code == 409
    part = await client.post(
        f"{url}/deliveries", headers=world.supplier.headers, json={"units": 3, "note": "第一批"}
    )
    assert (part.status_code, part.json()["units_delivered"], part.json()["status"]) == (
        201,
        3,
        "in_production",
    )
    too_many = await client.post(
        f"{url}/deliveries", headers=world.supplier.headers, json={"units": 3}
    )
    assert (too_many.status_code, too_many.json()["code"]) == (422, "c2b_delivery_too_large")
    rest = await client.post(f"{url}/deliveries", headers=world.supplier.headers, json={"units": 2})
    assert (rest.json()["units_delivered"], rest.json()["status"]) == (5, "shipped")

    # Buyers see where their item is.
    mine = await client.get("/api/v1/presales/mine", headers=viewer.headers)
    [item] = mine.json()["items"]
    assert (item["production_status"], item["units_made"], item["units_total"]) == (
        "shipped",
        5,
        5,
    )
    # At the deadline no second production order is issued.
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    listed = await client.get("/api/v1/production-orders", headers=world.merchant.headers)
    assert len(listed.json()["items"]) == 1


async def test_supplier_declines(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=1)
    await join_and_pay(client, world, sale["id"], 0, 1)
    clock.advance(timedelta(days=3, seconds=1))
    await drain(runtime)
    [order] = (
        await client.get("/api/v1/production-orders", headers=world.supplier.headers)
    ).json()["items"]
    assert (order["units_total"], order["reason"]) == (1, "deadline")
    declined = await client.post(
        f"/api/v1/production-orders/{order['id']}/decline", headers=world.supplier.headers
    )
    assert declined.json()["status"] == "declined"


async def test_factory_page_escapes_and_lists_for_supplier_and_merchant(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await make_world(client)
    sale = await create_presale(client, world, moq=1, production_at_moq=True)
    account, address_id = world.buyers[0]
    joined = await client.post(
        f"/api/v1/presales/{sale['id']}/join",
        headers=account.headers,
        json={"quantity": 1, "address_id": address_id, "customisation": {"刻字": "<b>x</b>"}},
    )
    assert joined.status_code == 201, joined.text
    from tests.orders.shop import pay

    await pay(client, account, joined.json()["order_id"])
    for who in (world.supplier, world.merchant):
        page = await client.get("/factory", headers=who.headers)
        assert page.status_code == 200
        assert "&lt;b&gt;x&lt;/b&gt;" in page.text
        assert "<b>x</b>" not in page.text
    assert "我的预售" in (await client.get("/factory", headers=world.merchant.headers)).text
    viewer = await client.get("/factory", headers=account.headers)
    assert viewer.status_code == 404
    anonymous = await client.get("/factory", follow_redirects=False)
    assert anonymous.status_code == 303
