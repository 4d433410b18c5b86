"""A host's message to the buyers of one product sold in its room: exactly those who paid
for it there, the choices of products, and a product never sold there refused."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.notifications.helpers import drain, notifications_of
from tests.orders.shop import buyer_with_address, create_listing, open_stage, pay, place_order


async def test_buyers_of_one_product(client: httpx.AsyncClient, runtime: Runtime) -> None:
    scarf = await create_listing(client, stock=10, title="羊毛围巾")
    hat = await create_listing(client, merchant=scarf.merchant, stock=10, title="毛线帽")
    elsewhere = await create_listing(client, stock=10, title="别家商品")
    stage = await open_stage(client, [scarf, hat])
    other = await open_stage(client, [elsewhere])
    both, both_address = await buyer_with_address(client, "都买了")
    scarf_only, scarf_address = await buyer_with_address(client, "只买围巾")
    unpaid, unpaid_address = await buyer_with_address(client, "没付款")
    for buyer, address, listing in (
        (both, both_address, scarf),
        (both, both_address, hat),
        (scarf_only, scarf_address, scarf),
    ):
        order = await place_order(client, buyer, address, listing, session_id=stage.session_id)
        await pay(client, buyer, order["id"])
    await place_order(client, unpaid, unpaid_address, hat, session_id=stage.session_id)
    order = await place_order(
        client, unpaid, unpaid_address, elsewhere, session_id=other.session_id
    )
    await pay(client, unpaid, order["id"])
    await drain(runtime)
    host = stage.host.headers
    url = f"/api/v1/rooms/{stage.room_id}/fan-messages"

    products = await client.get(f"{url}/products", headers=host)
    assert products.status_code == 200, products.text
    assert [(p["product_id"], p["title"], p["buyers"]) for p in products.json()["items"]] == [
        (scarf.product_id, "羊毛围巾", 2),
        (hat.product_id, "毛线帽", 1),
    ]
    refused = await client.get(f"{url}/products", headers=both.headers)
    assert refused.status_code == 403

    target = {"audience": "product_buyers", "product_id": hat.product_id}
    preview = await client.post(f"{url}/preview", json=target, headers=host)
    assert (preview.status_code, preview.json()["audience"]) == (200, 1)
    sent = await client.post(
        url, json={**target, "title": "帽子", "body": "加绒款到了"}, headers=host
    )
    assert (sent.status_code, sent.json()["audience"], sent.json()["delivered"]) == (200, 1, 1)
    await drain(runtime)
    titles = {
        name: [
            n.params["title"]
            for n in await notifications_of(runtime, account.id)
            if n.template == "message"
        ]
        for name, account in (("both", both), ("scarf", scarf_only), ("unpaid", unpaid))
    }
    assert titles == {"both": ["帽子"], "scarf": [], "unpaid": []}

    for body, code, status in (
        ({"audience": "product_buyers"}, "fan_segment_product_required", 422),
        (
            {"audience": "product_buyers", "product_id": elsewhere.product_id},
            "fan_segment_product_not_sold",
            404,
        ),
    ):
        response = await client.post(
            f"{url}/preview", json=body, headers={**host, "Accept-Language": "en"}
        )
        assert (response.status_code, response.json()["code"]) == (status, code)
    zh = await client.post(
        f"{url}/preview",
        json={"audience": "product_buyers", "product_id": elsewhere.product_id},
        headers={**host, "Accept-Language": "zh-CN"},
    )
    assert zh.json()["message"] == "这件商品没有在这个直播间卖出过"
