"""In real Chromium: the buy sheet refuses an out-of-range quantity instead of changing it,
and the host console sets a live price per SKU."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import DESKTOP, PHONE, PageErrors, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e


async def test_an_out_of_range_quantity_is_refused_not_changed(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer = await sign_up(api, "viewer", name="阿明")
        await add_address(api, viewer, "阿明")
    errors = PageErrors()
    context, page = await new_page(browser, errors, "viewer", PHONE)
    try:
        await log_in(page, live_server, viewer, f"/live/{shop.session_id}")
        await page.click("#pinned [data-buy]")
        sheet = page.locator(".sheet")
        await sheet.locator(".chip", has_text="50ml").click()
        quantity = sheet.locator(".stepper input")
        problem = sheet.locator(".form-error")
        for typed in ("10000", "0", "1.5"):
            await quantity.fill(typed)
            await quantity.press("Tab")
            await expect(problem).to_have_text("数量需在 1 到 10 之间")
            await expect(quantity).to_have_value(typed)
            await expect(page.locator("#place-order")).to_be_disabled()
        await quantity.fill("2")
        await quantity.press("Tab")
        await expect(problem).to_be_hidden()
        await expect(page.locator("#place-order")).to_be_enabled()
        await expect(sheet.locator(".sheet-foot")).to_contain_text("¥178.00")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            orders = (await api.get("/api/v1/orders", headers=viewer.headers)).json()["items"]
        assert orders == []
    finally:
        await context.close()
    assert errors.errors == []


async def test_the_host_console_sets_a_live_price_per_sku(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api, live_price_cents=None)
    errors = PageErrors()
    context, page = await new_page(browser, errors, "host", DESKTOP)
    try:
        await log_in(page, live_server, shop.host, f"/console/host/sessions/{shop.session_id}")
        item = page.locator("#showcase-list li").first
        inputs = item.locator("input.live-price")
        await expect(inputs).to_have_count(2)
        await inputs.nth(1).fill("149")
        # A showcase update arriving while the host types (here: the item unpinned from another
        # device) re-renders the list and keeps what was typed.
        await expect(item.locator(".badge-live")).to_have_count(1)
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            unpinned = await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/pin",
                headers=shop.host.headers,
                json={"item_id": None},
            )
            assert unpinned.status_code == 200, unpinned.text
        await expect(item.locator(".badge-live")).to_have_count(0)
        await expect(inputs.nth(1)).to_have_value("149")
        await item.locator("button", has_text="保存").click()
        # Saved and re-rendered from the server: the field shows the stored price.
        await expect(
            page.locator("#showcase-list li").first.locator("input.live-price").nth(1)
        ).to_have_value("149.00")
        await expect(item).to_contain_text("¥99.00")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            showcase = (await api.get(f"/api/v1/live-sessions/{shop.session_id}/showcase")).json()
        [listed] = showcase["items"]
        assert [(sku["price_cents"], sku["live_price_cents"]) for sku in listed["skus"]] == [
            (9900, None),
            (14900, 14900),
        ]
    finally:
        await context.close()
    assert errors.errors == []


async def test_the_merchant_sets_an_offers_price_floor_and_consents(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
    errors = PageErrors()
    context, page = await new_page(browser, errors, "merchant", PHONE)
    try:
        await log_in(page, live_server, shop.merchant, "/console/offers")
        form = page.locator("#offer-form")
        await expect(form.locator("#product-pick option")).not_to_have_count(0)
        await form.locator("input[name=min_live_price]").fill("80")
        await form.locator("input[name=allow_flash_sales]").check()
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#offer-list li").first).to_contain_text("山茶花保湿面霜")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            offers = (
                await api.get("/api/v1/mcn/offers?mine=true", headers=shop.merchant.headers)
            ).json()["items"]
        [offer] = offers
        assert (
            offer["min_live_price_cents"],
            offer["allow_flash_sales"],
            offer["allow_prizes"],
            offer["allow_room_coupons"],
        ) == (8000, True, False, False)
        # The offer form fits a phone (no field sticks out of the 390 px screen).
        wide = await page.evaluate(
            "[...document.querySelectorAll('#offer-form, #offer-form *')]"
            ".filter((e) => e.getBoundingClientRect().right > 390).map((e) => e.tagName)"
        )
        assert wide == []
    finally:
        await context.close()
    assert errors.errors == []
