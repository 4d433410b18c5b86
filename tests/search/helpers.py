from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from livecommerce.kit.runtime import Runtime
from livecommerce.models import JobStatus, ScheduledJob

SETTLE_ROUNDS = 1000


async def index_settled(runtime: Runtime) -> None:
    """Wait until the index has heard of every change so far: no search handler's outbox
    row is pending. (On PostgreSQL the worker loop may hold a row the request's own
    dispatch skipped, and finish it just after the response.)"""
    for _ in range(SETTLE_ROUNDS):
        async with runtime.db.reading() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(ScheduledJob)
                .where(
                    ScheduledJob.status == JobStatus.PENDING,
                    ScheduledJob.kind.like("event:search.%"),
                )
            )
        if not pending:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the search handlers did not finish")


class Finder:
    """``await find("龙井", "product")``: the search API's page once the index settled."""

    def __init__(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime

    async def __call__(self, q: str, type_: str | None = None, **params: Any) -> dict[str, Any]:
        await index_settled(self.runtime)
        query: dict[str, Any] = {"q": q, **params}
        if type_ is not None:
            query["type"] = type_
        response = await self.client.get("/api/v1/search", params=query)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def marked(parts: list[dict[str, Any]]) -> list[str]:
    return [part["text"] for part in parts if part["hit"]]
