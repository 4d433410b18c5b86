"""In real Chromium, phone and desktop, Chinese and English: the merchant turns a
demanded variant into a pre-sale of two variants through the form (bad input shows the
server's message next to its field), edits it, switches a decision rule on and off and
reads the decision log; the host reads the demand table of the room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import DESKTOP, PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import Account, sign_up
from tests.orders.shop import add_address, create_listing, open_stage, pay

pytestmark = pytest.mark.e2e


async def _vote(
    api: httpx.AsyncClient, product_id: str, viewers: list[Account], variant: str, **extra: Any
) -> None:
    for index, viewer in enumerate(viewers):
        response = await api.post(
            f"/api/v1/products/{product_id}/demand",
            headers=viewer.headers,
            json={"variant": variant, "price_willing_cents": 9900 + 1000 * index, **extra},
        )
        assert response.status_code == 201, response.text


def _script_errors(errors: PageErrors) -> list[str]:
    """Script errors; the browser's own line about each refused (4xx) request is expected."""
    return [text for text in errors.errors if "Failed to load resource" not in text]


async def _check(page: Page, name: str, lang: str) -> None:
    """The phone checks, from the top of the page once the toasts went away."""
    await expect(page.locator("#toasts .toast")).to_have_count(0, timeout=10_000)
    await page.evaluate("window.scrollTo(0, 0)")
    await check_phone_page(page, name, lang)


async def _error_of(page: Page, field: str) -> str:
    slot = page.locator(f'[data-error-for="{field}"]')
    await expect(slot).to_be_visible()
    return (await slot.text_content() or "").strip()


