"""Partner consoles: each page checks the role; scripts and strings are served."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Account, sign_up

PAGES = {
    "/console/marketplace": {"host", "mcn_admin"},
    "/console/offers": {"merchant"},
    "/console/agency": {"mcn_admin"},
    "/console/earnings": {"host", "merchant", "mcn_admin"},
}


async def _browser(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("role", ["viewer", "host", "merchant", "mcn_admin"])
async def test_partner_pages_check_the_role(client: httpx.AsyncClient, role: str) -> None:
    account = await sign_up(client, role)
    await _browser(client, account)
    for path, roles in PAGES.items():
        response = await client.get(path)
        assert response.status_code == (200 if role in roles else 403), (path, role)
        if role in roles:
            assert 'type="module"' in response.text
    home = await client.get("/")
    assert ('href="/console/earnings"' in home.text) is (role != "viewer")


async def test_partner_pages_send_anonymous_users_to_log_in(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


async def test_english_earnings_page_and_scripts(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    await _browser(client, host)
    client.cookies.set("lang", "en")
    page = await client.get("/console/earnings")
    assert "Earnings &amp; statements" in page.text
    assert "External product links" in page.text
    for name in ("marketplace", "offers", "agency", "earnings"):
        script = await client.get(f"/static/js/{name}.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
