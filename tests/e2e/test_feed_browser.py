"""On a phone: a new viewer scrolls the home feed, opens a room from it and sees why the
room was shown; the room visit is attributed to the feed."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from livecommerce.models import TrafficVisit
from tests.browser import (
    PHONE,
    PageErrors,
    assert_fits,
    assert_translated,
    check_phone_page,
    new_page,
    shot,
)
from tests.conftest import LiveServer
from tests.factories import sign_up

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_a_new_viewer_scrolls_the_feed_opens_a_room_and_sees_why(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        for number in range(14):
            host = await sign_up(api, "host", name=f"主播{number}")
            room = await api.post(
                "/api/v1/rooms",
                json={"name": f"好物直播间{number}", "tags": ["茶叶" if number % 2 else "美妆"]},
                headers=host.headers,
            )
            assert room.status_code == 201, room.text
            scheduled = await api.post(
                f"/api/v1/rooms/{room.json()['id']}/sessions",
                json={
                    "title": f"春季上新专场 {number}",
                    "planned_start_at": "2030-01-01T12:00:00Z",
                },
                headers=host.headers,
            )
            assert scheduled.status_code == 201, scheduled.text
            started = await api.post(
                f"/api/v1/live-sessions/{scheduled.json()['id']}/start", headers=host.headers
            )
            assert started.status_code == 200, started.text

    errors = PageErrors()
    context, phone = await new_page(browser, errors, "viewer", PHONE)
    try:
        await phone.goto(f"{live_server.url}/")
        cards = phone.locator("#feed .feed-card")
        await expect(cards).to_have_count(10)
        await check_phone_page(phone, "home feed", "zh")
        await shot(phone, "feed-home-phone")
        # Scrolling to the end loads the next page of the same visit, without repeats.
        await phone.locator("#feed-sentinel").scroll_into_view_if_needed()
        await expect(cards).to_have_count(14)
        await expect(phone.locator("#feed-end")).to_be_visible()
        ids = await phone.locator("#feed .session-card").evaluate_all(
            "links => links.map(link => link.dataset.sessionId)"
        )
        assert len(set(ids)) == 14
        await shot(phone, "feed-scrolled-phone")

        # "Why am I seeing this" from the card.
        first = cards.nth(0)
        await first.locator(".feed-why").click()
        sheet = phone.locator(".sheet")
        await expect(sheet.locator("h2")).to_have_text("为什么我会看到这个")
        await expect(sheet.locator(".feed-reasons li").first).to_be_visible()
        # The sheet's backdrop covers the page on purpose: it fits and speaks Chinese.
        await assert_fits(phone, "feed why sheet")
        await assert_translated(phone, "feed why sheet", "zh")
        await phone.wait_for_timeout(400)  # the sheet slides in
        await shot(phone, "feed-why-phone")
        await sheet.locator(".close-x").click()

        # Opening the room: the visit counts as feed traffic, and the room says why.
        session_id = await first.locator(".session-card").get_attribute("data-session-id")
        await first.locator(".session-card").click()
        await phone.wait_for_url(f"{live_server.url}/live/{session_id}?imp=*")
        why = phone.locator("#room-why")
        await expect(why).to_have_text("为什么推荐给我")
        await why.click()
        await expect(phone.locator(".sheet h2")).to_have_text("为什么我会看到这个")
        await expect(phone.locator(".sheet .feed-reasons li").first).to_be_visible()
        await assert_fits(phone, "room why sheet")
        await assert_translated(phone, "room why sheet", "zh")
        await phone.wait_for_timeout(400)
        await shot(phone, "feed-room-why-phone")
    finally:
        await context.close()
    assert errors.errors == []
    runtime = live_server.app.state.runtime
    async with runtime.db.reading() as session:
        visits = (await session.scalars(select(TrafficVisit))).all()
    assert [(visit.session_id, visit.source) for visit in visits] == [
        (session_id, "feed_recommend")
    ]
