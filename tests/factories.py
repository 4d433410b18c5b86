"""Test data through the public API, the way a client would create it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)


@dataclass
class Account:
    id: str
    email: str
    password: str
    token: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(
    client: httpx.AsyncClient, role: str = "viewer", name: str | None = None
) -> Account:
    number = next(_counter)
    email = f"{role}{number}@example.com"
    password = "correct horse battery"
    response = await client.post(
        "/api/v1/auth/signup",
        json={
            "email": email,
            "password": password,
            "display_name": name or f"{role.title()} {number}",
            "role": role,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    # API calls in tests use the bearer token, not the cookie the sign-up also set.
    client.cookies.clear()
    return Account(
        id=body["user"]["id"],
        email=email,
        password=password,
        token=body["token"],
        role=role,
    )


async def link_staff(client: httpx.AsyncClient, merchant: Account, host: Account) -> None:
    """``host`` becomes ``merchant``'s staff (商家自播): it may sell the merchant's products."""
    invited = await client.post(
        "/api/v1/mcn/staff", json={"host_id": host.id}, headers=merchant.headers
    )
    assert invited.status_code == 201, invited.text
    accepted = await client.post(f"/api/v1/mcn/staff/{merchant.id}/accept", headers=host.headers)
    assert accepted.status_code == 200, accepted.text
