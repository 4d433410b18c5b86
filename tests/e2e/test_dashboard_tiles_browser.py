"""Large figures stay on one line inside the session dashboard's tiles on a phone
(390×844): shortened to 万/亿 in Chinese and K/M/B in English, the exact figure in the
tile's title; nothing wraps, nothing is cut, and the page still fits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from livecommerce.dashboards import metrics
from livecommerce.dashboards.repository import dashboard_repository
from livecommerce.dashboards.rollup import minute_of
from livecommerce.kit.clock import utcnow
from livecommerce.models import DashboardSessionMinute
from tests.browser import PHONE, PageErrors, check_phone_page, log_in, new_page, shot
from tests.conftest import LiveServer
from tests.web.scenario import build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=20_000)

# Figures far beyond a real session's, so every money tile and most counts shorten.
HUGE = {
    "enters": 987_654_321,
    "leaves": 987_654_000,
    "viewers": 123_456_789,
    "watch_seconds": 98_765_432_100,
    "likes": 9_876_543_210,
    "comments": 45_678_901,
    "shares": 3_456_789,
    "product_clicks": 234_567_890,
    "clickers": 23_456_789,
    "orders": 12_345_678,
    "orderers": 9_876_543,
    "order_cents": 1_234_567_890_123,
    "paid_orders": 11_111_111,
    "payers": 8_765_432,
    "gmv_cents": 1_234_567_890_123,
    "refunds": 123_456,
    "refund_cents": 12_345_678_901,
}

# Each figure's tile: its text, whether it wraps onto a second line, whether it is cut.
_TILES_JS = """
() => [...document.querySelectorAll('#dash-tiles .stat-value')].map((node) => {
  const style = getComputedStyle(node);
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.3;
  return {
    id: node.id,
    text: node.textContent,
    title: node.title,
    lines: Math.round(node.getBoundingClientRect().height / line),
    cut: node.scrollWidth > node.clientWidth + 1,
  };
})
"""


async def _tiles(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate(_TILES_JS)
    return result


async def test_large_figures_stay_on_one_line_in_phone_tiles(
    live_server: LiveServer, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
    runtime = live_server.app.state.runtime
    async with runtime.db.transaction() as session:
        await dashboard_repository.add_counters(
            session,
            DashboardSessionMinute,
            ("session_id", "minute", "source"),
            [
                {
                    "session_id": shop.session_id,
                    "minute": minute_of(utcnow()),
                    "source": "unknown",
                    "room_id": shop.room["id"],
                    **(metrics.empty_counters() | HUGE),
                }
            ],
        )
    path = f"/dashboards/sessions/{shop.session_id}"
    errors = PageErrors()
    context, page = await new_page(browser, errors, "dash-tiles-phone", PHONE)
    try:
        await log_in(page, live_server, shop.host, path)
        # ¥12,345,678,901.23 → 123.46亿 (the tile) with the exact figure in its title.
        await expect(page.locator("#metric-gmv_cents")).to_have_text("¥123.46亿")
        await expect(page.locator("#metric-gmv_cents")).to_have_attribute(
            "title", "¥12345678901.23"
        )
        await expect(page.locator("#metric-viewers")).to_have_text("1.23亿")
        zh = await _tiles(page)
        await shot(page, "dash-tiles-phone-zh")
        await check_phone_page(page, "dash-tiles-phone-zh", "zh")

        await page.goto(f"{live_server.url}/lang/en?next={path}")
        await expect(page.locator("#metric-gmv_cents")).to_have_text("¥12.35B")
        await expect(page.locator("#metric-viewers")).to_have_text("123.46M")
        en = await _tiles(page)
        await shot(page, "dash-tiles-phone-en")
        await check_phone_page(page, "dash-tiles-phone-en", "en")
    finally:
        await context.close()
    assert errors.errors == []
    for lang, tiles in (("zh", zh), ("en", en)):
        assert len(tiles) >= 10, (lang, tiles)
        wrapped = [tile for tile in tiles if tile["lines"] > 1 or tile["cut"]]
        assert wrapped == [], (lang, wrapped)
        assert all(tile["title"] for tile in tiles), (lang, tiles)
