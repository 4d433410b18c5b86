"""Sign-up and log-in under concurrency: argon2 runs off the loop and outside the
write transaction, so concurrent requests queue for a hashing thread, not for the lock."""

from __future__ import annotations

import asyncio

import httpx

CONCURRENT = 32
PASSWORD = "correct horse battery"


async def test_concurrent_sign_ups_and_log_ins_all_succeed(client: httpx.AsyncClient) -> None:
    async def sign_up(number: int) -> httpx.Response:
        return await client.post(
            "/api/v1/auth/signup",
            json={
                "email": f"crowd{number}@example.com",
                "password": PASSWORD,
                "display_name": f"Crowd {number}",
            },
        )

    signed_up = await asyncio.gather(*(sign_up(number) for number in range(CONCURRENT)))
    assert [reply.status_code for reply in signed_up] == [201] * CONCURRENT
    assert len({reply.json()["user"]["id"] for reply in signed_up}) == CONCURRENT

    async def log_in(number: int) -> httpx.Response:
        return await client.post(
            "/api/v1/auth/token",
            json={"email": f"crowd{number}@example.com", "password": PASSWORD},
        )

    logged_in = await asyncio.gather(*(log_in(number) for number in range(CONCURRENT)))
    assert [reply.status_code for reply in logged_in] == [200] * CONCURRENT
    for number, reply in enumerate(logged_in):
        assert reply.json()["user"]["email"] == f"crowd{number}@example.com"
        me = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {reply.json()['token']}"}
        )
        assert me.json()["email"] == f"crowd{number}@example.com"


async def test_a_wrong_password_among_concurrent_log_ins_is_refused(
    client: httpx.AsyncClient,
) -> None:
    reply = await client.post(
        "/api/v1/auth/signup",
        json={"email": "solo@example.com", "password": PASSWORD, "display_name": "Solo"},
    )
    assert reply.status_code == 201
    attempts = await asyncio.gather(
        *(
            client.post(
                "/api/v1/auth/token",
                json={
                    "email": "solo@example.com",
                    "password": PASSWORD if number % 2 else "wrong password",
                },
            )
            for number in range(8)
        )
    )
    assert [attempt.status_code for attempt in attempts] == [401, 200] * 4
    assert {attempt.json().get("code") for attempt in attempts[::2]} == {"invalid_credentials"}


async def test_a_cached_token_is_forgotten_at_log_out_and_an_account_change(
    client: httpx.AsyncClient,
) -> None:
    reply = await client.post(
        "/api/v1/auth/signup",
        json={"email": "cached@example.com", "password": PASSWORD, "display_name": "Cached"},
    )
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {reply.json()['token']}"}
    for _ in range(2):  # the second read is answered from the cache
        me = await client.get("/api/v1/me", headers=headers)
        assert (me.status_code, me.json()["locale"]) == (200, "zh")
    changed = await client.patch("/api/v1/me/locale", headers=headers, json={"locale": "en"})
    assert changed.json()["locale"] == "en"
    assert (await client.get("/api/v1/me", headers=headers)).json()["locale"] == "en"
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    gone = await client.get("/api/v1/me", headers=headers)
    assert (gone.status_code, gone.json()["code"]) == (401, "invalid_token")
