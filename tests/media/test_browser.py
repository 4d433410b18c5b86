"""Chromium plays the room's live video: HTTP-FLV through mpegts.js, HLS through hls.js."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from livecommerce.media.publisher import start_publisher_process
from tests.browser import PHONE, PageErrors, assert_nothing_covered, launch_chromium, new_page
from tests.conftest import LiveServer
from tests.media.helpers import host_with_session, stop, wait_for_status

pytestmark = pytest.mark.e2e


# Reads the capture time the publisher drew into the frame (48 blocks of 16 px at 8,8).
READ_STAMP = """() => {
  const video = document.querySelector("#player video");
  if (!video || video.readyState < 2 || !video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  let value = 0n;
  for (let bit = 0; bit < 48; bit++) {
    const x = 8 + (bit % 24) * 16 + 8;
    const y = 8 + Math.floor(bit / 24) * 16 + 8;
    const [r, g, b] = context.getImageData(x, y, 1, 1).data;
    value = (value << 1n) | ((r + g + b) / 3 >= 128 ? 1n : 0n);
  }
  const millis = Number(value >> 4n);
  const check = Number(value & 15n);
  const expected = (millis ^ (millis >> 4) ^ (millis >> 8) ^ (millis >> 12)) & 15;
  if (check !== (expected >>> 0 & 15)) return null;
  const delivery = document.querySelector("#player").dataset.delivery;
  return {captured: millis, latency: Date.now() - millis, delivery};
}"""


def assert_live_frames(samples: list[dict[str, Any]], started_ms: float) -> None:
    """The player shows this publisher's frames as they come: every stamp was captured
    after it started, and the picture moves on. How fast is the video-latency benchmark's
    question (docs/benchmarks.md), not a test's."""
    captured = [sample["captured"] for sample in samples]
    assert all(started_ms <= at <= started_ms + 600_000 for at in captured), captured
    assert all(sample["latency"] >= -50 for sample in samples), samples  # shown after capture
    assert captured[-1] > captured[0], captured


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    # Muted autoplay is not enough for the latency probe: let the video start by itself.
    async with launch_chromium(["--autoplay-policy=no-user-gesture-required"]) as launched:
        yield launched


async def test_viewer_sees_the_live_video_over_http_flv(
    live_server: LiveServer, browser: Browser
) -> None:
    port = live_server.app.state.runtime.extras["media"].rtmp_port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        started_ms = time.time() * 1000
        publisher = await start_publisher_process(
            f"rtmp://127.0.0.1:{port}/live/{key}", fps=25, stamp=True
        )
        try:
            await wait_for_status(client, session_id, "live")
            page = await browser.new_page()
            await page.goto(f"{live_server.url}/live/{session_id}")
            await page.wait_for_selector("#player[data-video='playing']", timeout=20_000)
            samples = []
            for _ in range(40):
                sample = await page.evaluate(READ_STAMP)
                if sample is not None:
                    samples.append(sample)
                await asyncio.sleep(0.1)
            await page.close()
        finally:
            await stop(publisher)
    assert len(samples) >= 20
    assert {sample["delivery"] for sample in samples} == {"flv"}
    assert_live_frames(samples, started_ms)


async def test_tap_for_sound_is_tappable_on_a_phone(
    live_server: LiveServer, browser: Browser
) -> None:
    """The muted video's "tap for sound" sits clear of the host chip and Follow."""
    port = live_server.app.state.runtime.extras["media"].rtmp_port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        publisher = await start_publisher_process(f"rtmp://127.0.0.1:{port}/live/{key}", fps=25)
        try:
            await wait_for_status(client, session_id, "live")
            errors = PageErrors()
            context, page = await new_page(browser, errors, "phone", PHONE)
            try:
                await page.goto(f"{live_server.url}/live/{session_id}")
                await page.wait_for_selector("#player[data-video='playing']", timeout=20_000)
                unmute = page.locator(".player-unmute")
                await unmute.wait_for(state="visible", timeout=5_000)
                # A drawn speaker, not an emoji that shows as an empty box without an
                # emoji font.
                assert await unmute.inner_text() == "点击开启声音"
                icon = await unmute.evaluate(
                    "node => getComputedStyle(node, '::before').backgroundImage"
                )
                assert icon.startswith('url("data:image/svg+xml'), icon
                await assert_nothing_covered(page, "live video", ".player-unmute, #follow")
                await unmute.tap()
                await unmute.wait_for(state="hidden", timeout=5_000)
                assert await page.evaluate("document.querySelector('#player video').muted") is False
            finally:
                await context.close()
        finally:
            await stop(publisher)


async def test_player_falls_back_to_hls_and_says_when_the_session_ended(
    live_server: LiveServer, browser: Browser
) -> None:
    port = live_server.app.state.runtime.extras["media"].rtmp_port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        publisher = await start_publisher_process(
            f"rtmp://127.0.0.1:{port}/live/{key}", fps=25, stamp=True
        )
        try:
            await wait_for_status(client, session_id, "live")
            page = await browser.new_page()
            # HTTP-FLV blocked (a proxy that buffers, say): the player must move to HLS.
            await page.route("**/*.flv", lambda route: route.abort())
            await page.goto(f"{live_server.url}/live/{session_id}")
            # hls.js over MSE, or the browser's own HLS where it has one (this Chromium does)
            await page.wait_for_selector(
                "#player[data-video='playing']:is([data-delivery='hls'],"
                "[data-delivery='native-hls'])",
                timeout=30_000,
            )
            ended = await client.post(
                f"/api/v1/live-sessions/{session_id}/end", headers=host.headers
            )
            assert ended.status_code == 200
            await page.wait_for_selector("#player[data-video='ended']", timeout=10_000)
            note = page.locator(".player-video-note")
            await note.locator(f"a[href='/replay/{session_id}']").wait_for(timeout=5_000)
            await page.close()
        finally:
            await stop(publisher)


async def test_host_console_shows_key_obs_settings_and_health(
    live_server: LiveServer, browser: Browser
) -> None:
    port = live_server.app.state.runtime.extras["media"].rtmp_port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        host, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        page = await browser.new_page()
        console = f"/console/host/sessions/{session_id}"
        await page.goto(f"{live_server.url}/login?next={console}")
        await page.fill("input[name=email]", host.email)
        await page.fill("input[name=password]", host.password)
        await page.click("#login-form button[type=submit]")
        await page.wait_for_url(f"{live_server.url}{console}")
        key_input = page.locator("#stream-key")
        await page.wait_for_function(
            "() => document.querySelector('#stream-key')?.value.startsWith('lc_')"
        )
        assert await key_input.get_attribute("type") == "password"
        assert await key_input.input_value() == key
        assert await page.locator("#ingest-server").input_value() == (
            f"rtmp://127.0.0.1:{port}/live"
        )
        await page.click("#show-key")
        assert await key_input.get_attribute("type") == "text"
        obs = await page.locator("#obs-settings").inner_text()
        assert "2500" in obs
        assert "zerolatency" in obs
        publisher = await start_publisher_process(f"rtmp://127.0.0.1:{port}/live/{key}", fps=20)
        try:
            await page.wait_for_selector("#media-card[data-publishing='yes']", timeout=15_000)
            await page.wait_for_function(
                "() => /kbps/.test(document.querySelector('#stream-health').textContent)"
            )
        finally:
            await stop(publisher)
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.click("#rotate-key")
        await page.wait_for_function(
            f"() => document.querySelector('#stream-key').value !== {key!r}"
        )
        await page.close()


async def test_hls_js_plays_where_the_browser_has_no_native_hls(
    live_server: LiveServer, browser: Browser
) -> None:
    port = live_server.app.state.runtime.extras["media"].rtmp_port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        _, live_session, key = await host_with_session(client)
        session_id = live_session["id"]
        started_ms = time.time() * 1000
        publisher = await start_publisher_process(
            f"rtmp://127.0.0.1:{port}/live/{key}", fps=25, stamp=True
        )
        try:
            await wait_for_status(client, session_id, "live")
            page = await browser.new_page()
            await page.add_init_script(
                """(() => {
                  const original = HTMLMediaElement.prototype.canPlayType;
                  HTMLMediaElement.prototype.canPlayType = function (type) {
                    return /mpegurl/i.test(type) ? "" : original.call(this, type);
                  };
                })();"""
            )
            await page.route("**/*.flv", lambda route: route.abort())
            await page.goto(f"{live_server.url}/live/{session_id}")
            await page.wait_for_selector(
                "#player[data-video='playing'][data-delivery='hls']", timeout=30_000
            )
            samples = []
            for _ in range(20):
                sample = await page.evaluate(READ_STAMP)
                if sample is not None:
                    samples.append(sample)
                await asyncio.sleep(0.1)
            await page.close()
        finally:
            await stop(publisher)
    assert len(samples) >= 10
    assert {sample["delivery"] for sample in samples} == {"hls"}
    assert_live_frames(samples, started_ms)
