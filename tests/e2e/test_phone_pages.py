"""A viewer's and the partners' pages on a 390x844 phone, in Chinese and in English: no page
scrolls sideways, nothing covers a control, no string is left untranslated; and what the
viewer sees is right (late room coupons, the flash-sale bar and limit, the discount on the
pay page, answers to their questions, prizes kept after the next lottery)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    DESKTOP,
    PHONE,
    PageErrors,
    assert_fits,
    assert_menu_shows,
    assert_nothing_covered,
    check_phone_page,
    log_in,
    new_page,
    require,
    shot,
)
from tests.catalog.helpers import image_bytes, upload
from tests.conftest import LiveServer
from tests.factories import Account, sign_up
from tests.web.scenario import LiveShop, add_address, build_live_shop

pytestmark = pytest.mark.e2e

expect.set_options(timeout=15_000)

LANGS = [("zh-CN", "zh"), ("en-GB", "en")]
# The top menu by role: home, videos, orders, coupons, then the consoles, the host's
# team (团队) and "Partners" (last).
HOST_MENU, MERCHANT_MENU, AGENCY_MENU = 7, 7, 5
MENU_ENTRIES = {
    "host-console": HOST_MENU,
    "host-session": HOST_MENU,
    "earnings": HOST_MENU,
    "marketplace": HOST_MENU,
    "merchant-console": MERCHANT_MENU,
    "offers": MERCHANT_MENU,
    "merchant-earnings": MERCHANT_MENU,
    "agency": AGENCY_MENU,
    "agency-earnings": AGENCY_MENU,
    "agency-marketplace": AGENCY_MENU,
}


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def _room_coupon(api: httpx.AsyncClient, host: Account, title: str, off: int) -> str:
    ends_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = {
        "title": title,
        "audience": "room",
        "discount_kind": "amount",
        "amount_off_cents": off,
        "ends_at": ends_at,
        "total_limit": 100,
    }
    coupon = _ok(await api.post("/api/v1/coupons", headers=host.headers, json=body), 201)
    coupon_id: str = coupon["id"]
    return coupon_id


async def _buy_and_pay(
    api: httpx.AsyncClient,
    shop: LiveShop,
    buyer: Account,
    address_id: str,
    claim_ids: list[str] | None = None,
) -> str:
    order = _ok(
        await api.post(
            "/api/v1/orders",
            headers=buyer.headers,
            json={
                "sku_id": shop.product["skus"][0]["id"],
                "quantity": 1,
                "address_id": address_id,
                "session_id": shop.session_id,
                "coupon_claim_ids": claim_ids or [],
            },
        ),
        201,
    )
    payment = _ok(await api.post(f"/api/v1/orders/{order['id']}/pay", headers=buyer.headers))
    payment_id: str = payment["payment_id"]
    return payment_id


async def _confirm(api: httpx.AsyncClient, buyer: Account, payment_id: str) -> None:
    _ok(
        await api.post(
            f"/api/v1/payments/{payment_id}/sandbox-confirm",
            headers=buyer.headers,
            json={"outcome": "succeed"},
        )
    )


async def _ended_session_with_recording(api: httpx.AsyncClient, data_dir: Path) -> str:
    """A past session with a 640x360 recording: the replay page plays it."""
    past = await build_live_shop(api, room_name="阿美的直播间", session_title="上周护肤专场")
    session_id = past.session_id
    _ok(await api.post(f"/api/v1/live-sessions/{session_id}/end", headers=past.host.headers))
    recordings = data_dir / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    ffmpeg = shutil.which("ffmpeg")
    require(ffmpeg is not None, "ffmpeg")
    assert ffmpeg is not None
    process = await asyncio.create_subprocess_exec(
        ffmpeg,
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=640x360:rate=10",
        "-t",
        "1",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(recordings / f"{session_id}.mp4"),
    )
    assert await process.wait() == 0
    return session_id


async def _inside(page: Page, selector: str, box_selector: str) -> bool:
    """Whether the element shows whole inside the box (not scrolled or clipped out)."""
    inner = await page.locator(selector).bounding_box()
    outer = await page.locator(box_selector).bounding_box()
    assert inner is not None
    assert outer is not None
    return (
        inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
        and inner["x"] >= outer["x"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
    )


async def _visit(
    browser: Browser,
    errors: PageErrors,
    server: LiveServer,
    account: Account | None,
    path: str,
    locale: str,
    device: dict[str, Any] = PHONE,
) -> tuple[Any, Page]:
    context, page = await new_page(browser, errors, path, device, lang=locale)
    # The language switch's cookie: it outranks the account's own locale.
    await context.add_cookies([{"name": "lang", "value": locale[:2], "url": server.url}])
    if account is None:
        await page.goto(server.url + path)
    else:
        await log_in(page, server, account, path)
    await page.wait_for_load_state("networkidle")
    return context, page


@pytest.mark.parametrize(("locale", "lang"), LANGS)
async def test_viewer_pages_on_a_phone(
    live_server: LiveServer, browser: Browser, locale: str, lang: str
) -> None:
    zh = lang == "zh"
    data_dir = live_server.app.state.runtime.settings.data_dir
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        viewer = await sign_up(api, "viewer", name="阿明")
        other = await sign_up(api, "viewer", name="小红")
        viewer_address = await add_address(api, viewer, "阿明")
        other_address = await add_address(api, other, "小红")
        # Handed out before the viewer arrives; and one issued but not handed out yet.
        early = await _room_coupon(api, shop.host, "早鸟券", 500)
        _ok(
            await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/coupons/{early}/drop",
                headers=shop.host.headers,
            )
        )
        not_yet = await _room_coupon(api, shop.host, "未发放券", 800)
        prize_coupon = await _room_coupon(api, shop.host, "福袋券", 300)
        # A lottery the viewer wins, then the next one starts.
        first = _ok(
            await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/lotteries",
                headers=shop.host.headers,
                json={
                    "title": "第一轮福袋",
                    "prize_kind": "coupon",
                    "prize_coupon_id": prize_coupon,
                    "winners": 1,
                    "countdown_s": 600,
                },
            ),
            201,
        )
        _ok(await api.post(f"/api/v1/lotteries/{first['id']}/enter", headers=viewer.headers))
        drawn = _ok(
            await api.post(f"/api/v1/lotteries/{first['id']}/draw", headers=shop.host.headers)
        )
        assert [winner["user_id"] for winner in drawn["winners"]] == [viewer.id]
        # The viewer's question, answered later while they watch.
        question = _ok(
            await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/questions",
                headers=viewer.headers,
                json={"text": "敏感肌能用吗？"},
            ),
            201,
        )
        # A flash sale of three units, one per buyer.
        _ok(
            await api.post(
                f"/api/v1/live-sessions/{shop.session_id}/flash-sales",
                headers=shop.host.headers,
                json={
                    "product_id": shop.product["id"],
                    "sku_id": shop.product["skus"][0]["id"],
                    "price_cents": 1990,
                    "units": 3,
                    "per_buyer_limit": 1,
                    "duration_s": 3600,
                },
            ),
            201,
        )
        replay_id = await _ended_session_with_recording(api, data_dir)

    errors = PageErrors()
    room_path = f"/live/{shop.session_id}"
    context, room = await _visit(browser, errors, live_server, viewer, room_path, locale)
    try:
        await expect(room.locator("body")).to_have_attribute("data-realtime", "ready")
        # The coupon handed out before the viewer came is there to claim.
        drop = room.locator("#coupon-drop")
        await expect(drop).to_contain_text("早鸟券")
        await expect(drop.locator(f"[data-coupon-id='{not_yet}']")).to_have_count(0)
        await expect(drop).not_to_contain_text("未发放券")
        await expect(drop.locator(f"[data-coupon-id='{prize_coupon}']")).to_have_count(0)
        # The flash-sale bar is empty while every unit is left (the CSP drops style attributes).
        bar = room.locator("#flash-bar")
        await expect(room.locator("#flash-left")).to_contain_text("3")
        assert await bar.evaluate("node => node.firstElementChild.offsetWidth") == 0
        await check_phone_page(room, "live room", lang)
        # With every card up (sale, drawn lottery, coupon) the overlay stays below the slot
        # of the muted video's "tap for sound" button (96 px down the video, 32 px tall).
        await expect(room.locator("#lottery-you-won")).to_be_visible()
        overlay_top = await room.evaluate(
            "document.getElementById('interactions').getBoundingClientRect().top"
            " - document.querySelector('.stage').getBoundingClientRect().top"
        )
        assert overlay_top >= 140, overlay_top
        # The cards scroll in a short box; claiming the coupon and buying in the flash sale
        # need no scrolling in it: both buttons show whole inside the box.
        for control in ("#coupon-claim", "#flash-buy"):
            assert await _inside(room, control, "#interactions"), control
        await shot(room, f"phone-live-{lang}")

        await room.locator("#coupon-claim").click()
        await expect(drop).to_be_hidden()
        await room.locator("#flash-buy").click()
        await expect(room.locator("#flash-buy")).to_have_text("已达限购" if zh else "Limit reached")
        await expect(room.locator("#flash-buy")).to_be_disabled()
        await expect(room.locator("#flash-left")).to_contain_text("2")
        ratio = await bar.evaluate(
            "node => node.firstElementChild.offsetWidth / node.getBoundingClientRect().width"
        )
        assert round(ratio, 2) == 0.33

        # The host answers: the asker is told in the room and keeps the answer.
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            _ok(
                await api.post(
                    f"/api/v1/questions/{question['id']}/answered",
                    headers=shop.host.headers,
                    json={"answer": "可以，无香精。"},
                )
            )
        await expect(room.locator("#chat-list .chat-answer")).to_contain_text("可以，无香精。")
        await room.locator("#qa-button").click()
        mine = room.locator("#qa-mine li[data-status=answered]")
        await expect(mine).to_contain_text("敏感肌能用吗？")
        await expect(mine).to_contain_text("可以，无香精。")
        await room.locator("#qa-button").click()

        # The drawn lottery's card closes; the next lottery replaces it.
        lottery = room.locator("#lottery")
        await expect(lottery.locator("#lottery-you-won")).to_be_visible()
        await expect(lottery).not_to_contain_text("livecommerce")
        await expect(lottery.locator("#lottery-details")).to_have_attribute(
            "href", f"/lotteries/{first['id']}"
        )
        await lottery.locator("#lottery-close").click()
        await expect(lottery).to_be_hidden()

        # Three purchases in a row: the toasts keep off the host chip and Follow.
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
            for _ in range(3):
                plain_payment = await _buy_and_pay(api, shop, other, other_address)
                await _confirm(api, other, plain_payment)
            await expect(room.locator("#chat-list .chat-purchase")).to_have_count(3)
            await expect(room.locator("#toasts .toast")).to_have_count(2)
            await assert_nothing_covered(room, "live room with toasts")
            await shot(room, f"phone-live-toasts-{lang}")
            # A chat message the room refuses: the reason comes in the page's language.
            _ok(
                await api.post(
                    f"/api/v1/rooms/{shop.room['id']}/blocked-words",
                    headers=shop.host.headers,
                    json={"word": "加微信"},
                ),
                201,
            )
            await room.locator("#chat-input").fill("加微信聊")
            await room.locator("#chat-input").press("Enter")
            refused = "消息包含违禁词" if zh else "The message contains a blocked word"
            await expect(room.locator("#toasts .toast-error").last).to_have_text(refused)
            await shot(room, f"phone-live-refused-{lang}")
            second = _ok(
                await api.post(
                    f"/api/v1/live-sessions/{shop.session_id}/lotteries",
                    headers=shop.host.headers,
                    json={
                        "title": "第二轮福袋",
                        "prize_kind": "coupon",
                        "prize_coupon_id": prize_coupon,
                        "winners": 1,
                        "countdown_s": 600,
                    },
                ),
                201,
            )
            await expect(lottery).to_contain_text("第二轮福袋")
            # Checkout with the claimed coupon: the pay page shows the discount.
            wallet = _ok(await api.get("/api/v1/coupons/mine", headers=viewer.headers))
            [early_claim] = [item for item in wallet["items"] if item["coupon"]["id"] == early]
            payment_id = await _buy_and_pay(api, shop, viewer, viewer_address, [early_claim["id"]])
    finally:
        await context.close()

    # On a desktop the room fits the window: the whole video, and the chat box at the
    # bottom of the side panel, however long the chat and the cards are.
    context, room = await _visit(
        browser, errors, live_server, viewer, room_path, locale, device=DESKTOP
    )
    try:
        await expect(room.locator("body")).to_have_attribute("data-realtime", "ready")
        for part in (".stage", ".side", "#chat-input"):
            box = await room.locator(part).bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= DESKTOP["viewport"]["height"], (part, box)
        await assert_fits(room, "live room desktop")
    finally:
        await context.close()

    pages = [
        (viewer, f"/pay/sandbox/{payment_id}", "pay"),
        # Paid, without a coupon: no discount line, and no "null" where it would be.
        (other, f"/pay/sandbox/{plain_payment}", "pay-plain"),
        (viewer, "/orders", "orders"),
        (viewer, "/coupons", "coupons"),
        (viewer, f"/lotteries/{first['id']}", "lottery"),
        (viewer, f"/replay/{replay_id}", "replay"),
    ]
    for account, path, name in pages:
        context, page = await _visit(browser, errors, live_server, account, path, locale)
        try:
            if name == "pay":
                await expect(page.locator("#pay-discount")).to_contain_text("−¥5.00")
                await expect(page.locator("#pay-amount")).to_have_text("¥84.00")
            if name == "pay-plain":
                await expect(page.locator("#pay-status")).to_have_attribute(
                    "data-status", "succeeded"
                )
                await expect(page.locator("#pay-discount")).to_have_count(0)
                await expect(page.locator("#pay-body")).not_to_contain_text("null")
            if name == "coupons":
                prize = page.locator(f"#prize-list [data-lottery-id='{first['id']}']")
                await expect(prize).to_contain_text("福袋券")
                await expect(page.locator("#coupon-list")).to_contain_text("福袋券")
                await page.locator("#coupon-filters [data-status=used]").click()
                await expect(page.locator("#coupon-list")).to_contain_text("早鸟券")
            if name == "lottery":
                await expect(page.locator("#lottery-record-seed")).to_have_text(drawn["seed"])
            if name == "replay":
                await expect(page.locator("#replay-video")).to_be_visible()
                await page.wait_for_function(
                    "document.querySelector('#replay-video').readyState >= 1"
                )
            # Also: every menu entry shows whole, none scrolled off at the edge.
            await check_phone_page(page, name, lang)
            await shot(page, f"phone-{name}-{lang}")
        finally:
            await context.close()
    assert second["status"] == "open"
    assert errors.errors == []


@pytest.mark.parametrize(("locale", "lang"), LANGS)
async def test_consoles_on_a_phone(
    live_server: LiveServer, browser: Browser, locale: str, lang: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as api:
        shop = await build_live_shop(api)
        mcn = await sign_up(api, "mcn_admin", name="星火传媒")
        _ok(
            await api.post("/api/v1/mcn/agencies", headers=mcn.headers, json={"name": "星火传媒"}),
            201,
        )
        contract = _ok(
            await api.post(
                "/api/v1/mcn/contracts",
                headers=mcn.headers,
                json={"host_id": shop.host.id, "share_bp": 3000},
            ),
            201,
        )
        offer = _ok(
            await api.post(
                "/api/v1/mcn/offers",
                headers=shop.merchant.headers,
                json={
                    "product_id": shop.product["id"],
                    "commission_bp": 2000,
                    "sample_policy": "free",
                },
            ),
            201,
        )
        _ok(
            await api.post(
                f"/api/v1/mcn/offers/{offer['id']}/samples",
                headers=shop.host.headers,
                json={"note": "想先试用"},
            ),
            201,
        )
        newcomer = await sign_up(api, "host", name="阿杰")
        # A tall avatar: the persona card shows it cut to its square, not stretched.
        avatar = await upload(
            api, f"/api/v1/rooms/{shop.room['id']}/avatar", shop.host, image_bytes(size=(40, 90))
        )
        assert avatar.status_code == 200, avatar.text
    errors = PageErrors()
    consoles = [
        (shop.host, "/console/host", "host-console"),
        (shop.host, f"/console/host/sessions/{shop.session_id}", "host-session"),
        (shop.host, "/console/earnings", "earnings"),
        (shop.host, "/console/marketplace", "marketplace"),
        (shop.merchant, "/console/merchant", "merchant-console"),
        (shop.merchant, "/console/offers", "offers"),
        (mcn, "/console/agency", "agency"),
        # The partner tabs each role sees from the menu.
        (shop.merchant, "/console/earnings", "merchant-earnings"),
        (mcn, "/console/earnings", "agency-earnings"),
        (mcn, "/console/marketplace", "agency-marketplace"),
    ]
    for account, path, name in consoles:
        context, page = await _visit(browser, errors, live_server, account, path, locale)
        try:
            # Every role's menu shows each entry whole (the last one, "Partners", too).
            await check_phone_page(page, name, lang)
            entries = page.locator(".topbar .nav a")
            assert await entries.count() == MENU_ENTRIES[name], name
            for raw_id in (shop.host.id, mcn.id, contract["id"], shop.merchant.id):
                assert raw_id not in await page.locator("body").inner_text(), name
            if name == "host-console":
                picture = page.locator("#room-avatar img")
                await expect(picture).to_be_visible()
                box = await page.locator("#room-avatar").bounding_box()
                drawn = await picture.bounding_box()
                assert box is not None
                assert drawn is not None
                assert (box["width"], box["height"]) == (56, 56)
                assert drawn == box
            if name == "earnings":
                await expect(page.locator("#contract-list")).to_contain_text("星火传媒")
            if name == "offers":
                await expect(page.locator("#sample-list")).to_contain_text("小美")
                # A staff host is named by e-mail; an unknown one is told in the page's language.
                await page.locator("#staff-form [name=host_email]").fill("nobody@example.com")
                await page.locator("#staff-form button[type=submit]").click()
                unknown = "没有使用这个邮箱的主播账号" if lang == "zh" else "No host account has"
                await expect(page.locator(".toast").last).to_contain_text(unknown)
                # The browser logs the refused request itself; that one is expected.
                errors.errors.remove(
                    f"{path}: Failed to load resource: the server responded with a status "
                    "of 404 (Not Found)"
                )
                await page.locator("#staff-form").scroll_into_view_if_needed()
                await shot(page, f"phone-offers-staff-{lang}")
            if name == "agency":
                await expect(page.locator("#contract-list")).to_contain_text("小美")
                # On a phone the e-mail field has the whole row, so an address shows in
                # full; the share field follows below it.
                form = await page.locator("#invite-form").bounding_box()
                email = await page.locator("#invite-form [name=host_email]").bounding_box()
                share = await page.locator("#invite-form [name=share]").bounding_box()
                assert form is not None
                assert email is not None
                assert share is not None
                assert abs(email["width"] - form["width"]) <= 1, (email, form)
                assert share["y"] >= email["y"] + email["height"], (email, share)
                await page.locator("#invite-form [name=host_email]").fill(newcomer.email)
                await page.locator("#invite-form button[type=submit]").click()
                await expect(page.locator("#contract-list")).to_contain_text("阿杰")
                await assert_fits(page, name)
            await shot(page, f"phone-{name}-{lang}")
        finally:
            await context.close()
    # The desktop layout of the same consoles fits too, and on a narrow desktop the
    # merchant's long menu wraps rather than scrolling its last entries away.
    narrow = {**DESKTOP, "viewport": {"width": 900, "height": 800}}
    wide_consoles = [(*console, DESKTOP) for console in consoles[:3]]
    for account, path, name, device in [
        *wide_consoles,
        (shop.merchant, "/console/merchant", "merchant-console", DESKTOP),
        (shop.merchant, "/console/merchant", "merchant-console", narrow),
    ]:
        context, page = await _visit(
            browser, errors, live_server, account, path, locale, device=device
        )
        try:
            await assert_fits(page, f"{name} desktop")
            await assert_menu_shows(page, f"{name} desktop")
            assert await page.locator(".topbar .nav a").count() == MENU_ENTRIES[name]
        finally:
            await context.close()
    assert errors.errors == []
