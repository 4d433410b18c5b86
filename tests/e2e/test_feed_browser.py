"""On a phone: a new viewer scrolls the home feed, opens a room from it and sees why the
room was shown; the room visit is attributed to the feed."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import insert, select

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.models import TrafficAudit, TrafficVisit
from tests.browser import (
    PHONE,
    PageErrors,
    assert_fits,
    assert_translated,
    check_phone_page,
    log_in,
    new_page,
    shot,
)
from tests.catalog.helpers import make_admin
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


async def test_the_operator_page_and_the_host_panel_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        host = await sign_up(api, "host", name="茶语")
        room = await api.post(
            "/api/v1/rooms", json={"name": "茶语直播间", "tags": ["茶叶"]}, headers=host.headers
        )
        scheduled = await api.post(
            f"/api/v1/rooms/{room.json()['id']}/sessions",
            json={"title": "明前龙井专场", "planned_start_at": "2030-01-01T12:00:00Z"},
            headers=host.headers,
        )
        session_id = scheduled.json()["id"]
        await api.post(f"/api/v1/live-sessions/{session_id}/start", headers=host.headers)
        admin = await sign_up(api, "viewer", name="运营")
        viewer = await sign_up(api)
        feed = await api.get("/api/v1/feed", headers=viewer.headers)
        (item,) = feed.json()["items"]
        await api.post(
            f"/api/v1/feed/impressions/{item['impression_id']}/click", headers=viewer.headers
        )
    await make_admin(live_server.app.state.runtime, admin)

    errors = PageErrors()
    context, phone = await new_page(browser, errors, "admin", PHONE)
    host_context, host_phone = await new_page(browser, errors, "host", PHONE)
    try:
        await log_in(phone, live_server, admin, "/admin/traffic")
        weights = phone.locator("#policy-form input[name=w_pools]")
        await expect(weights).to_have_value("0.6")
        await expect(phone.locator("#room-controls li")).to_have_count(1)
        await expect(phone.locator("#distribution-gini")).to_have_text("基尼系数 0.00")
        await check_phone_page(phone, "admin traffic", "zh")
        await phone.fill("#policy-form input[name=w_pools]", "0")
        await phone.fill("#policy-form input[name=w_tags]", "1")
        await phone.click("#policy-save")
        await expect(phone.locator("#audit-log li")).to_have_count(1)
        await phone.locator('#room-controls [data-boost="pin"]').click()
        await expect(phone.locator("#audit-log li")).to_have_count(2)
        await expect(phone.locator("#room-controls .badge")).to_have_text("已置顶")
        await shot(phone, "feed-admin-phone")

        await log_in(host_phone, live_server, host, f"/console/host/sessions/{session_id}")
        await expect(host_phone.locator("#traffic-tier")).to_have_text("流量池第 1 / 4 级")
        await expect(host_phone.locator("#traffic-exposures")).to_have_text("曝光 1 次")
        row = host_phone.locator('#traffic-sources tr[data-source="feed_recommend"] td')
        await expect(row).to_have_text(["推荐页", "1", "100.0%", "1"])
        await check_phone_page(host_phone, "host traffic panel", "zh")
        await host_phone.locator("#traffic-panel").scroll_into_view_if_needed()
        await shot(host_phone, "feed-host-panel-phone")
    finally:
        await context.close()
        await host_context.close()
    assert errors.errors == []


async def test_the_operator_page_loads_more_of_the_audit(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        admin = await sign_up(api, "viewer", name="运营")
    runtime = live_server.app.state.runtime
    await make_admin(runtime, admin)
    at = utcnow() - timedelta(hours=1)
    async with runtime.db.transaction() as session:
        await session.execute(
            insert(TrafficAudit),
            [
                {
                    "id": new_id(),
                    "actor_id": admin.id,
                    "action": "policy",
                    "room_id": None,
                    "detail": {},
                    "created_at": at + timedelta(seconds=number),
                }
                for number in range(52)
            ],
        )
    errors = PageErrors()
    context, phone = await new_page(browser, errors, "admin", PHONE)
    try:
        await log_in(phone, live_server, admin, "/admin/traffic")
        await expect(phone.locator("#audit-log li:not(.list-more)")).to_have_count(50)
        more = phone.locator("#audit-log .list-more button")
        await expect(more).to_have_text("加载更多")
        await more.click()
        await expect(phone.locator("#audit-log li:not(.list-more)")).to_have_count(52)
        await expect(phone.locator("#audit-log .list-more")).to_have_count(0)
        await check_phone_page(phone, "admin traffic audit", "zh")
    finally:
        await context.close()
    assert errors.errors == []


async def test_a_viewer_reserves_an_upcoming_session_from_the_feed(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        host = await sign_up(api, "host", name="预告主播")
        room = await api.post("/api/v1/rooms", json={"name": "预告直播间"}, headers=host.headers)
        assert room.status_code == 201, room.text
        upcoming = await api.post(
            f"/api/v1/rooms/{room.json()['id']}/sessions",
            json={
                "title": "明晚新品预告",
                "planned_start_at": (utcnow() + timedelta(hours=3)).isoformat(),
            },
            headers=host.headers,
        )
        assert upcoming.status_code == 201, upcoming.text
        session_id = upcoming.json()["id"]
        viewer = await sign_up(api, name="预约观众")

    errors = PageErrors()
    context, phone = await new_page(browser, errors, "reserver", PHONE)
    try:
        await log_in(phone, live_server, viewer, "/")
        card = phone.locator(
            f'#feed .feed-card[data-kind="upcoming"]:has([data-session-id="{session_id}"])'
        )
        button = card.locator(".feed-reserve")
        await expect(button).to_have_text("预约")
        await check_phone_page(phone, "feed with an upcoming session", "zh")
        await button.click()
        await expect(button).to_have_text("已预约")
        await shot(phone, "feed-reserved-phone")
        await expect(button).to_have_attribute("aria-pressed", "true")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            detail = await api.get(f"/api/v1/live-sessions/{session_id}")
            assert detail.json()["reservation_count"] == 1
        # Pressed again, the reservation is withdrawn.
        await button.click()
        await expect(button).to_have_text("预约")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            detail = await api.get(f"/api/v1/live-sessions/{session_id}")
            assert detail.json()["reservation_count"] == 0
    finally:
        await context.close()
    assert errors.errors == []
