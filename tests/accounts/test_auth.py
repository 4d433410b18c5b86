from __future__ import annotations

import httpx
from fastapi import FastAPI

from livecommerce.app import answer_healthz_first
from tests.factories import sign_up


async def test_sign_up_then_token_then_me(client: httpx.AsyncClient) -> None:
    account = await sign_up(client, "viewer", name="小明")
    response = await client.post(
        "/api/v1/auth/token", json={"email": account.email, "password": account.password}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["display_name"] == "小明"
    assert me.json()["role"] == "viewer"


async def test_wrong_password_is_401_with_code(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    response = await client.post(
        "/api/v1/auth/token", json={"email": account.email, "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_duplicate_email_is_409(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": account.email.upper(), "password": "another password", "display_name": "x"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


async def test_platform_admin_cannot_be_self_assigned(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        json={
            "email": "boss@example.com",
            "password": "long enough",
            "display_name": "boss",
            "role": "platform_admin",
        },
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_bad_email_is_422_with_sentence(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": "not-an-email", "password": "long enough", "display_name": "x"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert "email" in body["message"]


async def test_cookie_session_requires_csrf_for_writes(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": "c@example.com", "password": "long enough", "display_name": "C"},
    )
    assert response.status_code == 201
    csrf = client.cookies.get("lc_csrf")
    assert csrf
    assert (await client.get("/api/v1/me")).status_code == 200
    without = await client.patch("/api/v1/me/locale", json={"locale": "en"})
    assert without.status_code == 403
    assert without.json()["code"] == "csrf_failed"
    with_token = await client.patch(
        "/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": csrf}
    )
    assert with_token.status_code == 200
    assert with_token.json()["locale"] == "en"


async def test_logout_revokes_token(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    assert (await client.post("/api/v1/auth/logout", headers=account.headers)).status_code == 204
    response = await client.get("/api/v1/me", headers=account.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_healthz_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert "/api/v1/me" in (await client.get("/openapi.json")).json()["paths"]


async def test_healthz_answered_in_front_is_the_routes_own_answer(app: FastAPI) -> None:
    """The server answers ``GET /healthz`` before the middleware (``answer_healthz_first``):
    the same status, headers and body as the route behind it; other requests go on."""
    replies = []
    for served in (app, answer_healthz_first(app)):
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            reply = await http.get("/healthz")
            replies.append((reply.status_code, sorted(reply.headers.items()), reply.content))
            assert (await http.get("/api/v1/me")).status_code == 401
    assert replies[0] == replies[1]
