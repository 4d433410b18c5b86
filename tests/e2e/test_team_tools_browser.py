"""On a 390x844 phone: the 客服 messages a buyer and requests a refund from the team tools
page, the merchant approves it in its console, and the 选品 requests a sample for the
room from the marketplace there."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_service_and_selection_at_work(live_server: LiveServer, browser: Browser) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        room_id = shop.room["id"]
        buyer = await sign_up(api, "viewer", name="阿明")
        address = await add_address(api, buyer, "阿明")
        sku_id = shop.product["skus"][0]["id"]
        order = await api.post(
            "/api/v1/orders",
            headers=buyer.headers,
            json={
                "sku_id": sku_id,
                "quantity": 1,
                "address_id": address,
                "session_id": shop.session_id,
            },
        )
        assert order.status_code == 201, order.text
        order_id = order.json()["id"]
        paying = await api.post(f"/api/v1/orders/{order_id}/pay", headers=buyer.headers)
        confirmed = await api.post(
            f"/api/v1/payments/{paying.json()['payment_id']}/sandbox-confirm",
            headers=buyer.headers,
            json={"outcome": "succeed"},
        )
        assert confirmed.status_code == 200, confirmed.text
        offer = await api.post(
            "/api/v1/mcn/offers",
            headers=shop.merchant.headers,
            json={"product_id": shop.product["id"], "commission_bp": 2000, "sample_policy": "free"},
        )
        assert offer.status_code == 201, offer.text
        staff = {}
        for role, name in (("service", "客服小李"), ("selection", "选品小张")):
            staff[role] = await sign_up(api, "viewer", name=name)
            invited = await api.post(
                f"/api/v1/rooms/{room_id}/team",
                json={"role": role, "email": staff[role].email},
                headers=shop.host.headers,
            )
            token = invited.json()["invite_url"].rsplit("/", 1)[-1]
            accepted = await api.post(
                f"/api/v1/team/invites/{token}/accept", headers=staff[role].headers
            )
            assert accepted.status_code == 200, accepted.text

    errors = PageErrors()
    context, page = await new_page(browser, errors, "team-tools", PHONE)
    try:
        await log_in(page, live_server, staff["service"], "/team")
        row = page.locator(f"[data-order-id='{order_id}']")
        await expect(row).to_be_visible()
        await row.locator("[data-action=message]").click()
        await row.locator("textarea").fill("您好，明天发货")
        await row.locator("button[type=submit]").click()
        await expect(row.locator("form")).to_have_count(0)
        await row.locator("[data-action=refund]").click()
        await row.locator("textarea").fill("买家拍错了规格")
        await row.locator("button[type=submit]").click()
        await expect(row.locator(".refund-state")).to_have_text("退款待商家处理")
        await expect(row.locator("[data-action=refund]")).to_be_hidden()
        await expect(row.locator(".team-buyer")).to_have_text("买家：阿明")
        # The confirmations are toasts over the menu's second row: checked once they left.
        await expect(page.locator(".toast")).to_have_count(0, timeout=8000)
        await check_phone_page(page, "team-tools-service-zh", "zh")
        await page.screenshot(path="/tmp/fans3-team-service-zh.png", full_page=True)
        await page.goto(f"{live_server.url}/lang/en?next=/team")
        await page.wait_for_url(f"{live_server.url}/team")
        await expect(row.locator(".refund-state")).to_have_text("Refund awaiting the merchant")
        await check_phone_page(page, "team-tools-service-en", "en")
        await page.screenshot(path="/tmp/fans3-team-service-en.png", full_page=True)
        await context.clear_cookies()

        await log_in(page, live_server, shop.merchant, "/console/merchant")
        requests = page.locator("#refund-requests li")
        await expect(requests).to_have_count(1)
        await expect(requests.first).to_contain_text("买家拍错了规格")
        await check_phone_page(page, "merchant-refunds-zh", "zh")
        await page.locator("#refunds-card").scroll_into_view_if_needed()
        await page.screenshot(path="/tmp/fans3-merchant-refunds-zh.png")
        await requests.first.locator("[data-action=approve]").click()
        await expect(requests).to_have_text(["没有待处理的退款申请"])
        await context.clear_cookies()

        await log_in(page, live_server, staff["selection"], "/team")
        offer_row = page.locator(f"[data-offer-id='{offer.json()['id']}']")
        await expect(offer_row).to_be_visible()
        await offer_row.locator("[data-action=sample]").click()
        await expect(offer_row.locator("[data-action=sample]")).to_be_hidden()
        await expect(offer_row.locator(".refund-state")).to_have_text("已为直播间申请样品")
        await expect(page.locator(".toast")).to_have_count(0, timeout=8000)
        await check_phone_page(page, "team-tools-selection-zh", "zh")
        await page.screenshot(path="/tmp/fans3-team-selection-zh.png", full_page=True)
        assert errors.errors == []
    finally:
        await context.close()

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        got = await api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)
        assert got.json()["status"] == "refunded"
        samples = await api.get("/api/v1/mcn/samples", headers=shop.merchant.headers)
        assert [s["note"] for s in samples.json()["items"]] == [""]
