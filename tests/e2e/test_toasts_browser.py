"""On a 390x844 phone the menu takes a row of its own, and may wrap to more: a toast
shows below the whole header, never over a menu entry, whatever the header's height."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import (
    DESKTOP,
    PHONE,
    PageErrors,
    assert_nothing_covered,
    check_phone_page,
    log_in,
    new_page,
    shot,
)
from tests.conftest import LiveServer
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)

# A toast from the page's own module, as any page script raises one.
_TOAST_JS = """async (text) => {
  const common = document.querySelector('script[src*="js/common.js"]').src;
  const core = await import(common.replace("js/common.js", "js/core.js"));
  core.toast(text, "ok", 60000);
}"""

_GAP_JS = """() => {
  const header = document.querySelector(".topbar").getBoundingClientRect();
  const toast = document.querySelector("#toasts .toast").getBoundingClientRect();
  return toast.top - header.bottom;
}"""


async def test_a_toast_shows_below_the_whole_header(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
    errors = PageErrors()
    for device, size in ((PHONE, "phone"), (DESKTOP, "desktop")):
        for lang, locale in (("zh", "zh-CN"), ("en", "en")):
            name = f"toast-{size}-{lang}"
            context, page = await new_page(browser, errors, name, device, locale)
            try:
                # The host's menu is one of the longest: on a phone it wraps under the
                # brand and the account controls.
                await log_in(page, live_server, shop.host, "/console/host")
                await page.goto(f"{live_server.url}/lang/{lang}?next=/console/host")
                await expect(page.locator("html")).to_have_attribute("lang", locale)
                if size == "phone":
                    await check_phone_page(page, name, lang)
                await page.evaluate(_TOAST_JS, "已保存" if lang == "zh" else "Saved")
                await expect(page.locator("#toasts .toast")).to_have_count(1)
                await page.wait_for_timeout(400)  # the toast's entrance
                gap = await page.evaluate(_GAP_JS)
                assert gap >= 4, f"{name}: the toast overlaps the header by {-gap:.0f} px"
                # A toast lies over the page for a moment, but never over the header.
                await assert_nothing_covered(page, name, ".topbar a[href], .topbar button")
                await shot(page, name)
            finally:
                await context.close()
    assert errors.errors == []
