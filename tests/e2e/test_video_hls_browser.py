"""On a 390x844 phone: a long video streams its HLS rendition (hls.js where the browser has
no native HLS), a short one plays its MP4, and a browser with neither gets the MP4."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Request, expect

from livecommerce.config import Settings
from livecommerce.kit.runtime import Runtime
from livecommerce.videos.processing import make_test_video
from tests.browser import PHONE, PageErrors, check_phone_page, new_page, shot
from tests.conftest import LiveServer
from tests.videos.helpers import host_with_room, process_all

pytestmark = pytest.mark.e2e

expect.set_options(timeout=20_000)

NO_NATIVE_HLS = """(() => {
  const original = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? "" : original.call(this, type);
  };
})();"""

NO_HLS_AT_ALL = NO_NATIVE_HLS + "delete window.MediaSource; delete window.ManagedMediaSource;"


@pytest.fixture
async def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"video_hls_min_duration_s": 4})


async def _published(
    api: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], path: Path
) -> str:
    with path.open("rb") as handle:
        uploaded = await api.post(
            "/api/v1/videos", headers=headers, files={"file": (path.name, handle, "video/mp4")}
        )
    assert uploaded.status_code == 202, uploaded.text
    video_id: str = uploaded.json()["id"]
    await process_all(runtime)
    published = await api.post(f"/api/v1/videos/{video_id}/publish", json={}, headers=headers)
    assert published.status_code == 200, published.text
    return video_id


async def test_long_videos_stream_hls_and_short_ones_play_mp4(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    runtime: Runtime = live_server.app.state.runtime
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as api:
        host, _ = await host_with_room(api, name="长视频直播间")
        short = await _published(
            api,
            runtime,
            host.headers,
            make_test_video(tmp_path / "short.mp4", seconds=2, width=180, height=320),
        )
        long = await _published(
            api,
            runtime,
            host.headers,
            make_test_video(tmp_path / "long.mp4", seconds=10, width=180, height=320, fps=15),
        )

    errors = PageErrors()
    context, page = await new_page(browser, errors, "video-hls", PHONE)
    await page.add_init_script(NO_NATIVE_HLS)
    fetched: list[str] = []

    def note(request: Request) -> None:
        if "/videos/" in request.url:
            fetched.append(request.url.removeprefix(live_server.url))

    page.on("request", note)
    await page.goto(f"{live_server.url}/videos?v={long}")
    feed = page.locator("#video-feed")
    await expect(feed).to_have_attribute("data-playing", long)
    long_video = page.locator(f"video[data-video-id='{long}']")
    await expect(long_video).to_have_attribute("data-delivery", "hls")
    # it plays past its first segment (4 s), from the rendition's segments, not the MP4
    await page.wait_for_function(
        "(id) => document.querySelector(`video[data-video-id='${id}']`).currentTime > 4.5",
        arg=long,
        timeout=30_000,
    )
    assert f"/videos/{long}/hls/index.m3u8" in fetched
    assert f"/videos/{long}/hls/seg_00001.ts" in fetched
    assert f"/videos/{long}/video.mp4" not in fetched
    # the short one, next in the feed, is preloaded as its MP4
    short_video = page.locator(f"video[data-video-id='{short}']")
    await expect(short_video).to_have_attribute("data-delivery", "mp4")
    await shot(page, "videos-hls-long")
    await check_phone_page(page, "video feed (HLS)", "zh")
    await feed.evaluate("(node) => node.scrollBy({ top: node.clientHeight })")
    await expect(feed).to_have_attribute("data-playing", short)
    await page.wait_for_function(
        "(id) => document.querySelector(`video[data-video-id='${id}']`).currentTime > 0.3",
        arg=short,
    )
    await context.close()

    # a browser with neither native HLS nor Media Source Extensions plays the MP4
    context, page = await new_page(browser, errors, "video-no-hls", PHONE)
    await page.add_init_script(NO_HLS_AT_ALL)
    await page.goto(f"{live_server.url}/videos?v={long}")
    long_video = page.locator(f"video[data-video-id='{long}']")
    await expect(long_video).to_have_attribute("data-delivery", "mp4")
    await page.wait_for_function(
        "(id) => document.querySelector(`video[data-video-id='${id}']`).currentTime > 0.5",
        arg=long,
    )
    await context.close()
    assert errors.errors == []
