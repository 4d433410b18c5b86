"""Request bodies have a size limit (413 body_too_large), NUL characters are refused
(400 null_character) and responses say nosniff."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from livecommerce.config import Settings
from tests.catalog.helpers import noisy_png
from tests.factories import sign_up

LIMIT = 4096


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"request_body_max_bytes": LIMIT})


def _big_product(size: int) -> bytes:
    return json.dumps({"title": "好物", "description": "x" * size}).encode()


async def test_a_body_over_the_limit_is_refused_by_its_length(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    headers = {**merchant.headers, "Content-Type": "application/json"}
    refused = await client.post(
        "/api/v1/products", headers=headers, content=_big_product(10 * 1024 * 1024)
    )
    assert refused.status_code == 413
    assert refused.json() == {
        "code": "body_too_large",
        "message": "请求内容太大（最多 4 KB）",
        "details": {"max_bytes": LIMIT, "max_kib": 4},
    }
    assert refused.headers["x-content-type-options"] == "nosniff"
    english = await client.post(
        "/api/v1/products",
        headers={**headers, "Accept-Language": "en"},
        content=_big_product(LIMIT),
    )
    assert (english.status_code, english.json()["message"]) == (
        413,
        "The request body is larger than 4 KiB.",
    )
    fits = await client.post("/api/v1/products", headers=headers, content=_big_product(1000))
    assert fits.status_code == 201, fits.text


async def test_a_streamed_body_without_length_stops_at_the_limit(
    client: httpx.AsyncClient,
) -> None:
    merchant = await sign_up(client, "merchant")
    body = _big_product(64 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    refused = await client.post(
        "/api/v1/products",
        headers={**merchant.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert refused.status_code == 413
    assert refused.json()["code"] == "body_too_large"


async def test_uploads_keep_their_own_limit(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    product = await client.post(
        "/api/v1/products", headers=merchant.headers, json={"title": "有图的商品"}
    )
    image = noisy_png(4 * LIMIT)
    uploaded = await client.post(
        f"/api/v1/products/{product.json()['id']}/images",
        headers=merchant.headers,
        files={"file": ("a.png", image, "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text


async def test_api_and_page_responses_say_nosniff(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/live-sessions", "/healthz", "/openapi.json", "/api/v1/me", "/"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("GET", "/api/v1/products/abc%00def", None),
        ("GET", "/api/v1/products?q=a%00b", None),
        ("POST", "/api/v1/products", b'{"title": "a\\u0000b"}'),
        ("POST", "/api/v1/products", b'{"title": "ok", "category": "\\\\\\u0000"}'),
        ("POST", "/api/v1/mcn/staff", b'{"host_id": "' + b"\\u0000" * 32 + b'"}'),
    ],
)
async def test_nul_characters_are_refused_before_any_query(
    client: httpx.AsyncClient, method: str, path: str, content: bytes | None
) -> None:
    merchant = await sign_up(client, "merchant")
    headers = {**merchant.headers, "Content-Type": "application/json"}
    response = await client.request(method, path, headers=headers, content=content)
    assert response.status_code == 400, response.text
    assert response.json() == {"code": "null_character", "message": "请求中含有空字符（NUL）"}


async def test_a_nul_in_a_form_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/media/nginx/on-publish",
        content=b"name=a%00b&app=live",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "null_character")


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(
    client: httpx.AsyncClient,
) -> None:
    merchant = await sign_up(client, "merchant")
    response = await client.post(
        "/api/v1/products",
        headers={**merchant.headers, "Content-Type": "application/json"},
        content=b'{"title": "path \\\\u0000 shown as text"}',
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "path \\u0000 shown as text"
