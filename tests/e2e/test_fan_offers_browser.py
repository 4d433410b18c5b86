"""On a 390x844 phone, in the room: a fan-club coupon is marked as the club's, and a
flash sale with early access (粉丝优先购) opens its buy button to members before the
start, while a viewer outside the club is told why they must wait; both languages."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.fans.helpers import join
from tests.web.scenario import add_address, build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_members_buy_early_and_see_their_coupon(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        room_id = shop.room["id"]
        member = await sign_up(api, "viewer", name="铁粉")
        passerby = await sign_up(api, "viewer", name="路人")
        await join(api, member, room_id)
        for account, name in ((member, "铁粉"), (passerby, "路人")):
            await add_address(api, account, name)
        coupon = await api.post(
            "/api/v1/coupons",
            headers=shop.host.headers,
            json={
                "title": "粉丝团专享券",
                "audience": "fan_club",
                "discount_kind": "amount",
                "amount_off_cents": 500,
                "ends_at": "2099-01-01T00:00:00Z",
                "total_limit": 10,
            },
        )
        assert coupon.status_code == 201, coupon.text
        dropped = await api.post(
            f"/api/v1/live-sessions/{shop.session_id}/coupons/{coupon.json()['id']}/drop",
            headers=shop.host.headers,
        )
        assert dropped.status_code == 200, dropped.text
        sku = shop.product["skus"][0]
        sale = await api.post(
            f"/api/v1/live-sessions/{shop.session_id}/flash-sales",
            headers=shop.host.headers,
            json={
                "product_id": shop.product["id"],
                "sku_id": sku["id"],
                "price_cents": 8900,
                "units": 5,
                "per_buyer_limit": 1,
                "starts_in_s": 600,
                "duration_s": 600,
                "fans_early_s": 900,
                "fans_min_level": 1,
            },
        )
        assert sale.status_code == 201, sale.text

    errors = PageErrors()
    room = f"/live/{shop.session_id}"
    context, page = await new_page(browser, errors, "fan-offers", PHONE)
    try:
        await log_in(page, live_server, member, room)
        card = page.locator(f"[data-coupon-id='{coupon.json()['id']}']")
        await expect(card.locator(".ix-tag")).to_have_text("粉丝团")
        await expect(page.locator("#flash-early")).to_have_text("粉丝团 1 级以上提前 15 分钟抢")
        grab = page.locator("#flash-buy")
        await expect(grab).to_have_text("粉丝先抢")
        await expect(grab).to_be_enabled()
        await check_phone_page(page, "fan-offers-member-zh", "zh")
        await page.screenshot(path="/tmp/fans-offers-member-zh.png")
        await grab.click()
        await expect(page.locator("#flash-pay")).to_be_visible()
        await context.clear_cookies()

        await page.goto(f"{live_server.url}/lang/en?next={room}")
        await log_in(page, live_server, passerby, room)
        await expect(page.locator("#flash-early")).to_have_text(
            "Fan club level 1+ buys 15 min early"
        )
        await expect(page.locator("#flash-buy")).to_have_text("Fans first")
        await check_phone_page(page, "fan-offers-passerby-en", "en")
        await page.screenshot(path="/tmp/fans-offers-passerby-en.png")
        await page.click("#flash-buy")
        refused = "Fan-club members at level 1 or up only."
        await expect(page.locator(".toast-error")).to_contain_text(refused)
        await expect(page.locator("#flash-pay")).to_have_count(0)
        # The refused request is the only error the page logged.
        assert [e for e in errors.errors if "403" not in e] == []
    finally:
        await context.close()
