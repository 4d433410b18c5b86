"""API errors speak the caller's language (lang cookie, else Accept-Language, else zh)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from livecommerce.kit.messages import ERROR_MESSAGES, error_message, validation_problem
from tests.factories import sign_up

SOURCE = Path(__file__).resolve().parents[2] / "src" / "livecommerce"


def test_every_error_code_raised_has_a_chinese_and_an_english_sentence() -> None:
    raised: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'\bcode="([a-z_]+)"', text))
        raised |= set(re.findall(r'^    code = "([a-z_]+)"', text, re.MULTILINE))
    missing = sorted(raised - set(ERROR_MESSAGES))
    assert missing == []
    for code, (chinese, english) in ERROR_MESSAGES.items():
        assert re.search(r"[\u4e00-\u9fff]", chinese), code
        assert english, code


def test_sentences_fill_details_and_fall_back_by_status() -> None:
    assert error_message("zh", "not_enough_units", 409, "Only 3 left.", {"left": 3}) == (
        "只剩 3 件了"
    )
    assert error_message("en", "not_enough_units", 409, "Only 3 left.", {"left": 3}) == (
        "Only 3 left."
    )
    # A code without a sentence of its own: the status's sentence in Chinese.
    assert error_message("zh", "brand_new_code", 409, "Something new.") == (
        "操作与当前状态冲突，请刷新后重试"
    )
    assert error_message("en", "brand_new_code", 409, "Something new.") == "Something new."
    # A sentence whose placeholder the details lack falls back too.
    assert error_message("zh", "body_too_large", 413) == "文件太大了"


def test_validation_problems_in_both_languages() -> None:
    error = {"type": "less_than_equal", "msg": "Input should be ≤ 99", "ctx": {"le": 99}}
    assert validation_problem("zh", error) == "不能大于 99"
    assert validation_problem("en", error) == "must be at most 99"
    blank = {
        "type": "value_error",
        "msg": "Value error, must not be blank",
        "ctx": {"error": "must not be blank"},
    }
    assert validation_problem("zh", blank) == "不能为空"
    assert validation_problem("en", blank) == "must not be blank"
    choice = {"type": "literal_error", "msg": "x", "ctx": {"expected": "'succeed' or 'fail'"}}
    assert validation_problem("zh", choice) == "只能是 'succeed' 或 'fail'"
    assert validation_problem("en", choice) == "must be 'succeed' or 'fail'"


@pytest.mark.parametrize(
    ("headers", "cookies", "expected"),
    [
        ({}, {}, "“title”填写有误：不能为空"),
        ({"Accept-Language": "en-US,en;q=0.9"}, {}, "Invalid value for 'title': must not be blank"),
        ({"Accept-Language": "en"}, {"lang": "zh"}, "“title”填写有误：不能为空"),
        (
            {"Accept-Language": "zh-CN"},
            {"lang": "en"},
            "Invalid value for 'title': must not be blank",
        ),
    ],
)
async def test_validation_errors_follow_the_page_language(
    client: httpx.AsyncClient, headers: dict[str, str], cookies: dict[str, str], expected: str
) -> None:
    merchant = await sign_up(client, "merchant")
    client.cookies.update(cookies)
    response = await client.post(
        "/api/v1/products",
        headers={**merchant.headers, **headers},
        json={"title": "\u200b"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["message"] == expected
    assert body["details"]["errors"][0]["field"] == "title"


async def test_business_and_http_errors_follow_the_page_language(
    client: httpx.AsyncClient,
) -> None:
    missing = "/api/v1/live-sessions/" + "0" * 32
    zh = await client.get(missing)
    assert (zh.status_code, zh.json()) == (
        404,
        {"code": "live_session_not_found", "message": "这场直播不存在"},
    )
    en = await client.get(missing, headers={"Accept-Language": "en"})
    assert (en.status_code, en.json()["code"], en.json()["message"]) == (
        404,
        "live_session_not_found",
        "No such live session.",
    )
    anonymous = await client.get("/api/v1/me")
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"code": "not_authenticated", "message": "请先登录"},
    )
    no_route = await client.get("/api/v1/no-such-thing")
    assert (no_route.status_code, no_route.json()) == (
        404,
        {"code": "not_found", "message": "要找的内容不存在"},
    )
