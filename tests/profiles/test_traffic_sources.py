"""Visits the traffic domain attributes (traffic.visit_attributed) fill the signed-in
viewer's profile: visits per traffic source."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from livecommerce.kit.runtime import Runtime
from livecommerce.models import UserProfile
from tests.factories import sign_up
from tests.live.helpers import create_room, schedule, start


async def test_attributed_visits_fill_the_profiles_traffic_sources(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host, name="茶室", tags=["茶叶"])
    session_id = str((await schedule(client, host, room["id"]))["id"])
    await start(client, host, session_id)
    viewer = await sign_up(client, "viewer")
    feed = await client.get("/api/v1/feed", headers=viewer.headers)
    (item,) = [i for i in feed.json()["items"] if i["session_id"] == session_id]
    for body in ({"came_from": "search"}, {"impression_id": item["impression_id"]}):
        visit = await client.post(
            "/api/v1/traffic/visits",
            headers=viewer.headers,
            json={"session_id": session_id, **body},
        )
        assert visit.status_code == 200, visit.text
    # An anonymous visit has nobody's profile to fill.
    anonymous = await client.post(
        "/api/v1/traffic/visits",
        headers={"Cookie": "lc_visitor=" + "a" * 32},
        json={"session_id": session_id, "came_from": "external"},
    )
    assert anonymous.status_code == 200, anonymous.text

    profile = await client.get("/api/v1/me/profile", headers=viewer.headers)
    assert profile.status_code == 200, profile.text
    assert profile.json()["sources"] == {"feed_recommend": 1, "search": 1}
    async with runtime.db.reading() as session:
        stored = await session.get(UserProfile, viewer.id)
        assert stored is not None
        assert stored.sources == {"feed_recommend": 1, "search": 1}
        assert await session.scalar(select(func.count()).select_from(UserProfile)) == 1
