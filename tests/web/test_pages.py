from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from livecommerce.web.i18n import MESSAGES, language_from_accept, pick_language
from tests.factories import sign_up
from tests.web.scenario import add_address, build_live_shop, log_in_browser

WEB_DIR = Path(__file__).resolve().parents[2] / "src" / "livecommerce" / "web"


def _embedded(html: str, element_id: str) -> object:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html)
    assert match is not None
    return json.loads(match.group(1))


async def test_home_defaults_to_chinese_and_lists_live_sessions(
    client: httpx.AsyncClient,
) -> None:
    shop = await build_live_shop(client, session_title="春季护肤专场")
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert "正在直播" in html
    assert "直播预告" in html
    assert "春季护肤专场" in html
    assert f'href="/live/{shop.session_id}"' in html
    assert "0 人在看" in html
    assert "现在没有直播" not in html
    assert _embedded(html, "lc-i18n") == MESSAGES["zh"]


async def test_home_in_english_from_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html
    assert "Live now" in html
    assert "Nobody is live right now. Come back soon." in html
    assert "正在直播" not in html
    assert _embedded(html, "lc-i18n") == MESSAGES["en"]


async def test_lang_cookie_beats_account_locale_and_accept_language(
    client: httpx.AsyncClient,
) -> None:
    viewer = await sign_up(client, "viewer")
    await log_in_browser(client, viewer)
    csrf = client.cookies["lc_csrf"]
    response = await client.patch(
        "/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200
    # The account's locale (en) wins over the browser's Chinese.
    html = (await client.get("/orders", headers={"Accept-Language": "zh-CN"})).text
    assert "My orders" in html
    # The cookie wins over both.
    client.cookies.set("lang", "zh")
    html = (await client.get("/orders", headers={"Accept-Language": "en"})).text
    assert "我的订单" in html
    assert "My orders" not in html


def test_language_choice_rules() -> None:
    assert pick_language(None, None, None) == "zh"
    assert pick_language("en", "zh", "zh-CN") == "en"
    assert pick_language("fr", "en", "zh-CN") == "en"
    assert pick_language(None, None, "fr-FR, en;q=0.8, zh;q=0.9") == "zh"
    assert language_from_accept("de, en-GB;q=0.7") == "en"
    assert language_from_accept("en;q=0, zh-TW") == "zh"
    assert language_from_accept("de") is None


def test_both_dictionaries_have_the_same_keys() -> None:
    assert set(MESSAGES["zh"]) == set(MESSAGES["en"])
    assert all(MESSAGES["zh"][key] and MESSAGES["en"][key] for key in MESSAGES["zh"])


def test_every_key_used_by_templates_and_scripts_exists() -> None:
    used: set[str] = set()
    for template in (WEB_DIR / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+\.[a-z_]*[a-z])'", template.read_text()))
    for script in (WEB_DIR / "static" / "js").glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_]*[a-z])"', script.read_text()))
    assert len(used) > 100
    assert sorted(used - set(MESSAGES["zh"])) == []


