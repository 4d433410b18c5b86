"""On a 390x844 phone: a viewer joins the room's fan club from the host's persona sheet,
sees the badge beside their name in chat, and opens the host's page, where they reserve
the next session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    PHONE,
    PageErrors,
    assert_fits,
    assert_nothing_covered,
    assert_translated,
    check_phone_page,
    log_in,
    new_page,
    shot,
)
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)

SHEET_CONTROLS = ".sheet button, .sheet a[href]"


async def check_sheet(page: Page, name: str) -> None:
    """A phone page with a sheet open: it fits, the sheet's own controls are free, and
    everything is translated (what lies under the backdrop is meant to be covered)."""
    await assert_fits(page, name)
    await assert_nothing_covered(page, name, SHEET_CONTROLS)
    await assert_translated(page, name, "zh")


async def test_a_viewer_joins_the_fan_club_and_sees_the_badge_in_chat(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer = await sign_up(api, "viewer", name="阿明")
        room_id = shop.room["id"]
        persona = await api.patch(
            f"/api/v1/rooms/{room_id}",
            headers=shop.host.headers,
            json={"catchphrases": ["买它!", "所有女生!"]},
        )
        assert persona.status_code == 200, persona.text
        badge = await api.patch(
            f"/api/v1/rooms/{room_id}/fan-club",
            headers=shop.host.headers,
            json={"badge_name": "小美粉"},
        )
        assert badge.status_code == 200, badge.text
        planned = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        upcoming = await api.post(
            f"/api/v1/rooms/{room_id}/sessions",
            headers=shop.host.headers,
            json={"title": "明晚护肤专场", "planned_start_at": planned},
        )
        assert upcoming.status_code == 201, upcoming.text

    errors = PageErrors()
    room_path = f"/live/{shop.session_id}"
    context, page = await new_page(browser, errors, "fan", PHONE)
    try:
        await log_in(page, live_server, viewer, room_path)
        await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
        await page.click("#persona-button")
        sheet = page.locator(".sheet")
        await expect(sheet.locator(".catchphrase")).to_have_text(["买它!", "所有女生!"])
        await expect(page.locator("#fan-join")).to_have_text("加入粉丝团")
        await check_sheet(page, "fan-club-sheet-zh")
        await page.click("#fan-join")
        you = page.locator("#fan-club .fan-club-you")
        await expect(you.locator(".fan-badge-name")).to_have_text("小美粉")
        await expect(you.locator(".fan-badge-level")).to_have_text("1")
        await expect(page.locator("#fan-intimacy")).to_have_text("亲密度 0")
        await expect(page.locator("#fan-leave")).to_be_visible()
        await shot(page, "fan-club-joined-phone")
        await check_sheet(page, "fan-club-joined-zh")
        await sheet.locator(".close-x").click()
        await expect(sheet).to_have_count(0)

        await page.fill("#chat-input", "我加入粉丝团啦")
        await page.press("#chat-input", "Enter")
        line = page.locator("#chat-list .chat-item", has_text="我加入粉丝团啦")
        await expect(line).to_have_count(1)
        await expect(line.locator(".fan-badge-name")).to_have_text("小美粉")
        await expect(line.locator(".fan-badge-level")).to_have_text("1")
        await expect(line.locator(".chat-name")).to_have_text("阿明")
        await shot(page, "fan-badge-in-chat-phone")
        await check_phone_page(page, "room-with-badge-zh", "zh")

        # Back in the room as a member, the viewer is in the room's online list.
        await page.reload()
        await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
        online = page.locator("#fans-online li", has_text="阿明")
        for _ in range(20):  # the hub stores visits once a tick (a second)
            await page.click("#online")
            await expect(page.locator("#fans-online li")).not_to_have_count(0)  # loaded
            if await online.count():
                break
            await page.locator(".sheet .close-x").click()
            await page.wait_for_timeout(250)
        await expect(online.locator(".fan-badge-name")).to_have_text("小美粉")
        await check_sheet(page, "online-fans-zh")
        await page.locator(".sheet .close-x").click()

        # The host chip leads to the host's page.
        await page.click("#host-link")
        await page.wait_for_url(f"{live_server.url}/hosts/{room_id}")
        await expect(page.locator(".host-title")).to_have_text("小美的直播间")
        await expect(page.locator("#host-fans")).to_have_text("1")
        await expect(page.locator("#host-fan-club")).to_have_text("小美粉 · 1 级")
        await expect(page.locator(".host-catchphrases .catchphrase")).to_have_count(2)
        await expect(page.locator("#host-live-now")).to_contain_text("春季护肤专场")
        reserve = page.locator("#host-upcoming [data-reserve]")
        await expect(reserve).to_have_text("预约")
        await check_phone_page(page, "host-page-zh", "zh")
        await shot(page, "host-page-phone")
        await reserve.click()
        await expect(reserve).to_have_text("已预约")
        await expect(reserve).to_have_attribute("aria-pressed", "true")
        # The reservation is stored: the page shows it again after a reload.
        await page.reload()
        await expect(page.locator("#host-upcoming [data-reserve]")).to_have_text("已预约")
        await expect(page.locator("#host-upcoming")).to_contain_text("1 人已预约")
    finally:
        await context.close()

    context, page = await new_page(browser, errors, "en", PHONE, lang="en-GB")
    try:
        await page.goto(f"{live_server.url}/hosts/{room_id}")
        await expect(page.locator("#host-upcoming [data-reserve]")).to_have_text("Reserve")
        await check_phone_page(page, "host-page-en", "en")
    finally:
        await context.close()
    assert errors.errors == []
