"""On a phone: a viewer reserves an upcoming session, the host goes live from the
console, and the reminder lights the bell and waits in the inbox."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect

from livecommerce.kit.clock import utcnow
from livecommerce.notifications.service import notification_service
from tests.browser import DESKTOP, PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_viewer_reserves_host_goes_live_and_the_bell_shows_the_reminder(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        host = await sign_up(api, "host", name="小美")
        viewer = await sign_up(api, "viewer", name="小雨")
        room = await api.post("/api/v1/rooms", json={"name": "小美的直播间"}, headers=host.headers)
        assert room.status_code == 201, room.text
        scheduled = await api.post(
            f"/api/v1/rooms/{room.json()['id']}/sessions",
            json={
                "title": "春季上新专场",
                "planned_start_at": (utcnow() + timedelta(hours=1)).isoformat(),
            },
            headers=host.headers,
        )
        assert scheduled.status_code == 201, scheduled.text
    session_id = scheduled.json()["id"]

    errors = PageErrors()
    viewer_context, phone = await new_page(browser, errors, "viewer", PHONE)
    host_context, console = await new_page(browser, errors, "host", DESKTOP)
    try:
        # The viewer reserves from the room page of the upcoming session.
        await log_in(phone, live_server, viewer, f"/live/{session_id}")
        reserve = phone.locator("#reserve")
        await expect(reserve).to_have_text("预约")
        await expect(phone.locator("#reservation-count")).to_have_text("0 人已预约")
        await expect(phone.locator("body")).to_have_attribute("data-unread", "0")
        await reserve.click()
        await expect(reserve).to_have_attribute("aria-pressed", "true")
        await expect(reserve).to_have_text("已预约")
        await expect(phone.locator("#reservation-count")).to_have_text("1 人已预约")
        await check_phone_page(phone, "reserved room", "zh")
        await shot(phone, "reserved-room-phone")

        # The viewer moves on to the home page; the host sees the count and goes live.
        await phone.goto(f"{live_server.url}/")
        # The session shows in the upcoming list and as a card in the feed: both say so.
        reserve_buttons = phone.locator(f'[data-reserve="{session_id}"]')
        await expect(reserve_buttons).to_have_count(2)
        await expect(reserve_buttons).to_have_text(["已预约", "已预约"])
        await expect(phone.locator("body")).to_have_attribute("data-unread", "0")
        await log_in(console, live_server, host, f"/console/host/sessions/{session_id}")
        await expect(console.locator("#stat-reservations")).to_have_text("1")
        await console.click("#start-session")
        await expect(console.locator("#end-session")).to_be_visible()

        # The reminder arrives live: the bell counts it without a reload.
        bell_count = phone.locator("#bell-count")
        await expect(bell_count).to_have_text("1")
        await expect(bell_count).to_be_visible()
        await check_phone_page(phone, "home with a reminder", "zh")
        await shot(phone, "home-reserved-phone")
        await phone.click("#bell")
        await phone.wait_for_url(f"{live_server.url}/notifications")
        item = phone.locator("#inbox .inbox-item")
        await expect(item).to_have_count(1)
        await expect(item.locator(".inbox-title")).to_have_text("你预约的直播开播了")
        await expect(item.locator(".inbox-body")).to_have_text(
            "「春季上新专场」（小美的直播间）正在直播，快来看看吧。"
        )
        await expect(item).to_have_class("inbox-item unread")
        await check_phone_page(phone, "inbox", "zh")
        await shot(phone, "inbox-phone")
        await item.locator("[data-mark-read]").click()
        await expect(item).to_have_class("inbox-item")
        await expect(bell_count).to_be_hidden()
        await item.locator("a", has_text="查看").click()
        await phone.wait_for_url(f"{live_server.url}/live/{session_id}")
        await expect(phone.locator("#reserve-bar")).to_be_hidden()
    finally:
        await viewer_context.close()
        await host_context.close()
    assert errors.errors == []


@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-US", "en")])
async def test_the_unsubscribe_page_works_without_logging_in_on_a_phone(
    live_server: LiveServer, browser: Browser, locale: str, lang: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        viewer = await sign_up(api, "viewer")
    runtime = live_server.app.state.runtime
    token = notification_service.unsubscribe_token(runtime, viewer.id, "reminders")
    errors = PageErrors()
    context, page = await new_page(browser, errors, "unsubscribe", PHONE, lang=locale)
    await context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    try:
        await page.goto(f"{live_server.url}/unsubscribe?token={token}")
        question = "不再通过邮件接收「直播提醒」？站内通知不受影响。"
        if lang == "en":
            question = "Stop e-mails about “Session reminders”? Notifications in the app stay on."
        await expect(page.locator("#unsub-question")).to_have_text(question)
        await check_phone_page(page, "unsubscribe", lang)
        await page.click("#unsub-button")
        await expect(page.locator("#unsub-done")).to_be_visible()
        await page.goto(f"{live_server.url}/unsubscribe?token=broken.{'0' * 40}")
        await expect(page.locator("#unsub-invalid")).to_be_visible()
        await check_phone_page(page, "unsubscribe refused", lang)
    finally:
        await context.close()
    assert errors.errors == []
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        preferences = await api.get("/api/v1/notifications/preferences", headers=viewer.headers)
    assert {"category": "reminders", "in_app": True, "email": False} in preferences.json()["items"]
