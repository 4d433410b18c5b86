"""On a 390x844 phone: a short video's card in the home feed, next to a live session, opens
the video feed at that video, and the tap counts as the card's click (the video's visit)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from livecommerce.kit.runtime import Runtime
from livecommerce.models import FeedImpression, TrafficVisit
from livecommerce.videos.processing import make_test_video
from tests.browser import PHONE, PageErrors, check_phone_page, new_page, shot
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.live.helpers import create_room, schedule, start
from tests.videos.helpers import process_all

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def test_a_video_card_on_the_home_feed_opens_the_video(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    runtime: Runtime = live_server.app.state.runtime
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as api:
        host = await sign_up(api, "host", name="主播小雅")
        room = await create_room(api, host, name="小雅的茶室", tags=["茶叶"])
        live = await schedule(api, host, room["id"], title="春茶开箱直播")
        await start(api, host, live["id"])
        source = make_test_video(tmp_path / "tea.mp4", seconds=3, width=180, height=320)
        with source.open("rb") as handle:
            uploaded = await api.post(
                "/api/v1/videos",
                headers=host.headers,
                files={"file": ("tea.mp4", handle, "video/mp4")},
            )
        video_id = uploaded.json()["id"]
        await api.patch(
            f"/api/v1/videos/{video_id}",
            headers=host.headers,
            json={"title": "三分钟泡好一杯龙井", "tags": ["茶叶"]},
        )
        await process_all(runtime)
        published = await api.post(
            f"/api/v1/videos/{video_id}/publish", headers=host.headers, json={}
        )
        assert published.status_code == 200, published.text

    errors = PageErrors()
    context, page = await new_page(browser, errors, "home-video", PHONE)
    await page.goto(f"{live_server.url}/")
    card = page.locator(".feed-card[data-kind='video']")
    await expect(card).to_have_count(1)
    await expect(card.locator(".session-title")).to_have_text("三分钟泡好一杯龙井")
    await expect(card.locator(".badge")).to_have_text("短视频")
    await expect(card.locator(".viewers")).to_have_text("0:03")
    await expect(card.locator(".session-host")).to_contain_text("小雅的茶室")
    await expect(page.locator(".feed-card[data-kind='live']")).to_have_count(1)
    poster = card.locator(".session-cover img")
    await expect(poster).to_have_attribute("src", f"/videos/{video_id}/poster.jpg")
    assert await poster.evaluate("(img) => img.complete && img.naturalWidth > 0")
    await card.scroll_into_view_if_needed()
    await shot(page, "home-feed-video-card")
    await check_phone_page(page, "home feed with a video", "zh")

    # "why am I seeing this" works for a video too
    await card.locator(".feed-why").click()
    await expect(page.locator(".sheet .feed-reasons li").first).to_be_visible()
    await page.locator(".sheet .close-x").click()

    impression_id = await card.locator("a.session-card").get_attribute("data-impression-id")
    await card.locator("a.session-card").click()
    await page.wait_for_url(f"{live_server.url}/videos?v={video_id}&imp={impression_id}")
    await expect(page.locator("#video-feed")).to_have_attribute("data-playing", video_id)
    await shot(page, "home-feed-video-opened")
    visits: list[TrafficVisit] = []
    for _ in range(100):  # the page reports the click as it loads
        async with runtime.db.reading() as session:
            visits = list((await session.scalars(select(TrafficVisit))).all())
            shown = await session.get(FeedImpression, impression_id)
        if visits:
            break
        await asyncio.sleep(0.1)
    assert [(v.item_kind, v.session_id, v.source) for v in visits] == [
        ("video", video_id, "feed_recommend")
    ]
    assert shown is not None
    assert shown.clicked_at is not None
    await context.close()

    # on a wide screen, in English
    context, page = await new_page(
        browser, errors, "home-video-wide", {"viewport": {"width": 1280, "height": 800}}
    )
    await context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    await page.goto(f"{live_server.url}/")
    card = page.locator(".feed-card[data-kind='video']")
    await expect(card.locator(".badge")).to_have_text("Video")
    await shot(page, "home-feed-video-card-wide")
    await context.close()
    assert errors.errors == []
