"""On a 390x844 phone: a viewer swipes the video feed, watches a video past its end (counted
once), and taps the "直播中" badge of a live host's video into the room."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from livecommerce.kit.runtime import Runtime
from livecommerce.videos.processing import make_test_video
from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.orders.shop import create_listing, open_stage
from tests.videos.helpers import host_with_room, process_all

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)


async def _published(
    api: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], path: Path, body: dict
) -> str:
    with path.open("rb") as handle:
        uploaded = await api.post(
            "/api/v1/videos", headers=headers, files={"file": (path.name, handle, "video/mp4")}
        )
    assert uploaded.status_code == 202, uploaded.text
    video_id: str = uploaded.json()["id"]
    assert (await api.patch(f"/api/v1/videos/{video_id}", json=body, headers=headers)).is_success
    await process_all(runtime)
    published = await api.post(f"/api/v1/videos/{video_id}/publish", json={}, headers=headers)
    assert published.status_code == 200, published.text
    return video_id


async def test_a_viewer_swipes_watches_and_enters_the_live_room(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    runtime: Runtime = live_server.app.state.runtime
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as api:
        listing = await create_listing(api, title="羊毛围巾", price_cents=9900)
        stage = await open_stage(api, [listing])  # this host is live now
        live_video = await _published(
            api,
            runtime,
            stage.host.headers,
            make_test_video(tmp_path / "live.mp4", seconds=2, width=180, height=320),
            {"title": "围巾的三种系法", "tags": ["穿搭"], "product_ids": [listing.product_id]},
        )
        other_host, _ = await host_with_room(api, name="阿杰的厨房")
        other_video = await _published(
            api,
            runtime,
            other_host.headers,
            make_test_video(tmp_path / "other.mp4", seconds=2, width=180, height=320),
            {"title": "三分钟早餐", "tags": ["美食"]},
        )

        errors = PageErrors()
        context, page = await new_page(browser, errors, "video-feed", PHONE)
        await page.goto(f"{live_server.url}/videos")
        feed = page.locator("#video-feed")
        # newest first: the other host's video, playing; no live badge on it
        first = page.locator(f".video-slide[data-video-id='{other_video}']")
        await expect(first).to_be_visible()
        await expect(feed).to_have_attribute("data-playing", other_video)
        assert await first.locator(".live-badge").count() == 0
        # the next video is loaded ahead; only the visible one plays
        second_video = page.locator(f"video[data-video-id='{live_video}']")
        await expect(second_video).to_have_attribute("preload", "auto")
        assert await second_video.evaluate("(video) => video.paused") is True
        await shot(page, "videos-feed-first")
        await check_phone_page(page, "video feed", "zh")

        # swipe up to the next video: it plays, the first one is paused
        await feed.evaluate("(node) => node.scrollBy({ top: node.clientHeight })")
        await expect(feed).to_have_attribute("data-playing", live_video)
        paused = await first.locator("video").evaluate("(video) => video.paused")
        assert paused is True
        second = page.locator(f".video-slide[data-video-id='{live_video}']")
        badge = second.locator(".live-badge")
        await expect(badge).to_have_text("直播中")
        await expect(second.locator(".video-buy")).to_contain_text("羊毛围巾")
        # watch it past its end: it loops, and its second end reports again
        await expect(feed).to_have_attribute("data-last-ended", live_video, timeout=20_000)
        await page.wait_for_function(
            "(id) => document.querySelector(`video[data-video-id='${id}']`).currentTime > 0.5",
            arg=live_video,
        )
        await page.wait_for_timeout(2500)  # past the second end
        await shot(page, "videos-feed-live")
        figures = (await api.get(f"/api/v1/videos/{live_video}", headers=stage.host.headers)).json()
        assert (figures["views"], figures["completions"]) == (1, 1)

        # the product opens the buy sheet
        await second.locator(".video-buy").click()
        await expect(page.locator(".sheet")).to_contain_text("羊毛围巾")
        await page.wait_for_timeout(400)  # the sheet's slide-in
        await shot(page, "videos-feed-buy-sheet")
        await page.locator(".sheet .close-x").click()

        # the badge enters the host's live room, counted as the video's click
        await badge.click()
        await page.wait_for_url(
            f"{live_server.url}/live/{stage.session_id}?from_video={live_video}"
        )
        await shot(page, "videos-feed-room")
        figures = (await api.get(f"/api/v1/videos/{live_video}", headers=stage.host.headers)).json()
        assert figures["room_clicks"] == 1
        await context.close()

        # the host's console lists the video with its figures, on the phone too
        context, page = await new_page(browser, errors, "video-console", PHONE)
        await log_in(page, live_server, stage.host, "/console/videos")
        row = page.locator(f"tr[data-video-id='{live_video}']")
        await expect(row).to_contain_text("围巾的三种系法")
        await expect(row.locator("td[data-label='完播率']")).to_have_text("100.0%")
        await expect(row.locator("td[data-label='进直播间']")).to_have_text("1")
        await shot(page, "videos-console")
        await check_phone_page(page, "video console", "zh")
        await context.close()

        # on a wide screen the feed is a grid: both videos side by side
        context, page = await new_page(
            browser, errors, "video-grid", {"viewport": {"width": 1280, "height": 800}}
        )
        await page.goto(f"{live_server.url}/videos")
        slides = page.locator(".video-slide")
        await expect(slides).to_have_count(2)
        boxes = [await slides.nth(index).bounding_box() for index in range(2)]
        assert boxes[0] is not None
        assert boxes[1] is not None
        assert boxes[0]["y"] == boxes[1]["y"]
        assert boxes[0]["x"] < boxes[1]["x"]
        await shot(page, "videos-grid")
        assert errors.errors == []
        await context.close()
