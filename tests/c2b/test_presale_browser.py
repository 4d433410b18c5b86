"""In real Chromium on phones: two viewers in a live room join a pre-sale and both see
its progress bar move as deposits are paid; the host's poll moves for both too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import DESKTOP, PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import Account, sign_up
from tests.orders.shop import pay
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e


async def _latest_order(api: httpx.AsyncClient, account: Account) -> str:
    response = await api.get("/api/v1/orders", headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return str(items[0]["id"])


async def test_two_viewers_join_a_presale_and_see_the_bar_move(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer_a = await sign_up(api, "viewer", name="阿明")
        viewer_b = await sign_up(api, "viewer", name="小红")
        await add_address(api, viewer_a, "阿明")
        await add_address(api, viewer_b, "小红")
        now = datetime.now(UTC)
        created = await api.post(
            "/api/v1/presales",
            headers=shop.merchant.headers,
            json={
                "sku_id": shop.product["skus"][0]["id"],
                "title": "定制刻字面霜",
                "price_cents": 12900,
                "deposit_cents": 2000,
                "moq": 4,
                "max_units": 10,
                "deadline": (now + timedelta(days=2, hours=3)).isoformat(),
                "expected_ship_at": (now + timedelta(days=15)).isoformat(),
                "session_id": shop.session_id,
                "customisation_fields": [{"name": "刻字", "max_length": 12}],
            },
        )
        assert created.status_code == 201, created.text

        errors = PageErrors()
        room = f"/live/{shop.session_id}"
        context_a, page_a = await new_page(browser, errors, "A", PHONE)
        context_b, page_b = await new_page(browser, errors, "B", PHONE)
        context_host, page_host = await new_page(browser, errors, "host", DESKTOP)
        crashes: list[str] = []
        for page in (page_a, page_b):
            page.on("pageerror", lambda error: crashes.append(str(error)))
        try:
            await log_in(page_a, live_server, viewer_a, room)
            await log_in(page_b, live_server, viewer_b, room)
            for page in (page_a, page_b):
                await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")
                card = page.locator("#presale .c2b-card")
                await expect(card).to_be_visible()
                await expect(card.locator(".c2b-count")).to_have_text("0 / 4 已预订")
                await expect(card.locator(".c2b-left")).to_contain_text("剩余 2 天")
            await shot(page_a, "c2b-room-before")
            await check_phone_page(page_a, "c2b room", "zh")

            # A joins from the room with an engraving, then pays the deposit.
            await page_a.locator("#presale .c2b-field").fill("<b>阿明</b>")
            await page_a.locator("#presale .c2b-join").click()
            await expect(page_a.locator("#presale a", has_text="去支付")).to_be_visible()
            await pay(api, viewer_a, await _latest_order(api, viewer_a))
            for page in (page_a, page_b):
                await expect(page.locator("#presale .c2b-count")).to_have_text("1 / 4 已预订")
                await expect(page.locator("#presale .c2b-card")).to_contain_text("还差 3 件成团")

            # B joins from the other phone; both bars move again.
            await page_b.locator("#presale .c2b-join").click()
            await expect(page_b.locator("#presale a", has_text="去支付")).to_be_visible()
            await pay(api, viewer_b, await _latest_order(api, viewer_b))
            for page in (page_a, page_b):
                await expect(page.locator("#presale .c2b-count")).to_have_text("2 / 4 已预订")
                width = await page.locator("#presale .c2b-bar > span").evaluate(
                    "node => node.style.width"
                )
                assert width == "50%"
            await shot(page_b, "c2b-room-after")

            # The host starts a poll from the session console; it shows in both rooms and
            # moves with A's vote, in the rooms and in the console.
            console = f"/console/host/sessions/{shop.session_id}"
            await log_in(page_host, live_server, shop.host, console)
            form = page_host.locator("#poll-form")
            await form.locator("input[name=question]").fill("下一款出什么香型？")
            await form.locator("input[name=options]").fill("山茶花，白桃")
            await form.locator("button[type=submit]").click()
            await expect(page_host.locator("#poll-results li")).to_have_count(1)
            for page in (page_a, page_b):
                await expect(page.locator("#c2b-poll .c2b-poll")).to_be_visible()
            await page_a.locator("#c2b-poll .c2b-option").first.click()
            for page in (page_a, page_b):
                await expect(page.locator("#c2b-poll .c2b-votes").first).to_have_text("1 票")
            await shot(page_b, "c2b-room-poll")
            await expect(page_host.locator("#poll-results li").first).to_contain_text("山茶花 1 票")
            await check_phone_page(page_b, "c2b room with poll", "zh")

            # The engraving is stored as typed and shown as text, never as markup.
            pledges = await api.get(
                f"/api/v1/presales/{created.json()['id']}/pledges",
                headers=shop.merchant.headers,
            )
            customisations = [item["customisation"] for item in pledges.json()["items"]]
            assert {"刻字": "<b>阿明</b>"} in customisations
            assert crashes == []
        finally:
            for context in (context_a, context_b, context_host):
                await context.close()
