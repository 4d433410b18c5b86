"""The host's live session dashboard moves as a purchase happens (desktop and phone),
and the report, platform and selection pages fit a phone."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import insert

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DashboardSessionProduct, LiveSession, Product
from tests.browser import DESKTOP, PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.orders.shop import Listing, buyer_with_address, pay, place_order
from tests.realtime.helpers import watch
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=20_000)


async def test_the_live_dashboard_moves_with_a_purchase(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        sku = shop.product["skus"][0]
        listing = Listing(shop.merchant, shop.product["id"], sku["id"], sku["price_cents"])
        buyer, address = await buyer_with_address(api, "阿明")
        path = f"/dashboards/sessions/{shop.session_id}"
        errors = PageErrors()
        desktop, page = await new_page(browser, errors, "dash-desktop", DESKTOP)
        phone, small = await new_page(browser, errors, "dash-phone", PHONE)
        try:
            await log_in(page, live_server, shop.host, path)
            await log_in(small, live_server, shop.host, path)
            await expect(page.locator("#metric-paid_orders")).to_have_text("0")
            await expect(small.locator("#metric-paid_orders")).to_have_text("0")
            async with watch(live_server, shop.session_id, buyer):
                await expect(page.locator("#metric-online")).to_have_text("1")
                order = await place_order(api, buyer, address, listing, session_id=shop.session_id)
                await pay(api, buyer, order["id"])
                await expect(page.locator("#metric-paid_orders")).to_have_text("1")
                await expect(page.locator("#metric-gmv_cents")).to_have_text("¥89.00")
                await expect(small.locator("#metric-paid_orders")).to_have_text("1")
                await expect(page.locator("#metric-viewers")).to_have_text("1")
                await expect(page.locator("#dash-funnel [data-step=payers] strong")).to_have_text(
                    "1"
                )
                await expect(
                    page.locator(f"#dash-products tr[data-product='{listing.product_id}'] td").nth(
                        3
                    )
                ).to_have_text("1")
                await page.wait_for_timeout(300)  # the charts draw on the next frame
                await shot(page, "dash-session-desktop")
                await shot(small, "dash-session-phone")
                await check_phone_page(small, "dash-session-phone", "zh")
            report = f"/dashboards/sessions/{shop.session_id}/report"
            await small.goto(f"{live_server.url}{report}")
            await expect(small.locator("#dash-comparison tbody tr")).to_have_count(6)
            await shot(small, "dash-report-phone")
            await check_phone_page(small, "dash-report-phone", "zh")
            await small.goto(f"{live_server.url}/dashboards/selection")
            await expect(small.locator("#selection-items li")).to_have_count(1)
            await shot(small, "dash-selection-phone")
            await check_phone_page(small, "dash-selection-phone", "zh")
            await small.goto(f"{live_server.url}/dashboards")
            await check_phone_page(small, "dash-list-phone", "zh")
            await small.goto(f"{live_server.url}/lang/en?next={path}")
            await expect(small.locator("#metric-paid_orders")).to_have_text("1")
            await expect(small.locator("[data-metric=gmv_cents] .stat-label")).to_have_text("GMV")
            await shot(small, "dash-session-phone-en")
            await check_phone_page(small, "dash-session-phone-en", "en")
        finally:
            await desktop.close()
            await phone.close()
        assert errors.errors == []


async def test_the_dashboards_lists_load_more_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    """A host with sixty sessions and a merchant with sixty products sold in that room see
    the first fifty, then the rest after "load more"; the page fits a phone."""
    runtime: Runtime = live_server.app.state.runtime
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
    now = utcnow()
    sessions = [
        {
            "id": new_id(),
            "room_id": shop.room["id"],
            "title": f"往期专场 {number:02d}",
            "status": "ended",
            "planned_start_at": now - timedelta(days=number + 1),
            "peak_online": 0,
            "created_at": now,
        }
        for number in range(59)
    ]
    products = [
        {
            "id": new_id(),
            "merchant_id": shop.merchant.id,
            "title": f"面霜 {number:02d}",
            "currency": "CNY",
            "status": "on_sale",
            "created_at": now,
            "updated_at": now,
        }
        for number in range(59)
    ]
    figures = [
        {
            "session_id": sessions[number]["id"],
            "product_id": product["id"],
            "room_id": shop.room["id"],
            "product_clicks": 100,
            "paid_orders": 1 + number % 9,
            "gmv_cents": 8900 * (1 + number % 9),
            "refund_cents": 0,
        }
        for number, product in enumerate(products)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(LiveSession), sessions)
        await session.execute(insert(Product), products)
        await session.execute(insert(DashboardSessionProduct), figures)

    errors = PageErrors()
    phone, small = await new_page(browser, errors, "dash-lists-phone", PHONE)
    desktop, page = await new_page(browser, errors, "dash-lists-desktop", DESKTOP)
    try:
        await log_in(small, live_server, shop.host, "/dashboards")
        rows = small.locator("#dash-sessions .dash-session-row")
        await expect(rows).to_have_count(50)
        await small.click("#sessions-more")
        await expect(rows).to_have_count(60)
        await expect(small.locator("#sessions-more")).to_be_hidden()
        await expect(rows.nth(59)).to_contain_text("往期专场 58")
        await expect(rows.nth(59)).to_contain_text("已结束")
        await small.evaluate("window.scrollTo(0, 0)")  # the sticky bar passes over rows
        await shot(small, "dash-list-more-phone")
        await check_phone_page(small, "dash-list-more-phone", "zh")

        await log_in(page, live_server, shop.merchant, "/dashboards")
        table = page.locator("#merchant-products tbody tr")
        await expect(table).to_have_count(50)
        await page.click("#merchant-products-more")
        await expect(table).to_have_count(59)
        await expect(page.locator("#merchant-products-more")).to_be_hidden()
        await expect(table.nth(0).locator("td").nth(5)).to_have_text("¥801.00")
        await shot(page, "dash-merchant-products-desktop")
        await phone.clear_cookies()
        await log_in(small, live_server, shop.merchant, "/dashboards")
        await expect(small.locator("#merchant-products tbody tr")).to_have_count(50)
        await check_phone_page(small, "dash-merchant-products-phone", "zh")
    finally:
        await desktop.close()
        await phone.close()
    assert errors.errors == []
