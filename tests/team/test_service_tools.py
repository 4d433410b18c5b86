"""The 客服's tools and the merchant's decision: a message to a room order's buyer, a
refund request the merchant approves (the order is refunded) or declines, each once,
all in the team's log; the 选品's sample request is the room's, naming the member."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.notifications.helpers import notifications_of
from tests.orders.shop import (
    buyer_with_address,
    create_listing,
    get_order,
    open_stage,
    pay,
    place_order,
)
from tests.team.helpers import hire


async def test_refund_requests_and_buyer_messages(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=10, price_cents=5000)
    stage = await open_stage(client, [listing])
    service = await sign_up(client, name="客服小李")
    await hire(client, stage.host, stage.room_id, "service", service)
    buyer, address = await buyer_with_address(client, "买家")
    orders = []
    for _ in range(3):
        order = await place_order(client, buyer, address, listing, session_id=stage.session_id)
        orders.append(order["id"])
    for order_id in orders[:2]:
        await pay(client, buyer, order_id)
    unpaid = orders[2]
    merchant = listing.merchant.headers
    en = {**service.headers, "Accept-Language": "en"}

    sent = await client.post(
        f"/api/v1/orders/{orders[0]}/buyer-messages", json={"body": "明天发货"}, headers=en
    )
    assert sent.status_code == 201, sent.text
    (note,) = [
        n for n in await notifications_of(runtime, buyer.id) if n.template == "buyer_message"
    ]
    assert (note.category, note.params["body"], note.params["room"], note.link) == (
        "order_updates",
        "明天发货",
        "小红的直播间",
        f"/orders/{orders[0]}",
    )

    url = "/api/v1/orders/{}/refund-requests"
    asked = await client.post(url.format(orders[0]), json={"reason": "不想要了"}, headers=en)
    assert (asked.status_code, asked.json()["status"]) == (201, "pending")
    approve_id = asked.json()["id"]
    again = await client.post(url.format(orders[0]), json={}, headers=en)
    assert (again.status_code, again.json()["code"]) == (409, "refund_request_pending")
    assert again.json()["message"] == "A refund of this order is waiting for the merchant already."
    zh = await client.post(url.format(orders[0]), json={}, headers=service.headers)
    assert zh.json()["message"] == "这笔订单的退款申请正在等商家处理"
    early = await client.post(url.format(unpaid), json={}, headers=en)
    assert (early.status_code, early.json()["code"]) == (409, "invalid_order_state")
    declined = await client.post(url.format(orders[1]), json={}, headers=en)
    decline_id = declined.json()["id"]

    pending = await client.get("/api/v1/refund-requests?status=pending", headers=merchant)
    assert [(r["order_id"], r["reason"]) for r in pending.json()["items"]] == [
        (orders[1], ""),
        (orders[0], "不想要了"),
    ]
    stranger = await create_listing(client)
    refused = await client.post(
        f"/api/v1/refund-requests/{approve_id}/approve", headers=stranger.merchant.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_order_merchant")
    by_service = await client.post(
        f"/api/v1/refund-requests/{approve_id}/approve", headers=service.headers
    )
    assert by_service.status_code == 403

    approved = await client.post(f"/api/v1/refund-requests/{approve_id}/approve", headers=merchant)
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    twice = await client.post(f"/api/v1/refund-requests/{approve_id}/decline", headers=merchant)
    assert (twice.status_code, twice.json()["code"]) == (409, "refund_request_decided")
    no = await client.post(f"/api/v1/refund-requests/{decline_id}/decline", headers=merchant)
    assert (no.status_code, no.json()["status"]) == (200, "declined")
    missing = await client.post("/api/v1/refund-requests/nope/approve", headers=merchant)
    assert (missing.status_code, missing.json()["code"]) == (404, "refund_request_not_found")
    statuses = [(await get_order(client, buyer, o))["status"] for o in orders]
    assert statuses == ["refunded", "paid", "pending_payment"]
    # A new request once the last one was declined.
    retry = await client.post(url.format(orders[1]), json={}, headers=en)
    assert retry.status_code == 201

    room_view = await client.get(
        f"/api/v1/rooms/{stage.room_id}/refund-requests", headers=service.headers
    )
    assert [r["status"] for r in room_view.json()["items"]] == ["pending", "declined", "approved"]
    me = await client.get("/api/v1/me", headers=merchant)
    merchant_name = me.json()["display_name"]
    log = await client.get(f"/api/v1/rooms/{stage.room_id}/team/log", headers=stage.host.headers)
    assert sorted(
        (i["display_name"], i["role"], i["action"], i["target"]) for i in log.json()["items"]
    ) == sorted(
        [
            ("客服小李", "service", "message_buyer", orders[0]),
            ("客服小李", "service", "refund_request", orders[0]),
            ("客服小李", "service", "refund_request", orders[1]),
            ("客服小李", "service", "refund_request", orders[1]),
            (merchant_name, "merchant", "refund_approve", orders[0]),
            (merchant_name, "merchant", "refund_decline", orders[1]),
        ]
    )


async def test_a_selection_member_requests_samples_for_the_room(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    stage = await open_stage(client, [listing])
    selection = await sign_up(client, name="选品小张")
    await hire(client, stage.host, stage.room_id, "selection", selection)
    product = await create_listing(client, title="新品")
    offer = await client.post(
        "/api/v1/mcn/offers",
        json={"product_id": product.product_id, "commission_bp": 2000, "sample_policy": "free"},
        headers=product.merchant.headers,
    )
    offer_id = offer.json()["id"]
    browse = await client.get(
        "/api/v1/mcn/offers", params={"room_id": stage.room_id}, headers=selection.headers
    )
    assert [item["id"] for item in browse.json()["items"]] == [offer_id]
    alone = await client.get("/api/v1/mcn/offers", headers=selection.headers)
    assert (alone.status_code, alone.json()["code"]) == (403, "role_required")
    asked = await client.post(
        f"/api/v1/mcn/offers/{offer_id}/samples",
        json={"note": "试播", "room_id": stage.room_id},
        headers=selection.headers,
    )
    assert (asked.status_code, asked.json()["requester_id"]) == (201, stage.host.id)
    twice = await client.post(
        f"/api/v1/mcn/offers/{offer_id}/samples",
        json={"room_id": stage.room_id},
        headers=stage.host.headers,
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "sample_already_requested")
    incoming = await client.get("/api/v1/mcn/samples", headers=product.merchant.headers)
    assert [(s["requester_name"], s["note"]) for s in incoming.json()["items"]] == [
        ("主播小红", "试播")
    ]
    log = await client.get(f"/api/v1/rooms/{stage.room_id}/team/log", headers=stage.host.headers)
    assert [(i["display_name"], i["action"], i["target"]) for i in log.json()["items"]] == [
        ("选品小张", "sample_request", offer_id)
    ]
