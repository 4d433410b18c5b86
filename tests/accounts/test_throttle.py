"""Log-in throttling per account and per address; unknown e-mails cost a hash check too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from livecommerce.accounts import service as account_service_module
from livecommerce.accounts.throttle import dummy_password_hash
from livecommerce.config import Settings
from tests.factories import Account, sign_up

WINDOW_S = 600


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "login_failures_per_account": 3,
            "login_failures_per_address": 6,
            "login_throttle_window_s": WINDOW_S,
        }
    )


@pytest.fixture
async def other_address(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["code"] == "login_throttled"
    assert body["details"] == {"retry_after_s": WINDOW_S}
    assert body["message"] == f"登录尝试次数过多，请 {WINDOW_S} 秒后再试"
    assert response.headers["retry-after"] == str(WINDOW_S)


async def test_an_account_is_throttled_after_its_failures_even_with_the_right_password(
    client: httpx.AsyncClient, other_address: httpx.AsyncClient
) -> None:
    victim = await sign_up(client)
    bystander = await sign_up(client)
    for _ in range(3):
        wrong = await _log_in(client, victim.email, "wrong password")
        assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    _throttled(await _log_in(client, victim.email, victim.password))
    _throttled(await _log_in(other_address, victim.email.upper(), victim.password))
    token = await client.post(
        "/api/v1/auth/token", json={"email": victim.email, "password": victim.password}
    )
    _throttled(token)
    # Other accounts from the same address are not affected (below the address limit).
    assert (await _log_in(client, bystander.email, bystander.password)).status_code == 200


async def test_a_successful_log_in_clears_the_account_counter(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    for _round in range(2):
        for _ in range(2):
            assert (await _log_in(client, account.email, "wrong password")).status_code == 401
        assert (await _log_in(client, account.email, account.password)).status_code == 200
    assert (await _log_in(client, account.email, "wrong password")).status_code == 401


async def test_an_address_is_throttled_after_failures_over_many_accounts(
    client: httpx.AsyncClient, other_address: httpx.AsyncClient
) -> None:
    account = await sign_up(client)
    for number in range(6):
        guess = await _log_in(client, f"nobody{number}@example.com", "guess")
        assert (guess.status_code, guess.json()["code"]) == (401, "invalid_credentials")
    _throttled(await _log_in(client, account.email, account.password))
    elsewhere = await _log_in(other_address, account.email, account.password)
    assert elsewhere.status_code == 200, elsewhere.text


async def test_unknown_emails_and_wrong_passwords_both_check_one_hash(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    account: Account = await sign_up(client)
    checked: list[str] = []
    real_verify = account_service_module.verify_password_off_loop

    async def recording_verify(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return await real_verify(password_hash, password)

    monkeypatch.setattr(account_service_module, "verify_password_off_loop", recording_verify)
    unknown = await _log_in(client, "nobody@example.com", "whatever")
    wrong = await _log_in(client, account.email, "whatever")
    assert [unknown.json()["code"], wrong.json()["code"]] == ["invalid_credentials"] * 2
    assert len(checked) == 2
    assert checked[0] == dummy_password_hash()
    assert checked[0].startswith("$argon2")
    assert checked[1].startswith("$argon2")
    assert checked[1] != checked[0]
