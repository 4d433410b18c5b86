"""On a 390x844 phone: a signed-in viewer shares the room with their own link, sees who
came through it, and the bell counts a host's message over the room's own socket."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    PHONE,
    PageErrors,
    assert_fits,
    assert_nothing_covered,
    assert_translated,
    log_in,
    new_page,
    shot,
)
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def check_sheet(page: Page, name: str, lang: str) -> None:
    await assert_fits(page, name)
    await assert_nothing_covered(page, name, ".sheet button, .sheet a[href]")
    await assert_translated(page, name, lang)


async def test_a_viewer_shares_the_room_and_sees_who_came(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer = await sign_up(api, "viewer", name="阿明")
        followed = await api.post(f"/api/v1/rooms/{shop.room['id']}/follow", headers=viewer.headers)
        assert followed.status_code == 200

    errors = PageErrors()
    room_path = f"/live/{shop.session_id}"
    context, page = await new_page(browser, errors, "share", PHONE)
    try:
        await log_in(page, live_server, viewer, room_path)
        await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
        await page.click("#share-button")
        sheet = page.locator(".sheet")
        url = page.locator(".share-url")
        await expect(url).not_to_have_value("")
        link = await url.input_value()
        assert link.startswith(f"{live_server.url}/s/")
        await expect(sheet.locator(".share-stats")).to_have_text(
            "已有 0 人通过你的链接进来，0 人关注，0 人下单"
        )
        await check_sheet(page, "share-sheet-zh", "zh")
        await shot(page, "share-sheet-phone")
        await page.screenshot(path="/tmp/fans2-share-sheet-zh.png")
        await sheet.locator(".close-x").click()

        # Someone opens the link: they land in the room, counted for the viewer.
        other_context = await browser.new_context(locale="zh-CN", **PHONE)
        other = await other_context.new_page()
        await other.goto(link)
        # The link leads into the room with its code, which the room reports as its source.
        await other.wait_for_url(
            re.compile(re.escape(f"{live_server.url}{room_path}?share=") + r"\w+$")
        )
        await other_context.close()
        await page.click("#share-button")
        await expect(page.locator(".share-stats")).to_have_text(
            "已有 1 人通过你的链接进来，0 人关注，0 人下单"
        )
        await page.locator(".sheet .close-x").click()

        # The host writes to its fans: the bell counts it, heard on the room's socket.
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            sent = await api.post(
                f"/api/v1/rooms/{shop.room['id']}/fan-messages",
                json={"title": "今晚福利", "body": "八点见"},
                headers=shop.host.headers,
            )
            assert sent.json()["delivered"] == 1
        await expect(page.locator("body")).to_have_attribute("data-unread", "1")
        await expect(page.locator("#bell-count")).to_have_text("1")

        # In English.
        await page.goto(f"{live_server.url}/lang/en?next={room_path}")
        await page.wait_for_url(f"{live_server.url}{room_path}")
        await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
        await page.click("#share-button")
        await expect(page.locator(".share-stats")).to_have_text(
            "1 came through your link, 0 followed, 0 bought"
        )
        await check_sheet(page, "share-sheet-en", "en")
        await page.screenshot(path="/tmp/fans2-share-sheet-en.png")
        assert errors.errors == []
    finally:
        await context.close()
