"""Fan-club test helpers: what viewers do in a room, through the paths the room uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from livecommerce.insights.service import BehaviourRecord, insights_service
from livecommerce.kit.runtime import Runtime
from livecommerce.models import User
from livecommerce.realtime.service import realtime_service
from tests.factories import Account


async def join(client: httpx.AsyncClient, viewer: Account, room_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/rooms/{room_id}/fan-club", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def membership(client: httpx.AsyncClient, viewer: Account, room_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/rooms/{room_id}/fan-club", headers=viewer.headers)
    assert response.status_code == 200, response.text
    you: dict[str, Any] = response.json()["you"]
    return you


async def chat(runtime: Runtime, viewer: Account, session_id: str, text: str) -> str:
    """Send a chat message the way the room's WebSocket does; its id."""
    async with runtime.db.transaction() as session:
        user = await session.get(User, viewer.id)
        message = await realtime_service.do_send_chat(
            session, session_id=session_id, user=user, text=text
        )
        return message.id


async def record(
    runtime: Runtime,
    kind: str,
    viewer: Account,
    *,
    room_id: str,
    session_id: str,
    value: int,
    at: datetime | None = None,
) -> None:
    """Store behaviour in a batch, as the room's hub does once a tick (heartbeats, likes,
    visits)."""
    async with runtime.db.transaction() as session:
        await insights_service.do_record_many(
            session,
            [
                BehaviourRecord(
                    kind=kind,
                    user_id=viewer.id,
                    room_id=room_id,
                    session_id=session_id,
                    value=value,
                    occurred_at=at,
                )
            ],
        )


async def share(client: httpx.AsyncClient, viewer: Account, session_id: str) -> None:
    response = await client.post(
        f"/api/v1/live-sessions/{session_id}/events",
        headers=viewer.headers,
        json={"kind": "share"},
    )
    assert response.status_code == 204, response.text