async def test_language_switch_link_sets_cookie_and_stays_on_site(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/lang/en?next=/orders")
    assert response.status_code == 303
    assert response.headers["location"] == "/orders"
    assert response.cookies["lang"] == "en"
    response = await client.get("/lang/zh?next=//evil.example/x")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    response = await client.get("/lang/fr")
    assert response.status_code == 404


async def test_live_room_renders_in_both_languages(client: httpx.AsyncClient) -> None:
    shop = await build_live_shop(client, product_title="山茶花保湿面霜", room_name="小美的直播间")
    zh = await client.get(f"/live/{shop.session_id}")
    assert zh.status_code == 200
    html = zh.text
    assert "小美的直播间" in html
    assert "山茶花保湿面霜" in html
    assert "讲解中" in html
    assert "¥89.00" in html  # the live price, not the catalog one
    assert "登录后参与聊天" in html  # anonymous: no chat input
    assert 'id="chat-form"' not in html
    assert '<div id="player"' in html
    page_data = _embedded(html, "lc-page")
    assert isinstance(page_data, dict)
    assert page_data["user"] is None
    assert page_data["session"]["id"] == shop.session_id
    assert page_data["session"]["pinned"]["id"] == shop.item_id

    client.cookies.set("lang", "en")
    en = await client.get(f"/live/{shop.session_id}")
    assert en.status_code == 200
    assert "Now showing" in en.text
    assert "Log in to chat" in en.text
    assert "讲解中" not in en.text


async def test_signed_in_viewer_gets_chat_input_and_like_button(
    client: httpx.AsyncClient,
) -> None:
    shop = await build_live_shop(client)
    viewer = await sign_up(client, "viewer", name="小明")
    await log_in_browser(client, viewer)
    html = (await client.get(f"/live/{shop.session_id}")).text
    assert 'id="chat-form"' in html
    assert 'id="like-button"' in html
    assert "登录后参与聊天" not in html
    page_data = _embedded(html, "lc-page")
    assert isinstance(page_data, dict)
    assert page_data["user"] == {"id": viewer.id, "display_name": "小明", "role": "viewer"}


async def test_script_in_names_and_titles_is_escaped(client: httpx.AsyncClient) -> None:
    attack = "<script>alert(1)</script>"
    shop = await build_live_shop(
        client,
        product_title=f"面霜{attack}",
        room_name=f"房间{attack}",
        session_title=f"专场{attack}",
    )
    for path in (f"/live/{shop.session_id}", "/"):
        html = (await client.get(path)).text
        assert attack not in html
        assert "alert(1)</script>" not in html
        assert "<script>alert" not in html
    live_html = (await client.get(f"/live/{shop.session_id}")).text
    assert "房间&lt;script&gt;alert(1)&lt;/script&gt;" in live_html
    assert "面霜&lt;script&gt;alert(1)&lt;/script&gt;" in live_html
    # In the embedded JSON the angle brackets are escaped too, and the data survives.
    assert "\\u003cscript\\u003e" in live_html
    page_data = _embedded(live_html, "lc-page")
    assert isinstance(page_data, dict)
    assert page_data["session"]["pinned"]["title"] == f"面霜{attack}"
    home_html = (await client.get("/")).text
    assert "专场&lt;script&gt;alert(1)&lt;/script&gt;" in home_html


async def test_unknown_session_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/live/" + "0" * 32)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "这场直播不存在" in response.text
    assert "回到首页" in response.text
    assert 'id="player"' not in response.text
    client.cookies.set("lang", "en")
    response = await client.get("/live/not-a-session")
    assert response.status_code == 404
    assert "This live session does not exist" in response.text


async def test_pages_send_a_content_security_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("lang", "strings"),
    [
        ("zh", ["登录", "邮箱", "密码", "还没有账号？"]),
        ("en", ["Log in", "E-mail", "Password", "No account yet?"]),
    ],
)
async def test_login_page(client: httpx.AsyncClient, lang: str, strings: list[str]) -> None:
    client.cookies.set("lang", lang)
    response = await client.get("/login?next=/orders")
    assert response.status_code == 200
    for text in strings:
        assert text in response.text
    assert 'data-next="/orders"' in response.text


@pytest.mark.parametrize(
    ("lang", "strings"),
    [
        ("zh", ["注册新账号", "观众：看直播、买东西", "主播：开直播、带货"]),
        ("en", ["Create an account", "Viewer: watch and buy", "Host: go live and sell"]),
    ],
)
async def test_signup_page_offers_the_roles(
    client: httpx.AsyncClient, lang: str, strings: list[str]
) -> None:
    client.cookies.set("lang", lang)
    response = await client.get("/signup")
    assert response.status_code == 200
    for text in strings:
        assert text in response.text
    for role in ("viewer", "host", "merchant"):
        assert f'name="role" value="{role}"' in response.text


async def test_login_page_redirects_a_signed_in_user(client: httpx.AsyncClient) -> None:
    viewer = await sign_up(client)
    await log_in_browser(client, viewer)
    response = await client.get("/login?next=/orders")
    assert response.status_code == 303
    assert response.headers["location"] == "/orders"
    response = await client.get("/login?next=https://evil.example/")
    assert response.headers["location"] == "/"


