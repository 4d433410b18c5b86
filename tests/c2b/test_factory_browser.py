"""In real Chromium on a phone: the factory console (accept, deliver) and a product page
with its pre-sale and the demand votes, in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.orders.shop import add_address, create_listing, pay

pytestmark = pytest.mark.e2e


async def test_factory_console_and_product_page_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        listing = await create_listing(api, title="定制保温杯", price_cents=12900, stock=0)
        supplier = await sign_up(api, "supplier", name="义乌工厂")
        buyer = await sign_up(api, "viewer", name="阿明")
        address = await add_address(api, buyer)
        now = datetime.now(UTC)
        created = await api.post(
            "/api/v1/presales",
            headers=listing.merchant.headers,
            json={
                "sku_id": listing.sku_id,
                "title": "刻字保温杯",
                "price_cents": 9900,
                "moq": 3,
                "max_units": 5,
                "deadline": (now + timedelta(days=1)).isoformat(),
                "expected_ship_at": (now + timedelta(days=9)).isoformat(),
                "supplier_id": supplier.id,
                "production_at_moq": True,
                "customisation_fields": [{"name": "刻字", "max_length": 12}],
            },
        )
        assert created.status_code == 201, created.text
        joined = await api.post(
            f"/api/v1/presales/{created.json()['id']}/join",
            headers=buyer.headers,
            json={
                "quantity": 3,
                "address_id": address["id"],
                "customisation": {"刻字": "<i>阿明</i>"},
            },
        )
        assert joined.status_code == 201, joined.text
        await pay(api, buyer, joined.json()["order_id"])
        await api.post(
            f"/api/v1/products/{listing.product_id}/demand",
            headers=buyer.headers,
            json={"variant": "雾蓝"},
        )

        errors = PageErrors()
        context, page = await new_page(browser, errors, "factory", PHONE)
        context_en, page_en = await new_page(browser, errors, "product-en", PHONE, "en-US")
        try:
            await log_in(page, live_server, supplier, "/factory")
            order = page.locator(".factory-order")
            await expect(order).to_have_count(1)
            await expect(order.locator("[data-role=status]")).to_have_text("待接单")
            await expect(order.locator(".factory-custom")).to_contain_text("刻字: <i>阿明</i>")
            await check_phone_page(page, "factory", "zh")
            await order.locator("button[data-action=accept]").click()
            await expect(page.locator(".factory-order [data-role=status]")).to_have_text("已接单")
            await page.locator(".factory-order button[data-action=deliver]").click()
            await expect(page.locator(".factory-order [data-role=status]")).to_have_text(
                "已送达仓库"
            )
            await shot(page, "c2b-factory")

            await page_en.goto(f"{live_server.url}/products/{listing.product_id}")
            card = page_en.locator("#presales .c2b-card")
            await expect(card).to_be_visible()
            await expect(card.locator(".c2b-count")).to_have_text("3 / 3 booked")
            await expect(page_en.locator("#demand-list li")).to_have_count(1)
            await check_phone_page(page_en, "product with pre-sale", "en")
            await shot(page_en, "c2b-product-en")
        finally:
            await context.close()
            await context_en.close()
