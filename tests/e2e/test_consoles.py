"""The host pins another product from the console; the merchant ships from theirs."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import DESKTOP, PHONE, PageErrors, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e


async def test_host_pins_another_product_and_merchant_ships_the_order(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        second = await api.post(
            "/api/v1/products",
            headers=shop.merchant.headers,
            json={
                "title": "玫瑰精华水",
                "currency": "CNY",
                "status": "on_sale",
                "skus": [{"spec": {"规格": "200ml"}, "price_cents": 12900, "stock": 3}],
            },
        )
        assert second.status_code == 201, second.text
        added = await api.post(
            f"/api/v1/live-sessions/{shop.session_id}/showcase",
            headers=shop.host.headers,
            json={"product_id": second.json()["id"]},
        )
        assert added.status_code == 201, added.text
        buyer = await sign_up(api, "viewer", name="小林")
        address_id = await add_address(api, buyer, "小林")
        order = await api.post(
            "/api/v1/orders",
            headers=buyer.headers,
            json={
                "sku_id": shop.product["skus"][0]["id"],
                "quantity": 2,
                "address_id": address_id,
                "session_id": shop.session_id,
            },
        )
        assert order.status_code == 201, order.text
        order_id = order.json()["id"]
        payment = await api.post(f"/api/v1/orders/{order_id}/pay", headers=buyer.headers)
        confirmed = await api.post(
            f"/api/v1/payments/{payment.json()['payment_id']}/sandbox-confirm",
            headers=buyer.headers,
            json={"outcome": "succeed"},
        )
        assert confirmed.status_code == 200, confirmed.text

    errors = PageErrors()
    room_path = f"/live/{shop.session_id}"
    console_path = f"/console/host/sessions/{shop.session_id}"
    host_context, host_page = await new_page(browser, errors, "host", DESKTOP)
    viewer_context, viewer_page = await new_page(browser, errors, "viewer", PHONE)
    merchant_context, merchant_page = await new_page(browser, errors, "merchant", DESKTOP)
    try:
        await viewer_page.goto(live_server.url + room_path)
        await expect(viewer_page.locator("body")).to_have_attribute("data-realtime", "ready")
        await expect(viewer_page.locator("#pinned .pinned-title")).to_have_text("山茶花保湿面霜")

        # The host pins the second product from the session console.
        await log_in(host_page, live_server, shop.host, console_path)
        pin_path = f"/api/v1/live-sessions/{shop.session_id}/pin"
        async with host_page.expect_response(
            lambda response: response.url.endswith(pin_path) and response.request.method == "POST"
        ) as pinned:
            await host_page.click(f"[data-pin='{added.json()['id']}']")
        assert (await pinned.value).status == 200, await (await pinned.value).text()
        await expect(viewer_page.locator("#pinned .pinned-title")).to_have_text("玫瑰精华水")
        await expect(host_page.locator(f"[data-pin='{added.json()['id']}']")).to_have_text(
            "取消讲解"
        )

        # The merchant ships the paid order with a carrier and a tracking number.
        await log_in(merchant_page, live_server, shop.merchant, "/console/merchant")
        card = merchant_page.locator(f".order-card[data-order-id='{order_id}']")
        await expect(card).to_be_visible()
        await card.locator("input[name=carrier]").fill("顺丰速运")
        await card.locator("input[name=tracking_number]").fill("SF1234567890")
        await card.locator(".ship-form button[type=submit]").click()
        await expect(card).to_be_hidden()  # the list shows paid orders; this one left it
    finally:
        await host_context.close()
        await viewer_context.close()
        await merchant_context.close()

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shipped = (await api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)).json()
        assert (shipped["status"], shipped["carrier"], shipped["tracking_number"]) == (
            "shipped",
            "顺丰速运",
            "SF1234567890",
        )
        detail = (await api.get(f"/api/v1/live-sessions/{shop.session_id}")).json()
        assert detail["pinned"]["id"] == added.json()["id"]
    assert errors.errors == [], errors.errors