async def test_private_pages_send_anonymous_users_to_log_in(client: httpx.AsyncClient) -> None:
    for path in ("/orders", "/console/host", "/console/merchant", "/pay/sandbox/abc"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2F"), path


async def test_orders_and_pay_pages_for_a_viewer(client: httpx.AsyncClient) -> None:
    viewer = await sign_up(client)
    await log_in_browser(client, viewer)
    html = (await client.get("/orders")).text
    for text in ("我的订单", "待付款", "已发货", "收货地址"):
        assert text in html
    client.cookies.set("lang", "en")
    html = (await client.get("/orders")).text
    for text in ("My orders", "Awaiting payment", "Shipped", "Address book"):
        assert text in html
    pay = await client.get("/pay/sandbox/" + "a" * 32)
    assert pay.status_code == 404
    assert "This payment does not exist" in pay.text


async def test_my_coupons_and_lottery_pages(client: httpx.AsyncClient) -> None:
    assert (await client.get("/coupons")).status_code == 303
    viewer = await sign_up(client, "viewer", name="小红")
    await log_in_browser(client, viewer)
    page = await client.get("/coupons")
    assert page.status_code == 200
    assert 'href="/coupons"' in page.text  # the site menu links it
    assert "我的优惠券" in page.text
    assert "我的奖品" in page.text
    missing = await client.get(f"/lotteries/{'0' * 32}")
    assert missing.status_code == 404
    assert "这个福袋不存在" in missing.text


async def test_sandbox_pay_page_shows_amount_and_items_to_the_buyer_only(
    client: httpx.AsyncClient,
) -> None:
    shop = await build_live_shop(client, product_title="面霜<b>限量</b>", live_price_cents=8900)
    buyer = await sign_up(client, "viewer", name="小红")
    address_id = await add_address(client, buyer, "小红")
    sku_id = shop.product["skus"][0]["id"]
    order = await client.post(
        "/api/v1/orders",
        headers=buyer.headers,
        json={
            "sku_id": sku_id,
            "quantity": 2,
            "address_id": address_id,
            "session_id": shop.session_id,
        },
    )
    assert order.status_code == 201, order.text
    started = await client.post(f"/api/v1/orders/{order.json()['id']}/pay", headers=buyer.headers)
    assert started.status_code == 200, started.text
    pay_url = started.json()["pay_url"]
    assert pay_url == f"/pay/sandbox/{started.json()['payment_id']}"

    await log_in_browser(client, buyer)
    response = await client.get(pay_url)
    assert response.status_code == 200
    html = response.text
    assert "收银台（沙箱）" in html
    assert "¥178.00" in html
    assert "面霜&lt;b&gt;限量&lt;/b&gt;" in html
    assert "<b>限量</b>" not in html

    client.cookies.clear()
    stranger = await sign_up(client, "viewer")
    await log_in_browser(client, stranger)
    response = await client.get(pay_url)
    assert response.status_code == 404
    assert "这笔支付不存在" in response.text


async def test_consoles_check_the_role(client: httpx.AsyncClient) -> None:
    viewer = await sign_up(client, "viewer")
    await log_in_browser(client, viewer)
    for path in ("/console/host", "/console/merchant"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "没有权限" in response.text
    home = (await client.get("/")).text
    assert 'href="/console/host"' not in home
    assert 'href="/orders"' in home

    client.cookies.clear()
    host = await sign_up(client, "host")
    await log_in_browser(client, host)
    response = await client.get("/console/host")
    assert response.status_code == 200
    assert "主播后台" in response.text
    assert (await client.get("/console/merchant")).status_code == 403

    client.cookies.clear()
    merchant = await sign_up(client, "merchant")
    await log_in_browser(client, merchant)
    response = await client.get("/console/merchant")
    assert response.status_code == 200
    for text in ("商家后台", "规格（SKU）", "商品图片", "待付款"):
        assert text in response.text
    # Merchants may run their own room too (商家自播).
    assert (await client.get("/console/host")).status_code == 200


async def test_host_session_console_is_only_for_that_host(client: httpx.AsyncClient) -> None:
    shop = await build_live_shop(client)
    await log_in_browser(client, shop.host)
    response = await client.get(f"/console/host/sessions/{shop.session_id}")
    assert response.status_code == 200
    for text in ("实时数据", "在线人数", "成交金额", "违禁词", "购物袋商品", "结束直播"):
        assert text in response.text
    assert "春季护肤专场" in response.text
    assert (await client.get("/console/host/sessions/" + "0" * 32)).status_code == 404

    client.cookies.clear()
    other_host = await sign_up(client, "host")
    await log_in_browser(client, other_host)
    response = await client.get(f"/console/host/sessions/{shop.session_id}")
    assert response.status_code == 403


async def test_static_assets_are_served(client: httpx.AsyncClient) -> None:
    html = (await client.get("/login")).text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("app.css" in asset for asset in assets)
    assert any("js/common.js" in asset for asset in assets)
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
    for script in sorted((WEB_DIR / "static" / "js").glob("*.js")):
        response = await client.get(f"/static/js/{script.name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]


async def test_live_room_gives_each_browser_one_visitor_id(client: httpx.AsyncClient) -> None:
    shop = await build_live_shop(client)
    first = await client.get(f"/live/{shop.session_id}")
    visitor = first.cookies["lc_visitor"]
    assert re.fullmatch(r"[0-9a-f]{32}", visitor)
    assert "httponly" in first.headers["set-cookie"].lower()
    again = await client.get(f"/live/{shop.session_id}")
    assert "lc_visitor" not in again.cookies
    assert client.cookies["lc_visitor"] == visitor
