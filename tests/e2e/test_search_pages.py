"""A viewer on a 390x844 phone, in Chinese and in English, searches from the home page's
header, sees rooms (the live one first, with its badge), hosts and products with the
matching words marked, opens a product page and goes from it into the room selling it;
and from the room's product list back to the product page. Every page fits the phone,
nothing covers a control, every string is translated, and a product title that looks
like markup stays text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import PHONE, PageErrors, check_phone_page, new_page, shot
from tests.catalog.helpers import image_bytes, upload
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.live.helpers import create_room, schedule
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)

LANGS = [("zh-CN", "zh"), ("en-GB", "en")]
HOSTILE_TITLE = '<img src=x onerror="document.title=1">龙井茶罐'


async def _open(browser: Browser, errors: PageErrors, server: LiveServer, locale: str) -> Page:
    context, page = await new_page(browser, errors, "search", PHONE, lang=locale)
    await context.add_cookies([{"name": "lang", "value": locale[:2], "url": server.url}])
    await page.goto(server.url + "/")
    return page


@pytest.mark.parametrize(("locale", "lang"), LANGS)
async def test_search_and_product_pages_on_a_phone(
    live_server: LiveServer, browser: Browser, locale: str, lang: str
) -> None:
    zh = lang == "zh"
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(
            api,
            product_title="西湖龙井明前茶",
            room_name="龙井茶园直播间",
            session_title="明前龙井开箱",
        )
        photo = await upload(
            api, f"/api/v1/products/{shop.product['id']}/images", shop.merchant, image_bytes()
        )
        assert photo.status_code == 201, photo.text
        quiet_host = await sign_up(api, "host", name="龙井老茶客")
        quiet_room = await create_room(api, quiet_host, name="老茶客的茶室")
        await schedule(api, quiet_host, quiet_room["id"], title="龙井品鉴会")
        hostile = await api.post(
            "/api/v1/products",
            headers=shop.merchant.headers,
            json={
                "title": HOSTILE_TITLE,
                "status": "on_sale",
                "skus": [{"spec": {"规格": "1罐"}, "price_cents": 5900, "stock": 3}],
            },
        )
        assert hostile.status_code == 201, hostile.text

    errors = PageErrors()
    page = await _open(browser, errors, live_server, locale)
    await check_phone_page(page, f"home-{lang}", lang)
    await shot(page, f"home-search-{lang}")
    await expect(page.locator(".topbar .search-icon")).to_be_visible()

    # The home page's search box.
    await page.fill(".hero-search input[name=q]", "龙井")
    await page.click(".hero-search button[type=submit]")
    await page.wait_for_url("**/search?q=*")
    results = page.locator("#search-results .search-item")
    await expect(results.first).to_be_visible()
    kinds = await results.evaluate_all("(nodes) => nodes.map((node) => node.dataset.kind)")
    assert sorted(kinds) == ["host", "host", "product", "product", "room", "room"]
    first = results.first
    assert await first.get_attribute("data-kind") in ("room", "host")
    await expect(first.locator(".badge-live")).to_have_text("直播" if zh else "LIVE")
    await expect(first.locator(".search-title mark").first).to_have_text("龙井")
    room_items = page.locator('.search-item[data-kind="room"]')
    await expect(room_items.nth(0)).to_contain_text("龙井茶园直播间")
    await expect(room_items.nth(0).locator(".badge-live")).to_have_count(1)
    await expect(room_items.nth(1)).to_contain_text("老茶客的茶室")
    await expect(room_items.nth(1).locator(".badge-live")).to_have_count(0)
    await expect(room_items.nth(1)).to_contain_text("未开播" if zh else "Not live")
    # A title that looks like markup is shown as text.
    hostile_item = page.locator(".search-item", has_text="龙井茶罐")
    await expect(hostile_item.locator(".search-title")).to_contain_text("<img src=x")
    assert await page.locator("#search-results img[src=x]").count() == 0
    assert await page.title() != "1"
    await check_phone_page(page, f"search-{lang}", lang)
    await shot(page, f"search-{lang}")

    # The products tab, then the product page.
    await page.click(".search-tabs a:nth-child(4)")
    await page.wait_for_url("**type=product*")
    kinds = await results.evaluate_all("(nodes) => nodes.map((node) => node.dataset.kind)")
    assert kinds == ["product", "product"]
    await page.click(f'.search-item[data-id="{shop.product["id"]}"] a')
    await page.wait_for_url(f"**/products/{shop.product['id']}")
    await expect(page.locator(".product-title")).to_have_text("西湖龙井明前茶")
    await expect(page.locator(".product-price")).to_have_text("¥99.00 – ¥169.00")
    await expect(page.locator(".product-gallery img")).to_have_count(1)
    await expect(page.locator(".sku-list li")).to_have_count(2)
    await expect(page.locator(".product-summary")).to_contain_text("花间旗舰店")
    selling = page.locator("#selling-now .selling-room")
    await expect(selling).to_have_count(1)
    await expect(selling).to_contain_text("明前龙井开箱")
    await check_phone_page(page, f"product-{lang}", lang)
    await shot(page, f"product-{lang}")

    # Into the room selling it, then from the room's product list back to the product.
    await selling.click()
    await page.wait_for_url(f"**/live/{shop.session_id}")
    await page.click("#bag-button")
    link = page.locator(".showcase-item .showcase-title")
    await expect(link).to_have_text("西湖龙井明前茶")
    await link.click()
    await page.wait_for_url(f"**/products/{shop.product['id']}")
    await expect(page.locator(".product-title")).to_have_text("西湖龙井明前茶")
    assert errors.errors == []


async def test_a_missing_product_page_is_a_404(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        response = await api.get("/products/" + "0" * 32)
        assert response.status_code == 404
        assert "这个商品不存在" in response.text
        body: Any = await api.get("/search", params={"q": "茶", "type": "nonsense"})
        assert body.status_code == 200
