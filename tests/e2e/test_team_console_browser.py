"""On a 390x844 phone, the host's console: messages to fans with the audience's size
first, and the team (an invitation link, the member who accepted it, what they did)."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_the_host_messages_fans_and_builds_a_team(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        fan = await sign_up(api, "viewer", name="阿明")
        helper = await sign_up(api, "viewer", name="场控小王")
        followed = await api.post(f"/api/v1/rooms/{shop.room['id']}/follow", headers=fan.headers)
        assert followed.status_code == 200
    errors = PageErrors()
    context, page = await new_page(browser, errors, "console", PHONE)
    try:
        await log_in(page, live_server, shop.host, "/console/host")
        card = page.locator("#message-card")
        await expect(card).to_be_visible()
        await card.locator("input[name=title]").fill("今晚八点见")
        await card.locator("textarea[name=body]").fill("新品首发")
        await page.click("#message-preview-button")
        await expect(page.locator("#message-preview")).to_have_text(
            "共 1 人，其中 1 人会收到 · 今天已发 0/3 条"
        )
        await card.locator("button[type=submit]").click()
        await expect(page.locator("#message-preview")).to_have_text(
            "共 1 人，其中 1 人会收到 · 今天已发 1/3 条"
        )

        team = page.locator("#team-card")
        await expect(team.locator("#team-list li")).to_have_text(["还没有团队成员"])
        await team.locator("button[type=submit]").click()
        link = page.locator("#team-link")
        await expect(link).to_be_visible()
        url = await link.input_value()
        assert url.startswith(f"{live_server.url}/team/invite/")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            token = url.rsplit("/", 1)[-1]
            accepted = await api.post(
                f"/api/v1/team/invites/{token}/accept", headers=helper.headers
            )
            assert accepted.status_code == 200, accepted.text
            muted = await api.post(
                f"/api/v1/rooms/{shop.room['id']}/mutes",
                json={"user_id": fan.id, "minutes": 5},
                headers=helper.headers,
            )
            assert muted.status_code == 201, muted.text
        await page.reload()
        await expect(page.locator("#team-list li .ellipsis")).to_have_text(["场控小王"])
        await expect(page.locator("#team-log li .grow")).to_have_text(
            ["场控小王 · 场控 · 管理评论"]
        )
        # The reload keeps the scroll; the layout is checked from the top of the page.
        await page.evaluate("window.scrollTo(0, 0)")
        await check_phone_page(page, "host-console-team-zh", "zh")
        await page.locator("#message-card").scroll_into_view_if_needed()
        await page.screenshot(path="/tmp/fans2-console-message-zh.png")
        await page.locator("#team-card").scroll_into_view_if_needed()
        await page.screenshot(path="/tmp/fans2-console-team-zh.png")
        await shot(page, "host-console-team-phone")

        await page.goto(f"{live_server.url}/lang/en?next=/console/host")
        await page.wait_for_url(f"{live_server.url}/console/host")
        await expect(page.locator("#team-log li .grow")).to_have_text(
            ["场控小王 · moderator (场控) · moderated chat"]
        )
        await check_phone_page(page, "host-console-team-en", "en")
        await page.locator("#team-card").scroll_into_view_if_needed()
        await page.screenshot(path="/tmp/fans2-console-team-en.png")
        assert errors.errors == []
    finally:
        await context.close()
