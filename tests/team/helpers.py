"""The host's team set up through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Account


async def invite(
    client: httpx.AsyncClient,
    host: Account,
    room_id: str,
    role: str,
    email: str | None = None,
    expect: int = 201,
) -> dict[str, Any]:
    body: dict[str, Any] = {"role": role} | ({"email": email} if email else {})
    response = await client.post(f"/api/v1/rooms/{room_id}/team", json=body, headers=host.headers)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def token_of(invited: dict[str, Any]) -> str:
    return str(invited["invite_url"]).rsplit("/", 1)[-1]


async def accept(
    client: httpx.AsyncClient, account: Account, token: str, expect: int = 200
) -> dict[str, Any]:
    response = await client.post(f"/api/v1/team/invites/{token}/accept", headers=account.headers)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def hire(
    client: httpx.AsyncClient, host: Account, room_id: str, role: str, staff: Account
) -> dict[str, Any]:
    """``staff`` joins the room's team with ``role`` (an e-mail invitation, accepted)."""
    invited = await invite(client, host, room_id, role, email=staff.email)
    return await accept(client, staff, token_of(invited))
