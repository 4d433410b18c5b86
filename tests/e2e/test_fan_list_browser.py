"""On a 390x844 phone the host's fan list shows each member's badge (灯牌) as chat does:
the club's badge name and the member's level, not a generic word."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.fans.helpers import join
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_the_fan_list_shows_the_clubs_badge_name_and_level(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        room_id = shop.room["id"]
        badge = await api.patch(
            f"/api/v1/rooms/{room_id}/fan-club",
            headers=shop.host.headers,
            json={"badge_name": "小美粉"},
        )
        assert badge.status_code == 200, badge.text
        fan = await sign_up(api, "viewer", name="阿明")
        await join(api, fan, room_id)

    errors = PageErrors()
    context, page = await new_page(browser, errors, "fan-list", PHONE)
    try:
        await log_in(page, live_server, shop.host, "/console/host")
        row = page.locator("#fan-list li", has_text="阿明")
        await expect(row.locator(".fan-badge-name")).to_have_text("小美粉")
        await expect(row.locator(".fan-badge-level")).to_have_text("1")
        await row.scroll_into_view_if_needed()
        await check_phone_page(page, "fan-list-phone", "zh")
        await shot(page, "fan-list-phone")
    finally:
        await context.close()
    assert errors.errors == []
