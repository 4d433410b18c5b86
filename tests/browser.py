"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.conftest import LiveServer
from tests.factories import Account

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
# Without the background-networking flags Chromium keeps dialling out of a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp/lc-shots")  # Playwright creates the folder
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}


def require(available: bool, what: str) -> None:
    """Skip when a system tool is missing on a developer's machine; fail under CI."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; scripts/test installs it")
    pytest.skip(f"{what} is missing; scripts/test installs it")


@asynccontextmanager
async def launch_chromium(extra_args: Sequence[str] = ()) -> AsyncIterator[Browser]:
    require(HAVE_CHROMIUM, f"Chromium at {CHROMIUM}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


class PageErrors:
    """Collects script errors and console errors so a broken page fails the test."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page, name: str) -> Page:
        page.on("pageerror", lambda error: self.errors.append(f"{name}: {error}"))
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"{name}: {message.text}") if message.type == "error" else None
            ),
        )
        return page


async def new_page(
    browser: Browser, errors: PageErrors, name: str, device: dict[str, Any], lang: str = "zh-CN"
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(locale=lang, **device)
    return context, errors.watch(await context.new_page(), name)


async def log_in(page: Page, server: LiveServer, account: Account, next_path: str) -> None:
    await page.goto(f"{server.url}/login?next={next_path}")
    await page.fill("input[name=email]", account.email)
    await page.fill("input[name=password]", account.password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}{next_path}")


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"))
