"""My profile (我的画像) on a phone: plain words in zh and en, the personalisation switch,
the erase button; the product page shows what people who viewed it also viewed."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from livecommerce.recommend.service import recommend_service
from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_a_viewer_reads_switches_off_and_erases_their_profile_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        other = await api.post(
            "/api/v1/products",
            headers=shop.merchant.headers,
            json={
                "title": "玫瑰精华水",
                "category": "护肤",
                "currency": "CNY",
                "status": "on_sale",
                "skus": [{"spec": {"容量": "100ml"}, "price_cents": 15900, "stock": 5}],
            },
        )
        assert other.status_code == 201, other.text
        shown = await api.post(
            f"/api/v1/live-sessions/{shop.session_id}/showcase",
            headers=shop.host.headers,
            json={"product_id": other.json()["id"]},
        )
        assert shown.status_code == 201, shown.text
        viewer = await sign_up(api, "viewer", name="阿花")
        fan = await sign_up(api, "viewer", name="小白")
        for who in (viewer, fan):
            for product_id in (shop.product["id"], other.json()["id"]):
                clicked = await api.post(
                    f"/api/v1/live-sessions/{shop.session_id}/events",
                    headers=who.headers,
                    json={"kind": "product_click", "product_id": product_id},
                )
                assert clicked.status_code == 204, clicked.text
    async with live_server.app.state.runtime.db.transaction() as session:
        await recommend_service.do_train(session)

    errors = PageErrors()
    context, page = await new_page(browser, errors, "profile", PHONE)
    try:
        await log_in(page, live_server, viewer, "/me/profile")
        await expect(page.locator(".profile-lines")).to_contain_text("你最近常看的品类")
        await expect(page.locator(".profile-lines")).to_contain_text("已记录的行为：2 条")
        await shot(page, "profile-phone-zh")
        await check_phone_page(page, "profile-zh", "zh")

        toggle = page.locator("#personalised-toggle")
        await expect(toggle).to_have_text("关闭个性化推荐")
        await toggle.click()
        await expect(page.locator("#personalised-state")).to_have_text(
            "已关闭：你只会看到大家都喜欢的热门推荐。"
        )
        await expect(toggle).to_have_text("开启个性化推荐")
        await page.reload()
        await expect(page.locator("#personalised-toggle")).to_have_text("开启个性化推荐")

        await page.goto(f"{live_server.url}/products/{shop.product['id']}")
        strip = page.locator("#recommended")
        await expect(strip.locator("h2")).to_have_text("看过这件的人还看了")
        await expect(strip.locator(".recommend-title")).to_have_text(["玫瑰精华水"])
        await shot(page, "product-also-phone-zh")
        await check_phone_page(page, "product-also-zh", "zh")

        await page.goto(f"{live_server.url}/lang/en?next=/me/profile")
        await expect(page.locator("h1")).to_have_text("My profile")
        await check_phone_page(page, "profile-en", "en")
        page.once("dialog", lambda dialog: dialog.accept())
        await page.click("#erase-button")
        await expect(page.locator("#erase-result")).to_contain_text("records erased")
        await expect(page.locator("#profile-empty")).to_be_visible()
        await shot(page, "profile-erased-phone-en")
        await check_phone_page(page, "profile-erased-en", "en")
        assert errors.errors == []
    finally:
        await context.close()
