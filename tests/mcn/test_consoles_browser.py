"""Partner consoles in real Chromium: a merchant publishes an offer, a host requests a
sample, the merchant approves it, and after a sale each sees what they earned."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import LiveServer
from tests.factories import Account, sign_up
from tests.ledger.world import open_room
from tests.orders.shop import buyer_with_address, create_listing, pay, place_order

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def open_as(
    browser: Browser, server: LiveServer, account: Account, path: str, errors: list[str]
) -> Page:
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{server.url}/login?next={path}")
    await page.fill("input[name=email]", account.email)
    await page.fill("input[name=password]", account.password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}{path}")
    return page


async def test_offer_sample_sale_and_earnings(live_server: LiveServer, browser: Browser) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        merchant = await sign_up(api, "merchant", name="山野茶铺")
        listing = await create_listing(api, merchant=merchant, price_cents=10000, title="明前龙井")
        host = await sign_up(api, "host", name="达人小美")
        session_id = await open_room(api, host, [])  # on air, its showcase still empty

    errors: list[str] = []
    merchant_page = await open_as(browser, live_server, merchant, "/console/offers", errors)
    await expect(merchant_page.locator("#product-pick option")).to_have_count(1)
    await merchant_page.fill("#offer-form input[name=commission]", "25")
    await merchant_page.select_option("#offer-form select[name=sample_policy]", "free")
    await merchant_page.click("#offer-form button[type=submit]")
    await expect(merchant_page.locator("#offer-list .row-item")).to_contain_text("佣金 25%")

    host_page = await open_as(browser, live_server, host, "/console/marketplace", errors)
    offer_row = host_page.locator("#offer-list .row-item", has_text="明前龙井")
    await expect(offer_row).to_contain_text("佣金 25%")
    await offer_row.get_by_role("button", name="申请样品").click()
    await expect(offer_row.get_by_role("button", name="已申请样品")).to_be_disabled()
    await offer_row.get_by_role("button", name="加入购物袋").click()
    await expect(host_page.locator("#toasts")).to_contain_text("已加入购物袋")

    await merchant_page.reload()
    sample = merchant_page.locator("#sample-list .row-item")
    await sample.get_by_role("button", name="同意").click()
    await expect(sample).to_contain_text("已同意")

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        buyer, address_id = await buyer_with_address(api)
        order = await place_order(api, buyer, address_id, listing, session_id=session_id)
        await pay(api, buyer, order["id"])

    await host_page.goto(f"{live_server.url}/console/earnings")
    host_account = host_page.locator("#account-list [data-kind=host_payable]")
    # 100.00 × 25 % commission, no agency.
    await expect(host_account.locator(".owed")).to_have_text("待结算 ¥25.00")
    await merchant_page.goto(f"{live_server.url}/console/earnings")
    merchant_account = merchant_page.locator("#account-list [data-kind=merchant_payable]")
    # 100.00 − 5 % platform fee − 25 % commission.
    await expect(merchant_account.locator(".owed")).to_have_text("待结算 ¥70.00")
    assert errors == []