async def test_merchant_turns_demand_into_a_presale_through_the_form_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        listing = await create_listing(
            api, title="定制保温杯", price_cents=12900, stock=0, spec={"颜色": "奶白"}
        )
        supplier = await sign_up(api, "supplier", name="义乌工厂")
        viewers = [await sign_up(api, "viewer") for _ in range(3)]
        await _vote(api, listing.product_id, viewers, "雾蓝", proposed=True)

        errors = PageErrors()
        context, page = await new_page(browser, errors, "c2b-console-zh", PHONE)
        try:
            await log_in(page, live_server, listing.merchant, "/console/demand")
            row = page.locator(".c2b-demand-row")
            await expect(row).to_have_count(1)
            await expect(row.locator("[data-role=votes]")).to_have_text("3 人想要")
            await expect(row).to_contain_text("观众提议")
            await expect(row).to_contain_text("¥109.00")
            await expect(row.locator(".c2b-profile")).to_contain_text("3 人")
            await _check(page, "demand table", "zh")
            await shot(page, "c2b-demand-zh-phone")

            # From the demanded variant to the form: 雾蓝 is not a SKU yet; add it.
            await row.locator("[data-role=start]").click()
            await page.wait_for_url("**/console/presales/new?**")
            await expect(page.locator("#variant-missing")).to_contain_text("雾蓝")
            await page.click("#variant-add")
            blue = page.locator(".c2b-variant", has_text="雾蓝").locator("input")
            await expect(blue).to_be_checked()
            await page.locator(".c2b-variant", has_text="奶白").locator("input").check()
            await page.select_option("select[name=payment]", "deposit")
            await page.fill("input[name=deposit]", "20")
            await page.fill("input[name=moq]", "10")
            await page.fill("input[name=max_units]", "5")
            await page.click("#custom-add")
            await page.fill("input[name=custom_name]", "刻字")
            await page.select_option("select[name=supplier]", "__email")
            await page.fill("input[name=supplier_email]", supplier.email)
            await _check(page, "pre-sale form", "zh")
            await shot(page, "c2b-form-zh-phone")

            # Bad input: the server's sentence, in Chinese, next to its field.
            await page.click("#presale-submit")
            assert await _error_of(page, "moq") == "起订量至少为 1 且不超过上限"
            await expect(page.locator("input[name=moq]")).to_have_attribute("aria-invalid", "true")
            await shot(page, "c2b-form-error-zh-phone")
            await page.fill("input[name=max_units]", "20")
            await page.fill("input[name=per_buyer_limit]", "500")
            await page.click("#presale-submit")
            assert await _error_of(page, "per_buyer_limit") == "不能大于 99"
            await expect(page.locator('[data-error-for="moq"]')).to_be_hidden()
            await page.fill("input[name=per_buyer_limit]", "5")
            await page.fill("input[name=deposit]", "200")
            await page.click("#presale-submit")
            assert await _error_of(page, "deposit_cents") == "定金必须低于售价（0 表示全款）"
            await page.fill("input[name=deposit]", "20")
            await page.click("#presale-submit")

            await page.wait_for_url("**/console/presales#*")
            item = page.locator(".c2b-campaign")
            await expect(item).to_have_count(1)
            await expect(item.locator("[data-role=booked]")).to_have_text("0 / 10 已预订")
            await expect(item).to_contain_text("雾蓝")
            await expect(item).to_contain_text("奶白")
            await expect(item).to_contain_text("定金 ¥20.00，尾款 ¥109.00")
            await _check(page, "pre-sale console", "zh")
            await shot(page, "c2b-console-zh-phone")
            found = await api.get(f"/api/v1/presales?merchant_id={listing.merchant.id}")
            [sale] = found.json()["items"]
            assert (sale["moq"], sale["max_units"], sale["deposit_cents"]) == (10, 20, 2000)
            assert sale["supplier_id"] == supplier.id
            assert [v["label"] for v in sale["variants"]] == ["奶白", "雾蓝"]
            assert sale["customisation_fields"] == [{"name": "刻字", "max_length": 20}]

            # Edit: the maximum moves; once a buyer joined, the terms are read-only.
            await item.locator("[data-role=edit]").click()
            await page.wait_for_url("**/edit")
            await page.fill("input[name=max_units]", "30")
            await page.click("#presale-submit")
            await page.wait_for_url("**/console/presales#*")
            await expect(page.locator(".c2b-campaign")).to_contain_text("限量 30 件")
            # A buyer picks a variant on the pre-sale's page.
            buyer = viewers[0]
            await add_address(api, buyer)
            buyer_context, buyer_page = await new_page(browser, errors, "c2b-buyer", PHONE)
            try:
                await log_in(buyer_page, live_server, buyer, f"/presales/{sale['id']}")
                card = buyer_page.locator(".c2b-card")
                await card.locator(".c2b-variant-select").select_option(label="雾蓝")
                await card.locator("input[data-name=刻字]").fill("<b>阿明</b>")
                await card.locator(".c2b-join").click()
                await expect(card.locator(".c2b-pay")).to_be_visible()
                await _check(buyer_page, "pre-sale page with variants", "zh")
                await shot(buyer_page, "c2b-presale-variants-zh-phone")
            finally:
                await buyer_context.close()
            mine = (await api.get("/api/v1/presales/mine", headers=buyer.headers)).json()
            [pledge] = [item["pledge"] for item in mine["items"]]
            assert pledge["sku_id"] == sale["sku_ids"][1]  # 雾蓝
            assert pledge["customisation"] == {"刻字": "<b>阿明</b>"}
            await pay(api, buyer, pledge["first_order_id"])
            second = viewers[1]
            address = await add_address(api, second)
            joined = await api.post(
                f"/api/v1/presales/{sale['id']}/join",
                headers=second.headers,
                json={"quantity": 1, "address_id": address["id"], "sku_id": sale["sku_ids"][0]},
            )
            assert joined.status_code == 201, joined.text
            await page.goto(f"{live_server.url}/console/presales/{sale['id']}/edit")
            await expect(page.locator("#locked-note")).to_be_visible()
            await expect(page.locator("input[name=price]")).to_be_disabled()
            await page.fill("input[name=max_units]", "1")
            await page.click("#presale-submit")
            assert await _error_of(page, "max_units") == "已预订 2 件，上限不能低于这个数"
            await _check(page, "pre-sale form, locked", "zh")
            await shot(page, "c2b-form-locked-zh-phone")

            # The same pages at desktop size.
            desk_context, desk = await new_page(browser, errors, "c2b-console-zh-desk", DESKTOP)
            try:
                await log_in(desk, live_server, listing.merchant, "/console/presales")
                await expect(desk.locator(".c2b-campaign")).to_have_count(1)
                await shot(desk, "c2b-console-zh-desktop")
                await desk.goto(f"{live_server.url}/console/presales/{sale['id']}/edit")
                await expect(desk.locator("#locked-note")).to_be_visible()
                await shot(desk, "c2b-form-zh-desktop")
                await desk.goto(f"{live_server.url}/console/demand")
                await expect(desk.locator(".c2b-demand-row")).to_have_count(1)
                await shot(desk, "c2b-demand-zh-desktop")
            finally:
                await desk_context.close()
            assert _script_errors(errors) == []
        finally:
            await context.close()


