"""In real Chromium: the host runs a coupon drop, a lottery and the Q&A queue from the
console; viewers claim, enter, win, claim the prize, ask, see the FAQ and pay less."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from livecommerce.interactions import draw
from tests.browser import DESKTOP, PHONE, PageErrors, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e


async def test_coupon_lottery_and_questions_in_the_room(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer_a = await sign_up(api, "viewer", name="阿明")
        viewer_b = await sign_up(api, "viewer", name="小红")
        await add_address(api, viewer_a, "阿明")
        await add_address(api, viewer_b, "小红")

    errors = PageErrors()
    crashes: list[str] = []
    room_path = f"/live/{shop.session_id}"
    host_context, host = await new_page(browser, errors, "host", DESKTOP)
    context_a, page_a = await new_page(browser, errors, "A", DESKTOP)
    context_b, page_b = await new_page(browser, errors, "B", PHONE)
    for watched in (host, page_a, page_b):
        watched.on("pageerror", lambda error: crashes.append(str(error)))
    try:
        await log_in(host, live_server, shop.host, f"/console/host/sessions/{shop.session_id}")
        await log_in(page_a, live_server, viewer_a, room_path)
        await log_in(page_b, live_server, viewer_b, room_path)
        for page in (page_a, page_b):
            await expect(page.locator("body")).to_have_attribute("data-realtime", "ready")

        # A coupon, created and dropped from the console; A claims it.
        coupon_form = host.locator("#coupon-form")
        await coupon_form.locator("input[name=amount]").fill("5")
        await coupon_form.locator("#coupon-create").click()
        created = host.locator("#console-coupons [data-drop]").first
        await expect(created).to_be_visible()
        # Created, not handed out: the console says so, and the room does not show it.
        await expect(host.locator("#console-coupons [data-dropped]")).to_have_count(0)
        await page_b.reload()
        await expect(page_b.locator("body")).to_have_attribute("data-realtime", "ready")
        await expect(page_b.locator("#coupon-drop")).to_be_hidden()
        await created.click()
        await expect(host.locator("#console-coupons [data-dropped]")).to_have_count(1)
        for page in (page_a, page_b):
            await expect(page.locator("#coupon-drop")).to_contain_text("直播间专享券")
        await page_a.locator("#coupon-claim").click()
        await expect(page_a.locator("#coupon-drop")).to_be_hidden()

        # A lottery with a keyword, launched from the console.
        lottery_form = host.locator("#lottery-form")
        prize = lottery_form.locator("#lottery-prize option", has_text="山茶花保湿面霜 (100ml)")
        await lottery_form.locator("#lottery-prize").select_option(
            await prize.get_attribute("value")
        )
        await lottery_form.locator("input[name=keyword]").fill("想要")
        await lottery_form.locator("input[name=countdown]").fill("600")
        await lottery_form.locator("#lottery-launch").click()
        for page in (page_a, page_b):
            await expect(page.locator("#lottery")).to_contain_text("发送口令「想要」")
            await expect(page.locator("#lottery-countdown")).to_contain_text("距开奖")
        await page_a.locator("#lottery-enter").click()
        await expect(page_a.locator("#lottery .ix-missing")).to_have_text("发送口令「想要」")
        await page_a.fill("#chat-input", "主播我想要！")
        await page_a.press("#chat-input", "Enter")
        await expect(page_b.locator("#chat-list", has_text="主播我想要！")).to_have_count(1)
        await page_a.locator("#lottery-enter").click()
        await expect(page_a.locator("#lottery-enter")).to_have_text("已参与")
        await expect(host.locator("#console-lottery-status")).to_contain_text("参与人数 1")
        await host.locator("#console-lottery-status button", has_text="立即开奖").click()
        for page in (page_a, page_b):
            await expect(page.locator("#lottery-winners")).to_contain_text("阿*")
            await expect(page.locator("#lottery-seed")).to_be_visible()
        await expect(page_a.locator("#lottery-you-won")).to_be_visible()
        await page_a.locator("#lottery-claim").click()
        await expect(page_a.locator("#lottery-claim")).to_have_text("已领取")

        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            lotteries = (
                await api.get(f"/api/v1/live-sessions/{shop.session_id}/lotteries")
            ).json()["items"]
            [public] = lotteries
            winners = [winner["user_id"] for winner in public["winners"]]
            assert winners == draw.draw_winners(public["seed"], public["entrants"], 1)
            assert winners == [viewer_a.id]

        # B asks about the pinned product; the host answers; the card shows the FAQ.
        await page_b.locator("#qa-button").click()
        await page_b.fill("#qa-input", "干皮能用吗？")
        await page_b.press("#qa-input", "Enter")
        await expect(page_a.locator("#qa-answering")).to_be_hidden()
        question = host.locator("#console-questions li", has_text="干皮能用吗？")
        await expect(question).to_have_count(1)
        await question.locator("button", has_text="正在回答").click()
        for page in (page_a, page_b):
            await expect(page.locator("#qa-answering")).to_have_text("主播正在回答：干皮能用吗？")
        await question.locator("input").fill("可以，很滋润。")
        await question.locator("button", has_text="已回答").click()
        for page in (page_a, page_b):
            await expect(page.locator("#qa-answering")).to_be_hidden()
            await expect(page.locator("#product-faq")).to_contain_text("干皮能用吗？")
        await page_b.locator("#product-faq summary").click()
        await expect(page_b.locator("#product-faq dd")).to_have_text("可以，很滋润。")

        # A buys the pinned product with the coupon: the sheet shows the discount.
        await page_a.click("#pinned [data-buy]")
        sheet = page_a.locator(".sheet")
        await sheet.locator(".chip", has_text="50ml").click()
        await sheet.locator("[data-claim]").check()
        await expect(sheet.locator(".sheet-foot")).to_contain_text("优惠 −¥5.00")
        await expect(sheet.locator(".sheet-foot")).to_contain_text("实付 ¥84.00")
        await page_a.click("#place-order")
        await page_a.wait_for_url(f"{live_server.url}/pay/sandbox/**")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            orders = (await api.get("/api/v1/orders", headers=viewer_a.headers)).json()["items"]
        bought = [order for order in orders if order["total_cents"] > 0]
        assert [(order["discount_cents"], order["total_cents"]) for order in bought] == [
            (500, 8400)
        ]
        assert crashes == []
    finally:
        for context in (host_context, context_a, context_b):
            await context.close()
