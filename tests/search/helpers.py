from __future__ import annotations

from typing import Any

import httpx


async def search(
    client: httpx.AsyncClient, q: str, type_: str | None = None, **params: Any
) -> dict[str, Any]:
    query: dict[str, Any] = {"q": q, **params}
    if type_ is not None:
        query["type"] = type_
    response = await client.get("/api/v1/search", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def marked(parts: list[dict[str, Any]]) -> list[str]:
    return [part["text"] for part in parts if part["hit"]]