async def test_rules_log_and_the_host_demand_table_on_desktop_and_phone_in_english(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        listing = await create_listing(api, title="Travel mug", price_cents=12900, stock=0)
        supplier = await sign_up(api, "supplier", name="Yiwu Works")
        stage = await open_stage(api, [listing])
        viewers = [await sign_up(api, "viewer") for _ in range(3)]
        await _vote(api, listing.product_id, viewers, "Mist blue", session_id=stage.session_id)
        # A pre-sale that issues production at its MOQ: a decision with its figures.
        buyer = viewers[0]
        address = await add_address(api, buyer)
        now = datetime.now(UTC)
        created = await api.post(
            "/api/v1/presales",
            headers=listing.merchant.headers,
            json={
                "sku_id": listing.sku_id,
                "price_cents": 9900,
                "moq": 1,
                "max_units": 5,
                "deadline": (now + timedelta(days=2)).isoformat(),
                "expected_ship_at": (now + timedelta(days=9)).isoformat(),
                "supplier_id": supplier.id,
                "production_at_moq": True,
            },
        )
        assert created.status_code == 201, created.text
        joined = await api.post(
            f"/api/v1/presales/{created.json()['id']}/join",
            headers=buyer.headers,
            json={"quantity": 1, "address_id": address["id"]},
        )
        await pay(api, buyer, joined.json()["order_id"])

        errors = PageErrors()
        context, page = await new_page(browser, errors, "c2b-console-en", DESKTOP, "en-US")
        phone_context, phone = await new_page(browser, errors, "c2b-demand-host", PHONE, "en-US")
        try:
            await log_in(page, live_server, listing.merchant, "/console/presales")
            await page.goto(f"{live_server.url}/lang/en?next=/console/presales")
            item = page.locator(".c2b-campaign")
            await expect(item.locator("[data-role=booked]")).to_have_text("1 / 1 booked")
            await expect(item.locator("[data-role=production]")).to_contain_text("Waiting")
            decision = page.locator(".c2b-decision")
            await expect(decision).to_have_count(1)
            await expect(decision).to_contain_text("Production at the minimum")
            await expect(decision).to_contain_text("units paid 1")

            # A rule: bad figures show the server's sentence by the field; then it saves.
            await page.click("#rule-editor > summary")
            await page.fill("#rule-form input[name=threshold]", "0")
            await page.click("#rule-form button[type=submit]")
            assert await _error_of(page, "params.price_cents") == "The rule misses some figures."
            await page.fill("#rule-form input[name=price]", "99")
            await page.fill("#rule-form input[name=moq]", "50")
            await page.fill("#rule-form input[name=max_units]", "80")
            await page.fill("#rule-form input[name=days]", "7")
            await page.click("#rule-form button[type=submit]")
            assert (
                await _error_of(page, "params.threshold") == "This figure of the rule is not valid."
            )
            await page.fill("#rule-form input[name=threshold]", "30")
            await page.click("#rule-form button[type=submit]")
            rule = page.locator(".c2b-rule")
            await expect(rule).to_have_count(1)
            await expect(rule).to_contain_text("Launch a pre-sale when demand passes a threshold")
            await shot(page, "c2b-console-en-desktop")
            switch = rule.locator("input[role=switch]")
            await expect(switch).to_be_checked()
            await switch.click()
            await expect(switch).not_to_be_checked()
            for _ in range(50):
                rules = (
                    await api.get("/api/v1/c2b-rules", headers=listing.merchant.headers)
                ).json()
                if not rules["items"][0]["enabled"]:
                    break
                await page.wait_for_timeout(100)
            assert rules["items"][0]["enabled"] is False
            assert rules["items"][0]["params"]["threshold"] == 30

            await page.goto(f"{live_server.url}/console/presales/new")
            await expect(page.locator(".c2b-variant")).to_have_count(1)
            await shot(page, "c2b-form-en-desktop")
            await page.goto(f"{live_server.url}/console/demand")
            await expect(page.locator(".c2b-demand-row")).to_have_count(1)
            await shot(page, "c2b-demand-en-desktop")

            # The host reads what the room asked for, on a phone.
            await log_in(phone, live_server, stage.host, "/console/demand")
            await phone.goto(f"{live_server.url}/lang/en?next=/console/demand")
            row = phone.locator(".c2b-demand-row")
            await expect(row).to_have_count(1)
            await expect(row.locator("[data-role=votes]")).to_have_text("3 want it")
            await expect(row).to_contain_text("3 people")
            await expect(row.locator("[data-role=start]")).to_have_count(0)
            await _check(phone, "host demand table", "en")
            await shot(phone, "c2b-demand-host-en-phone")

            # The merchant's console and form on a phone, in English.
            await phone_context.close()
            phone_context, phone = await new_page(browser, errors, "c2b-en-phone", PHONE, "en-US")
            await log_in(phone, live_server, listing.merchant, "/console/presales")
            await phone.goto(f"{live_server.url}/lang/en?next=/console/presales")
            await expect(phone.locator(".c2b-decision")).to_have_count(1)
            await _check(phone, "pre-sale console", "en")
            await shot(phone, "c2b-console-en-phone")
            await phone.goto(f"{live_server.url}/console/presales/new")
            await phone.fill("input[name=price]", "12.345")
            await phone.click("#presale-submit")
            assert await _error_of(phone, "price_cents") == "Enter an amount such as 99 or 99.50"
            await phone.fill("input[name=price]", "99")
            await phone.click("#presale-submit")
            assert await _error_of(phone, "moq") == "is required"
            await _check(phone, "pre-sale form", "en")
            await shot(phone, "c2b-form-en-phone")
            assert _script_errors(errors) == []
        finally:
            await context.close()
            await phone_context.close()
