"""Shared pieces of the browser tests: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
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


# ---- what a phone user meets: checks every page test can reuse ----------------------

# Tappable controls, the ones a covering element would make unusable.
CONTROLS = "button, a[href], input:not([type=hidden]), select, textarea, summary, [role=button]"

# Shared by the page scripts below: a short name for an element, and whether it shows.
_JS_HELPERS = """
  const describe = (node) => {
    const classes = typeof node.className === "string" ? node.className.trim() : "";
    const name = node.tagName.toLowerCase() + (node.id ? "#" + node.id : "");
    const text = (node.textContent || "").trim().slice(0, 24);
    return `${name}${classes ? "." + classes.split(/\\s+/).join(".") : ""} "${text}"`;
  };
  const shows = (node) => {
    const options = {checkOpacity: true, checkVisibilityCSS: true};
    if (!node.checkVisibility || !node.checkVisibility(options)) return false;
    const box = node.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
"""

_OVERFLOW_JS = (
    "() => {"
    + _JS_HELPERS
    + """
  const root = document.documentElement;
  const wide = [];
  for (const node of document.body.querySelectorAll("*")) {
    const box = node.getBoundingClientRect();
    if (box.width && box.right > root.clientWidth + 1) {
      wide.push(`${describe(node)} right=${Math.round(box.right)}`);
    }
  }
  return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 8)};
}"""
)

_COVERED_JS = (
    "([selector, overlays]) => {"
    + _JS_HELPERS
    + """
  const clipped = (node, x, y) => {
    for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const box = up.getBoundingClientRect();
      if (x < box.left || x >= box.right || y < box.top || y >= box.bottom) return true;
    }
    return false;
  };
  const overlap = (a, b) =>
    a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
  const width = document.documentElement.clientWidth;
  const height = window.innerHeight;
  const problems = [];
  const covers = [...document.querySelectorAll(overlays)].filter(shows);
  for (const control of document.querySelectorAll(selector)) {
    if (!shows(control) || control.closest("[inert]")) continue;
    const box = control.getBoundingClientRect();
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    if (x < 0 || y < 0 || x >= width || y >= height) continue; // off screen: scroll to check
    if (clipped(control, x, y)) continue; // scrolled out of its own box (a scrolling menu)
    const hit = document.elementFromPoint(x, y);
    if (hit && hit !== control && !control.contains(hit) && !hit.contains(control)) {
      problems.push(`${describe(control)} is under ${describe(hit)}`);
      continue;
    }
    // Overlays that let taps through (pointer-events: none) still hide what is under them.
    for (const cover of covers) {
      if (cover.contains(control) || control.contains(cover)) continue;
      if (overlap(cover.getBoundingClientRect(), box)) {
        problems.push(`${describe(control)} is hidden by ${describe(cover)}`);
      }
    }
  }
  return problems;
}"""
)

_TEXT_JS = (
    "() => {"
    + _JS_HELPERS
    + """
  const skip = "script, style, code, pre, kbd, samp, [translate=no], [lang=en]";
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest(skip) || !shows(parent)) continue;
    texts.push(text);
  }
  const labelled = "input[placeholder], textarea[placeholder], [title], [aria-label]";
  for (const field of document.querySelectorAll(labelled)) {
    if (field.closest(skip) || !shows(field)) continue;
    for (const name of ["placeholder", "title", "aria-label"]) {
      const value = (field.getAttribute(name) || "").trim();
      if (value) texts.push(value);
    }
  }
  return texts;
}"""
)

# English words of the interface: a Chinese page showing one has an untranslated string.
ENGLISH_UI_WORDS = frozenset(
    """Buy Follow Following Claim Claimed Enter Entered Pay Cancel Close Verify Loading Send
    Share Like Log Sign Orders Order Coupon Coupons Prize Prizes Winners Seed Hash Sold Grab
    Ended Limit Answer Answered Ask Question Questions Discount Subtotal Total Status Ship
    Shipped Paid Pending Refunded Save Delete Edit Add Search Replay Products Product Timeline
    Host Merchant Console Earnings Marketplace Offers Agency Online Welcome Live Draw Lucky
    Back Details Download Available Used Expired Amount Items""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
