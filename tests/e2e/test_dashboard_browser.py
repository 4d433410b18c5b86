"""The host's live session dashboard moves as a purchase happens (desktop and phone),
and the report, platform and selection pages fit a phone."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

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
