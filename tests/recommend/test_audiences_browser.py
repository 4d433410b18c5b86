"""The merchant's audiences console in Chromium, on a phone (zh) and a desktop (en): build an
audience from profile filters and see its size and mix, target it with a coupon and a
hold-out, and read the uplift once a targeted viewer comes back to the product."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from livecommerce.recommend.service import recommend_service
from tests.browser import (
    DESKTOP,
    PHONE,
    PageErrors,
    assert_fits,
    assert_translated,
    check_phone_page,
    log_in,
    new_page,
    shot,
)
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_a_merchant_builds_an_audience_targets_it_and_reads_the_uplift(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        product_id = shop.product["id"]
        viewers = [await sign_up(api, "viewer", name=f"茶客{n}") for n in range(6)]
        for viewer in viewers:
            clicked = await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/events",
                headers=viewer.headers,
                json={"kind": "product_click", "product_id": product_id},
            )
            assert clicked.status_code == 204, clicked.text
        now = datetime.now(UTC)
        coupon = await api.post(
            "/api/v1/coupons",
            headers=shop.merchant.headers,
            json={
                "audience": "merchant",
                "title": "老客回购券",
                "currency": "CNY",
                "discount_kind": "amount",
                "amount_off_cents": 500,
                "min_spend_cents": 0,
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(days=7)).isoformat(),
                "total_limit": 100,
                "per_user_limit": 1,
            },
        )
        assert coupon.status_code == 201, coupon.text
    async with live_server.app.state.runtime.db.transaction() as session:
        await recommend_service.do_train(session)
    category = shop.product["category"]

    errors = PageErrors()
    context, page = await new_page(browser, errors, "audiences", PHONE)
    context_en, page_en = await new_page(browser, errors, "audiences-en", DESKTOP, "en-US")
    try:
        await log_in(page, live_server, shop.merchant, "/console/merchant")
        await page.click("a[href='/console/audiences']")
        await page.wait_for_url(f"{live_server.url}/console/audiences")
        await expect(page.locator("h1")).to_have_text("人群与定向投放")
        await expect(page.locator("#audience-size-line")).to_have_text("符合条件的人群：6 人")
        await expect(page.locator(".audience-mix li")).to_have_count(1)
        await expect(page.locator(".audience-mix-name")).to_have_text(category)

        # Narrow it: returning buyers only (nobody has bought yet), then back to everyone.
        await page.select_option("#audience-buyers", "returning")
        await page.click("#audience-preview-button")
        await expect(page.locator("#audience-size-line")).to_have_text("符合条件的人群：0 人")
        await expect(page.locator("#audience-preview .empty")).to_be_visible()
        await page.select_option("#audience-buyers", "all")
        await page.select_option("#audience-interest", category)
        await page.fill("#audience-size", "4")
        await page.click("#audience-preview-button")
        await expect(page.locator("#audience-size-line")).to_have_text("符合条件的人群：4 人")
        await shot(page, "audiences-preview-phone-zh")
        await check_phone_page(page, "audiences-zh", "zh")

        # Target 4 with the coupon, 20 % held out: 4 / 0.8 = 5 people, 1 of them held out.
        await page.select_option("#campaign-holdout", "0.2")
        await expect(page.locator("#campaign-split")).to_contain_text("最多给 4 人发送")
        await expect(page.locator("#campaign-split")).to_contain_text("留出最多 1 人")
        await page.select_option("#campaign-coupon", label="老客回购券")
        await page.fill("#campaign-message", "面霜补货了，送你一张券")
        await page.click("#campaign-launch")
        item = page.locator(".campaign-item")
        await expect(item).to_have_count(1)
        await expect(item.locator(".campaign-message")).to_have_text("面霜补货了，送你一张券")
        await expect(item.locator(".is-target .campaign-group-figure")).to_have_text(
            "0/4 人浏览或购买（0%）"
        )
        await expect(item.locator(".is-holdout .campaign-group-figure")).to_have_text(
            "0/1 人浏览或购买（0%）"
        )
        await expect(item.locator(".campaign-uplift")).to_have_text("提升 0.0 个百分点")

        # A targeted viewer comes back to the product; the hold-out does not.
        campaigns = await _campaigns(live_server, shop.merchant.headers)
        targeted = await _targeted(live_server, campaigns[0]["id"])
        returning = next(v for v in viewers if v.id in targeted)
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            clicked = await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/events",
                headers=returning.headers,
                json={"kind": "product_click", "product_id": product_id},
            )
            assert clicked.status_code == 204, clicked.text
        await page.click("#campaigns-refresh")
        await expect(item.locator(".is-target .campaign-group-figure")).to_have_text(
            "1/4 人浏览或购买（25%）"
        )
        await expect(item.locator(".campaign-uplift")).to_have_text("提升 +25.0 个百分点")
        await expect(page.locator(".toast")).to_have_count(0)  # the launch's notice has gone
        await item.scroll_into_view_if_needed()
        await shot(page, "audiences-uplift-phone-zh")
        await page.evaluate("window.scrollTo(0, 0)")
        await check_phone_page(page, "audiences-uplift-zh", "zh")

        await log_in(page_en, live_server, shop.merchant, "/console/audiences")
        await page_en.goto(f"{live_server.url}/lang/en?next=/console/audiences")
        await expect(page_en.locator("h1")).to_have_text("Audiences and targeting")
        await expect(page_en.locator("#audience-size-line")).to_have_text("This audience: 6 people")
        await expect(page_en.locator(".campaign-uplift")).to_have_text(
            "Uplift +25.0 percentage points"
        )
        await expect(page_en.locator(".is-holdout .campaign-group-figure")).to_have_text(
            "0 of 1 viewed or bought (0%)"
        )
        await assert_fits(page_en, "audiences-en")
        await assert_translated(page_en, "audiences-en", "en")
        await shot(page_en, "audiences-desktop-en")
        await page_en.goto(f"{live_server.url}/lang/zh?next=/console/audiences")
        await expect(page_en.locator(".campaign-uplift")).to_have_text("提升 +25.0 个百分点")
        await expect(page_en.locator("#audience-size-line")).to_have_text("符合条件的人群：6 人")
        await assert_fits(page_en, "audiences-desktop-zh")
        await assert_translated(page_en, "audiences-desktop-zh", "zh")
        await shot(page_en, "audiences-desktop-zh")

        await page.goto(f"{live_server.url}/lang/en?next=/console/audiences")
        await expect(page.locator("#audience-size-line")).to_have_text("This audience: 6 people")
        await expect(page.locator(".campaign-uplift")).to_have_text(
            "Uplift +25.0 percentage points"
        )
        await shot(page, "audiences-phone-en")
        await check_phone_page(page, "audiences-en", "en")
        await page.locator(".campaign-item").scroll_into_view_if_needed()
        await shot(page, "audiences-uplift-phone-en")
        assert errors.errors == []
    finally:
        await context.close()
        await context_en.close()


async def _campaigns(server: LiveServer, headers: dict[str, str]) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        listed = await api.get("/api/v1/campaigns", headers=headers)
        assert listed.status_code == 200, listed.text
        items: list[dict[str, object]] = listed.json()["items"]
        return items


async def _targeted(server: LiveServer, campaign_id: object) -> set[str]:
    """Who was targeted (the test looks; the merchant never can)."""
    from sqlalchemy import select

    from livecommerce.models import TargetingMember

    async with server.app.state.runtime.db.transaction() as session:
        rows = await session.scalars(
            select(TargetingMember.user_id).where(
                TargetingMember.campaign_id == str(campaign_id),
                TargetingMember.group == "target",
            )
        )
        return set(rows)


async def test_a_host_invites_an_upcoming_sessions_audience_and_reads_the_uplift(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        product_id = shop.product["id"]
        viewers = [await sign_up(api, "viewer", name=f"茶客{n}") for n in range(6)]
        for viewer in viewers:
            clicked = await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/events",
                headers=viewer.headers,
                json={"kind": "product_click", "product_id": product_id},
            )
            assert clicked.status_code == 204, clicked.text
        planned = datetime.now(UTC) + timedelta(days=2)
        upcoming = await api.post(
            f"/api/v1/rooms/{shop.room['id']}/sessions",
            headers=shop.host.headers,
            json={"title": "周末护肤专场", "planned_start_at": planned.isoformat()},
        )
        assert upcoming.status_code == 201, upcoming.text
        session_id = upcoming.json()["id"]
        added = await api.post(
            f"/api/v1/live-sessions/{session_id}/showcase",
            headers=shop.host.headers,
            json={"product_id": product_id},
        )
        assert added.status_code == 201, added.text
    async with live_server.app.state.runtime.db.transaction() as session:
        await recommend_service.do_train(session)

    errors = PageErrors()
    context, page = await new_page(browser, errors, "host-audiences", PHONE)
    context_en, page_en = await new_page(browser, errors, "host-audiences-en", DESKTOP, "en-US")
    try:
        await log_in(page, live_server, shop.host, "/console/host")
        invite = page.locator(f"[data-session-id='{session_id}'] a", has_text="邀请观众")
        await invite.click()
        await page.wait_for_url(f"{live_server.url}/console/audiences?session={session_id}")
        await expect(page.locator("#audience-subject")).to_have_value(session_id)
        await expect(page.locator("#audience-subject option:checked")).to_contain_text(
            "周末护肤专场"
        )
        await expect(page.locator("#audience-size-line")).to_have_text("符合条件的人群：6 人")
        await page.fill("#audience-size", "3")
        await page.fill("#campaign-message", "周六晚八点开播，预约有惊喜")
        await page.click("#campaign-launch")
        item = page.locator(".campaign-item")
        await expect(item.locator(".campaign-product")).to_have_text("周末护肤专场")
        await expect(item.locator(".is-target .campaign-group-figure")).to_have_text(
            "0/3 人预约或进入直播间（0%）"
        )
        campaigns = await _campaigns(live_server, shop.host.headers)
        assert [(c["session_id"], c["product_id"]) for c in campaigns] == [(session_id, None)]
        targeted = await _targeted(live_server, campaigns[0]["id"])
        chosen = next(viewer for viewer in viewers if viewer.id in targeted)
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            reserved = await api.post(
                f"/api/v1/live-sessions/{session_id}/reservation", headers=chosen.headers
            )
            assert reserved.status_code in (200, 201), reserved.text
        await page.click("#campaigns-refresh")
        await expect(item.locator(".is-target .campaign-group-figure")).to_have_text(
            "1/3 人预约或进入直播间（33.3%）"
        )
        # The person who reserved leaves the audience: the reminders reach them anyway.
        await page.fill("#audience-size", "10")
        await page.click("#audience-preview-button")
        await expect(page.locator("#audience-size-line")).to_have_text("符合条件的人群：5 人")
        await expect(page.locator(".toast")).to_have_count(0)  # the launch's notice has gone
        await shot(page, "host-audiences-phone-zh")
        await check_phone_page(page, "host-audiences-zh", "zh")

        await log_in(page_en, live_server, shop.host, "/console/audiences")
        await page_en.goto(f"{live_server.url}/lang/en?next=/console/audiences")
        await expect(page_en.locator("h1")).to_have_text("Audiences and targeting")
        await expect(page_en.locator(".is-target .campaign-group-figure")).to_have_text(
            "1 of 3 reserved or came in (33.3%)"
        )
        await assert_fits(page_en, "host-audiences-en")
        await assert_translated(page_en, "host-audiences-en", "en")
        await shot(page_en, "host-audiences-desktop-en")
        assert errors.errors == []
    finally:
        await context.close()
        await context_en.close()
