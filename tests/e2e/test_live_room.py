"""Two viewers in real Chromium: chat crosses between them, one buys and the other sees it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import DESKTOP, PHONE, PageErrors, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import Account, sign_up
from tests.web.scenario import LiveShop, add_address, build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_two_viewers_chat_and_one_buys_the_pinned_product(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer_a = await sign_up(api, "viewer", name="阿明")
        viewer_b = await sign_up(api, "viewer", name="小红")
        await add_address(api, viewer_a, "阿明")
        await add_address(api, viewer_b, "小红")

    errors = PageErrors()
    room_path = f"/live/{shop.session_id}"
    context_a, page_a = await new_page(browser, errors, "A", DESKTOP)
    context_b, page_b = await new_page(browser, errors, "B", PHONE)
    try:
        await log_in(page_a, live_server, viewer_a, room_path)
        await log_in(page_b, live_server, viewer_b, room_path)
        for page in (page_a, page_b):
            await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
            await expect(page.locator("#pinned .pinned-title")).to_have_text("山茶花保湿面霜")
            await expect(page.locator("#state-banner")).to_be_hidden()

        # A chats; B sees it (and A sees their own line).
        await page_a.fill("#chat-input", "这个面霜适合干皮吗？")
        await page_a.press("#chat-input", "Enter")
        line_on_b = page_b.locator("#chat-list .chat-item", has_text="这个面霜适合干皮吗？")
        await expect(line_on_b).to_have_count(1)
        await expect(line_on_b.locator(".chat-name")).to_have_text("阿明")
        await expect(page_a.locator("#chat-list .chat-mine .chat-text")).to_have_text(
            "这个面霜适合干皮吗？"
        )
        # Likes are aggregated by the server and come back as the room's total.
        await page_a.click("#like-button")
        await page_a.click("#like-button")
        await expect(page_a.locator("#likes-text")).to_have_text("2 赞")
        await expect(page_b.locator("#like-count")).to_have_text("2")
        await shot(page_a, "live-room-desktop")
        await shot(page_b, "live-room-phone")

        # B buys the pinned product: choose the SKU, keep the default address, place it.
        await page_b.click("#pinned [data-buy]")
        sheet = page_b.locator(".sheet")
        await expect(sheet).to_be_visible()
        await expect(sheet.locator(".address-option")).to_have_count(1)
        await expect(page_b.locator("#place-order")).to_be_disabled()  # no SKU chosen yet
        await sheet.locator(".chip", has_text="100ml").click()
        await expect(sheet.locator(".chip", has_text="100ml")).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(sheet.locator(".sheet-foot .price")).to_have_text("合计 ¥89.00")
        await shot(page_b, "buy-sheet-phone")
        await page_b.click("#place-order")
        await page_b.wait_for_url(re.compile(r"/pay/sandbox/[0-9a-f]{32}$"))
        await expect(page_b.locator("#pay-amount")).to_have_text("¥89.00")
        await expect(page_b.locator("#pay-status")).to_have_text("待支付")
        await shot(page_b, "pay-phone")
        await page_b.click("#pay-succeed")
        await expect(page_b.locator("#pay-status")).to_have_text("支付成功")

        # A sees the masked purchase announcement.
        announcement = page_a.locator("#chat-list .chat-purchase")
        await expect(announcement).to_have_text("小* 刚刚买了 山茶花保湿面霜 ×1")

        # B lands on the orders page with the order paid.
        await page_b.wait_for_url(f"{live_server.url}/orders")
        paid = page_b.locator(".order-card[data-status=paid]")
        await expect(paid).to_have_count(1)
        await expect(paid.locator(".order-status")).to_have_text("已付款")
        await expect(paid).to_contain_text("山茶花保湿面霜")
        await expect(paid).to_contain_text("100ml")
        await shot(page_b, "orders-phone")

        # The host ends the session: A's room says so and takes the product card down.
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            response = await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/end", headers=shop.host.headers
            )
            assert response.status_code == 200, response.text
        await expect(page_a.locator("#state-banner")).to_have_text("直播已结束，感谢观看")
        await expect(page_a.locator("#status-badge")).to_have_text("已结束")
        await expect(page_a.locator("#pinned")).to_be_hidden()
    finally:
        await context_a.close()
        await context_b.close()

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        orders = (await api.get("/api/v1/orders", headers=viewer_b.headers)).json()["items"]
        assert [(order["status"], order["total_cents"]) for order in orders] == [("paid", 8900)]
        assert orders[0]["session_id"] == shop.session_id
        product = (await api.get(f"/api/v1/products/{shop.product['id']}")).json()
        assert [sku["stock"] for sku in product["skus"]] == [10, 4]
        assert (await api.get("/api/v1/orders", headers=viewer_a.headers)).json()["items"] == []
    assert errors.errors == []


async def _screenshots(
    browser: Browser,
    server: LiveServer,
    shop: LiveShop,
    device: dict[str, Any],
    suffix: str,
    lang: str,
) -> list[str]:
    errors = PageErrors()
    shots: list[tuple[Account | None, str, str]] = [
        (None, "/", "home"),
        (None, f"/live/{shop.session_id}", "live-room-anonymous"),
        (None, "/login", "login"),
        (None, "/signup", "signup"),
        (shop.host, "/console/host", "host-console"),
        (shop.host, f"/console/host/sessions/{shop.session_id}", "host-session"),
        (shop.merchant, "/console/merchant", "merchant-console"),
    ]
    for account, path, name in shots:
        context, page = await new_page(browser, errors, name, device, lang=lang)
        try:
            if account is not None:
                await log_in(page, server, account, path)
            else:
                await page.goto(f"{server.url}{path}")
            await page.wait_for_load_state("networkidle")
            await shot(page, f"{name}-{suffix}")
        finally:
            await context.close()
    return errors.errors


async def test_main_pages_render_without_script_errors_on_phone_and_desktop(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
    # Phones in Chinese, desktops in English: both dictionaries get a real browser.
    assert await _screenshots(browser, live_server, shop, PHONE, "phone", "zh-CN") == []
    assert await _screenshots(browser, live_server, shop, DESKTOP, "desktop", "en-GB") == []


async def test_unknown_session_shows_the_not_found_page(
    live_server: LiveServer, browser: Browser
) -> None:
    errors = PageErrors()
    context, page = await new_page(browser, errors, "404", PHONE, lang="en-GB")
    try:
        response = await page.goto(f"{live_server.url}/live/{'0' * 32}")
        assert response is not None
        assert response.status == 404
        await expect(page.locator("h1")).to_have_text("This live session does not exist")
        await shot(page, "not-found-phone")
    finally:
        await context.close()