# A script's missing value written out as text: never interface text in either language.
_RAW_VALUE = re.compile(r"^(null|undefined|NaN)$|\bundefined\b|\[object \w+\]|\bNaN\b")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


async def horizontal_overflow(page: Page) -> dict[str, Any]:
    """The page's width against the viewport's, with the elements that stick out."""
    result: dict[str, Any] = await page.evaluate(_OVERFLOW_JS)
    return result


async def assert_fits(page: Page, name: str) -> None:
    """Fail when the page scrolls sideways (scrollWidth > clientWidth)."""
    found = await horizontal_overflow(page)
    assert found["scroll"] <= found["client"], (
        f"{name}: {found['scroll']} px wide in a {found['client']} px viewport: {found['wide']}"
    )


async def covered_controls(
    page: Page, selector: str = CONTROLS, overlays: str = ".toast"
) -> list[str]:
    """Controls on screen whose centre is not theirs (elementFromPoint hits another
    element), and controls an overlay that lets taps through still hides."""
    problems: list[str] = await page.evaluate(_COVERED_JS, [selector, overlays])
    return problems


async def assert_nothing_covered(
    page: Page, name: str, selector: str = CONTROLS, overlays: str = ".toast"
) -> None:
    problems = await covered_controls(page, selector, overlays)
    assert problems == [], f"{name}: {problems}"


async def untranslated_text(page: Page, lang: str) -> list[str]:
    """Visible text (and placeholders, titles, labels) that shows an i18n key, an unfilled
    {placeholder}, a script's missing value ("null", "undefined", "NaN", "[object Object]")
    or, on a Chinese page, a word of the English interface. Code
    (``code``, ``pre``, ``translate=no``) is not interface text."""
    from livecommerce.web.i18n import MESSAGES

    keys = set(MESSAGES["zh"])
    found: list[str] = []
    for text in await page.evaluate(_TEXT_JS):
        words = set(_WORD.findall(text))
        if any(token in keys for token in re.findall(r"[a-z_]+\.[a-z_.]+", text)):
            found.append(text)
        elif _PLACEHOLDER.search(text) or _RAW_VALUE.search(text):
            found.append(text)
        elif lang == "zh" and words & ENGLISH_UI_WORDS:
            found.append(text)
    return found


async def assert_translated(page: Page, name: str, lang: str) -> None:
    found = await untranslated_text(page, lang)
    assert found == [], f"{name} ({lang}): {found}"


_MENU_JS = (
    "() => {"
    + _JS_HELPERS
    + """
  const nav = document.querySelector(".topbar .nav");
  if (!nav) return ["no .nav menu"];
  const problems = [];
  if (nav.scrollWidth > nav.clientWidth) {
    problems.push(`menu scrolls: ${nav.scrollWidth} px in ${nav.clientWidth} px`);
  }
  const width = document.documentElement.clientWidth;
  const menu = nav.getBoundingClientRect();
  for (const entry of nav.querySelectorAll("a")) {
    if (!shows(entry)) {
      problems.push(`${describe(entry)} is not shown`);
      continue;
    }
    const box = entry.getBoundingClientRect();
    if (box.left < 0 || box.right > width + 0.5 || box.top < 0) {
      const span = `${Math.round(box.left)}-${Math.round(box.right)}`;
      problems.push(`${describe(entry)} is off screen (${span})`);
    } else if (box.left < menu.left - 0.5 || box.right > menu.right + 0.5 ||
               box.top < menu.top - 0.5 || box.bottom > menu.bottom + 0.5) {
      problems.push(`${describe(entry)} is clipped by the menu`);
    }
  }
  return problems;
}"""
)


async def assert_menu_shows(page: Page, name: str) -> None:
    """Every entry of the top menu shows whole on screen: none hidden, clipped by the menu's
    box or reachable only by scrolling the menu sideways."""
    problems: list[str] = await page.evaluate(_MENU_JS)
    assert problems == [], f"{name}: {problems}"


async def check_phone_page(page: Page, name: str, lang: str) -> None:
    """The checks a page must pass on a phone: it fits, every menu entry shows, nothing
    covers a control, every string is translated."""
    await assert_fits(page, name)
    await assert_menu_shows(page, name)
    await assert_nothing_covered(page, name)
    await assert_translated(page, name, lang)
