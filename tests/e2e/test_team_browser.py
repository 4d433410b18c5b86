"""On a 390x844 phone: a staff member opens the host's invitation link, accepts it, can
moderate the room (the room's tools show), and reaches the room's live console from the
menu's 团队 entry to run a flash sale; both languages. On a desktop: the host's team page
and a 客服's way to the questions."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import (
    DESKTOP,
    PHONE,
    PageErrors,
    assert_fits,
    assert_menu_shows,
    assert_translated,
    check_phone_page,
    log_in,
    new_page,
    shot,
)
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

        # The menu's 团队 entry leads to the membership, and its card into the room's
        # live console, where the 场控 sees their tools and no sales figures.
        await page.goto(f"{live_server.url}/lang/zh?next=/orders")
        await page.wait_for_url(f"{live_server.url}/orders")
        await page.locator(".topbar .nav a[href='/team']").click()
        await page.wait_for_url(f"{live_server.url}/team")
        card = page.locator(f"[data-room-id='{shop.room['id']}']")
        await expect(card.locator(".team-session")).to_have_text("直播中 · 春季护肤专场")
        await check_phone_page(page, "team-moderator-zh", "zh")
        await page.screenshot(path="/tmp/fans-team-moderator-zh.png")
        await card.locator("[data-tool=console]").click()
        await page.wait_for_url(f"{live_server.url}/console/host/sessions/{shop.session_id}")
        await expect(page.locator("#console-role")).to_have_text("场控")
        await expect(page.locator("#flash-form")).to_be_visible()
        await expect(page.locator("#moderation-card")).to_be_visible()
        host_only = "#stats, #traffic-panel, #start-session, #cover-form"
        await expect(page.locator(host_only)).to_have_count(0)
        await check_phone_page(page, "team-console-moderator-zh", "zh")
        await page.screenshot(path="/tmp/fans-team-console-zh.png")
        await page.locator("#flash-form input[name=price]").fill("89")
        await page.locator("#flash-form input[name=starts_in]").fill("0")
        await page.click("#flash-launch")
        await expect(page.locator("#console-flash-status")).to_contain_text("剩余")
        await page.goto(f"{live_server.url}/lang/en?next=/console/host/sessions/{shop.session_id}")
        await page.wait_for_url(f"{live_server.url}/console/host/sessions/{shop.session_id}")
        await expect(page.locator("#console-role")).to_have_text("moderator (场控)")
        await check_phone_page(page, "team-console-moderator-en", "en")
        await page.screenshot(path="/tmp/fans-team-console-en.png")
        # Removed from the team while the console is open: its tools close at once.
        await expect(page.locator("body")).to_have_attribute("data-console", "ready")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            removed = await api.delete(
                f"/api/v1/rooms/{shop.room['id']}/team/{invited['id']}",
                headers=shop.host.headers,
            )
            assert removed.status_code == 200, removed.text
        await expect(page.locator("#console-revoked h1")).to_have_text(
            "You are no longer on this room's team; its tools are closed."
        )
        await expect(page.locator("#flash-form")).to_have_count(0)
        await check_phone_page(page, "team-console-revoked-en", "en")
        assert errors.errors == []
    finally:
        await context.close()
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        log = await api.get(f"/api/v1/rooms/{shop.room['id']}/team/log", headers=shop.host.headers)
        assert [(i["display_name"], i["action"]) for i in log.json()["items"]] == [
            ("场控小王", "flash_sale")
        ]


async def test_the_team_page_on_a_desktop(live_server: LiveServer, browser: Browser) -> None:
    """At 1280x800 the host reaches its team from the menu, and a 客服 its room's tools."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        service = await sign_up(api, "viewer", name="客服小李")
        invited = await invite(api, shop.host, shop.room["id"], "service", service.email)
        accepted = await api.post(
            f"/api/v1/team/invites/{token_of(invited)}/accept", headers=service.headers
        )
        assert accepted.status_code == 200, accepted.text
    errors = PageErrors()
    context, page = await new_page(browser, errors, "team-desktop", DESKTOP)
    try:
        await log_in(page, live_server, shop.host, "/console/host")
        await page.locator(".topbar .nav a[href='/team']").click()
        await page.wait_for_url(f"{live_server.url}/team")
        await expect(page.locator("#own-team li")).to_have_text(["客服小李客服 · 已加入"])
        await assert_menu_shows(page, "team-host-desktop")
        await assert_fits(page, "team-host-desktop")
        await page.screenshot(path="/tmp/fans-team-host-desktop.png")
        await page.click("#manage-team")
        await page.wait_for_url(f"{live_server.url}/console/host#team-card")
        await expect(page.locator("#team-card")).to_be_in_viewport()
        await expect(page.locator("#team-list li")).to_have_count(1)
        # The members' list keeps clear of the Invite button above it.
        gap = await page.evaluate(
            "() => document.querySelector('#team-list li').getBoundingClientRect().top"
            " - document.querySelector('#team-form [type=submit]').getBoundingClientRect().bottom"
        )
        assert gap >= 8, gap
        await page.screenshot(path="/tmp/fans-team-card-desktop.png")
        await context.clear_cookies()

        await log_in(page, live_server, service, "/team")
        card = page.locator(f"[data-room-id='{shop.room['id']}']")
        await expect(card.locator("[data-tool]")).to_have_count(4)
        await card.locator("[data-tool=console]").click()
        await page.wait_for_url(f"{live_server.url}/console/host/sessions/{shop.session_id}")
        await expect(page.locator("#console-questions")).to_be_visible()
        await expect(page.locator("#flash-form, #showcase-card, #moderation-card")).to_have_count(0)
        await assert_menu_shows(page, "team-service-console-desktop")
        await assert_translated(page, "team-service-console-desktop", "zh")
        await page.screenshot(path="/tmp/fans-team-service-desktop.png")
        assert errors.errors == []
    finally:
        await context.close()
