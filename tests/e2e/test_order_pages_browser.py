"""On a phone, the merchant console and the buyer's orders reach orders past the first page."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import insert

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Order
from tests.browser import PHONE, PageErrors, log_in, new_page
from tests.conftest import LiveServer
from tests.factories import sign_up

pytestmark = pytest.mark.e2e


async def test_merchant_loads_more_orders_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        merchant = await sign_up(api, "merchant")
        buyer = await sign_up(api)
    runtime: Runtime = live_server.app.state.runtime
    start = utcnow() - timedelta(hours=2)
    rows = [
        {
            "id": new_id(),
            "buyer_id": buyer.id,
            "merchant_id": merchant.id,
            "status": "paid",
            "currency": "CNY",
            "subtotal_cents": 1000,
            "discount_cents": 0,
            "total_cents": 1000,
            "shipping_address": {"recipient": "张三"},
            "created_at": start + timedelta(minutes=number),
            "expires_at": start + timedelta(days=1),
            "paid_at": start + timedelta(minutes=number),
        }
        for number in range(60)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(Order), rows)
    newest_first = [row["id"] for row in reversed(rows)]

    errors = PageErrors()
    context, page = await new_page(browser, errors, "merchant", PHONE)
    try:
        await log_in(page, live_server, merchant, "/console/merchant")
        cards = page.locator("#merchant-orders .order-card")
        await expect(cards).to_have_count(50)
        more = page.locator("#merchant-orders .list-more button")
        await expect(more).to_have_text("加载更多")
        await more.click()
        await expect(cards).to_have_count(60)
        await expect(more).to_have_count(0)
        shown = await cards.evaluate_all("(cards) => cards.map((card) => card.dataset.orderId)")
        assert shown == newest_first
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert overflow is False
    finally:
        await context.close()

    # The buyer's own orders page pages the same way.
    context, page = await new_page(browser, errors, "buyer", PHONE)
    try:
        await log_in(page, live_server, buyer, "/orders")
        cards = page.locator("#order-list .order-card")
        await expect(cards).to_have_count(50)
        await page.locator("#order-list .list-more button").click()
        await expect(cards).to_have_count(60)
        await expect(page.locator("#order-list .list-more")).to_have_count(0)
        shown = await cards.evaluate_all("(cards) => cards.map((card) => card.dataset.orderId)")
        assert shown == newest_first
    finally:
        await context.close()
    assert errors.errors == [], errors.errors
