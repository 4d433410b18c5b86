"""After log-in the site sends people only to its own paths."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from livecommerce.web.rendering import safe_next
from tests.factories import sign_up
from tests.web.scenario import log_in_browser

OFF_SITE = [
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "//evil.example",
    "///evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "%20//evil.example",
    "/%E2%80%8B/evil.example",
    "evil.example",
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/orders", "/orders"),
        ("/live/abc?tab=chat#top", "/live/abc?tab=chat#top"),
        ("/%2F/evil.example", "/%2F/evil.example"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        (None, "/"),
        ("", "/"),
    ],
)
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


@pytest.mark.parametrize("target", OFF_SITE)
async def test_signed_in_log_in_page_stays_on_the_site(
    client: httpx.AsyncClient, target: str
) -> None:
    viewer = await sign_up(client)
    await log_in_browser(client, viewer)
    response = await client.get(f"/login?next={target}")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
async def test_log_in_form_carries_only_a_site_path(client: httpx.AsyncClient, target: str) -> None:
    response = await client.get(f"/login?next={target}")
    assert response.status_code == 200
    match = re.search(r'data-next="([^"]*)"', response.text)
    assert match is not None
    assert html.unescape(match.group(1)) == "/"


async def test_language_switch_stays_on_the_site(client: httpx.AsyncClient) -> None:
    response = await client.get("/lang/en?next=/%09/evil.example")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    response = await client.get("/lang/en?next=/orders")
    assert response.headers["location"] == "/orders"
