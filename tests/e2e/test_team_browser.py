"""On a 390x844 phone: a staff member opens the host's invitation link, accepts it, and
can then moderate the room (the room's tools show); both languages."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.fans.helpers import chat
from tests.team.helpers import invite, token_of
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_staff_accept_an_invitation_and_get_the_moderator_tools(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        moderator = await sign_up(api, "viewer", name="场控小王")
        invited = await invite(api, shop.host, shop.room["id"], "moderator", moderator.email)
    path = f"/team/invite/{token_of(invited)}"
    errors = PageErrors()
    context, page = await new_page(browser, errors, "team", PHONE)
    try:
        await log_in(page, live_server, moderator, path)
        await expect(page.locator("#team-offer")).to_have_text("「小美的直播间」邀请你担任场控")
        await check_phone_page(page, "team-invite-zh", "zh")
        await page.screenshot(path="/tmp/fans2-team-invite-zh.png")
        await page.click("#team-accept")
        await expect(page.locator("#team-done")).to_be_visible()
        await shot(page, "team-invite-accepted-phone")

        await page.goto(f"{live_server.url}/lang/en?next={path}")
        await page.wait_for_url(f"{live_server.url}{path}")
        await expect(page.locator("#team-offer")).to_have_text(
            "小美的直播间 invites you to its team as moderator (场控)"
        )
        await expect(page.locator("#team-done")).to_be_visible()
        await check_phone_page(page, "team-invite-en", "en")
        await page.screenshot(path="/tmp/fans2-team-invite-en.png")

        # In the room, the moderator's tools are theirs (hello says can_moderate).
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            viewer = await sign_up(api, "viewer", name="观众")
        await page.goto(f"{live_server.url}/live/{shop.session_id}")
        await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
        await chat(live_server.app.state.runtime, viewer, shop.session_id, "大家好")
        line = page.locator("#chat-list .chat-item", has_text="大家好")
        await expect(line.locator(".chat-tools button")).to_have_count(2)
        assert errors.errors == []
    finally:
        await context.close()
