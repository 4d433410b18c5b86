"""Reserved sessions and the worker, as the notification tests need them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import EmailDelivery, Notification
from livecommerce.worker.loop import WorkerLoop
from tests.factories import Account, sign_up
from tests.live.helpers import create_room


async def reserve(
    client: httpx.AsyncClient, viewer: Account, session_id: str, expect: int = 200
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/live-sessions/{session_id}/reservation", headers=viewer.headers
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def upcoming_session(
    client: httpx.AsyncClient, *, in_minutes: int = 60, title: str = "春季上新专场"
) -> tuple[Account, dict[str, Any]]:
    """A host and its scheduled session starting ``in_minutes`` from now."""
    host = await sign_up(client, "host", name="小美")
    room = await create_room(client, host, name="小美的直播间")
    planned = (utcnow() + timedelta(minutes=in_minutes)).isoformat()
    response = await client.post(
        f"/api/v1/rooms/{room['id']}/sessions",
        json={"title": title, "planned_start_at": planned},
        headers=host.headers,
    )
    assert response.status_code == 201, response.text
    return host, response.json()


async def act(client: httpx.AsyncClient, host: Account, session_id: str, action: str) -> None:
    response = await client.post(
        f"/api/v1/live-sessions/{session_id}/{action}", headers=host.headers
    )
    assert response.status_code == 200, response.text


async def drain(runtime: Runtime) -> int:
    """Run the worker until nothing is due; how many jobs ran."""
    total = 0
    while ran := await WorkerLoop(runtime).run_once():
        total += ran
    return total


def move_to(at: datetime) -> None:
    clock.freeze(at)


async def notifications_of(runtime: Runtime, user_id: str) -> list[Notification]:
    async with runtime.db.reading() as session:
        result = await session.execute(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at, Notification.id)
        )
        return list(result.scalars())


async def templates_of(runtime: Runtime, user_id: str) -> list[str]:
    return [row.template for row in await notifications_of(runtime, user_id)]


async def deliveries(runtime: Runtime) -> list[EmailDelivery]:
    async with runtime.db.reading() as session:
        result = await session.execute(select(EmailDelivery).order_by(EmailDelivery.created_at))
        return list(result.scalars())
