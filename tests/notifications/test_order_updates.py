"""Order updates (paid, shipped, refunded) reach the buyer through the same path."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.notifications.helpers import drain, notifications_of
from tests.notifications.sink import SmtpSink
from tests.orders.shop import buyer_with_address, create_listing, pay, place_order


async def test_the_buyer_hears_of_payment_shipping_and_refund_once_each(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    listing = await create_listing(client, price_cents=8900)
    buyer, address_id = await buyer_with_address(client)
    order = await place_order(client, buyer, address_id, listing)
    await pay(client, buyer, order["id"])
    shipped = await client.post(
        f"/api/v1/orders/{order['id']}/ship",
        json={"carrier": "顺丰速运", "tracking_number": "SF1234567890"},
        headers=listing.merchant.headers,
    )
    assert shipped.status_code == 200, shipped.text
    refunded = await client.post(
        f"/api/v1/orders/{order['id']}/refund", headers=listing.merchant.headers
    )
    assert refunded.status_code == 200, refunded.text
    await drain(runtime)

    rows = await notifications_of(runtime, buyer.id)
    assert [(row.template, row.category) for row in rows] == [
        ("order_paid", "order_updates"),
        ("order_shipped", "order_updates"),
        ("order_refunded", "order_updates"),
    ]
    assert {row.link for row in rows} == {f"/orders#{order['id']}"}
    short = order["id"][:8]
    assert [
        (message["Subject"], message.get_content().splitlines()[0])
        for message in smtp.to(buyer.email)
    ] == [
        ("订单已支付", f"订单 {short} 已支付，金额 ¥89.00。"),
        ("订单已发货", f"订单 {short} 已由 顺丰速运 发出，运单号 SF1234567890。"),
        ("订单已退款", f"订单 {short} 已全额退款 ¥89.00。"),
    ]
    assert await notifications_of(runtime, listing.merchant.id) == []
