"""In real Chromium: the host launches a flash sale from the console; two viewers see the
same countdown, one buys the only unit and both see it sold out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import DESKTOP, PHONE, PageErrors, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e


async def test_flash_sale_sells_out_in_both_viewers_rooms(
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
    console_path = f"/console/host/sessions/{shop.session_id}"
    host_context, host_page = await new_page(browser, errors, "host", DESKTOP)
    missing: list[str] = []
    crashes: list[str] = []
    context_a, page_a = await new_page(browser, errors, "A", DESKTOP)
    context_b, page_b = await new_page(browser, errors, "B", PHONE)
    # B's phone clock runs 90 s fast: the room must still count down with the server.
    await page_b.clock.set_system_time(datetime.now(UTC) + timedelta(seconds=90))
    for watched in (host_page, page_a, page_b):
        watched.on("pageerror", lambda error: crashes.append(str(error)))
        watched.on(
            "response",
            lambda response: missing.append(response.url) if response.status == 404 else None,
        )
    try:
        await log_in(host_page, live_server, shop.host, console_path)
        await log_in(page_a, live_server, viewer_a, room_path)
        await log_in(page_b, live_server, viewer_b, room_path)
        for page in (page_a, page_b):
            await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
            await expect(page.locator("#flash-sale")).to_be_hidden()

        # The host launches: one unit at 9.90, opening after a 4 s countdown.
        form = host_page.locator("#flash-form")
        await expect(form.locator("#flash-sku option")).to_have_count(2)
        await form.locator("input[name=price]").fill("9.90")
        await form.locator("input[name=units]").fill("1")
        await form.locator("input[name=starts_in]").fill("4")
        await form.locator("input[name=duration]").fill("120")
        await form.locator("#flash-launch").click()
        await expect(host_page.locator("#console-flash-status")).to_contain_text("1/1")

        for page in (page_a, page_b):
            sale = page.locator("#flash-sale")
            await expect(sale).to_be_visible()
            await expect(sale).to_have_attribute("data-status", "scheduled")
            await expect(page.locator("#flash-countdown")).to_contain_text("距开抢")
            await expect(page.locator("#flash-buy")).to_be_disabled()
        offset_b = await page_b.evaluate("Number(document.documentElement.dataset.clockOffsetMs)")
        offset_a = await page_a.evaluate("Number(document.documentElement.dataset.clockOffsetMs)")
        assert -92_000 < offset_b < -88_000
        assert abs(offset_a) < 2_000
        # Both clocks open the sale together.
        for page in (page_a, page_b):
            await expect(page.locator("#flash-sale")).to_have_attribute("data-status", "running")
            await expect(page.locator("#flash-buy")).to_be_enabled()
            await expect(page.locator("#flash-left")).to_have_text("剩余 1 件")

        await page_a.locator("#flash-buy").click()
        await expect(page_a.locator("#flash-pay")).to_be_visible()
        for page in (page_a, page_b):
            await expect(page.locator("#flash-sale")).to_have_attribute("data-status", "sold_out")
            await expect(page.locator("#flash-left")).to_have_text("已抢光")
            await expect(page.locator("#flash-buy")).to_be_disabled()
        await expect(host_page.locator("#console-flash-status")).to_contain_text("0/1")

        # A pays through the sandbox page.
        await page_a.locator("#flash-pay").click()
        await page_a.wait_for_url(f"{live_server.url}/pay/sandbox/**")
        # The video player probes (and logs about) a stream nobody publishes in this test;
        # nothing else may be missing and no script may fail.
        assert [url for url in missing if not url.endswith((".flv", ".m3u8"))] == []
        assert crashes == []
    finally:
        for context in (host_context, context_a, context_b):
            await context.close()
