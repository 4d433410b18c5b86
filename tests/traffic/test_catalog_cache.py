"""Feed requests share one prepared catalog per refresh tick; a session going on or off air,
a pin or demotion and a policy change are seen by the very next feed request, in this
process and (with Redis) in another one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from livecommerce.app import create_app
from livecommerce.config import Settings
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.traffic.service import traffic_service
from tests.catalog.helpers import make_admin
from tests.conftest import TEST_REDIS_URL
from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule, start

NOON = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)  # a tick starts (5 s ticks)


async def _room(client: httpx.AsyncClient, name: str) -> tuple[Account, dict[str, Any]]:
    host = await sign_up(client, "host")
    room = await create_room(client, host, name=name, tags=[])
    live = await schedule(client, host, room["id"], title=f"{name}专场")
    clock.advance(timedelta(seconds=1))  # on air a second after the one before: an exact order
    await start(client, host, live["id"])
    return host, live


async def _feed(client: httpx.AsyncClient, viewer: Account) -> list[tuple[str, str]]:
    response = await client.get("/api/v1/feed", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return [(item["title"], item["kind"]) for item in response.json()["items"]]


async def _popular_without_cold_start(client: httpx.AsyncClient, admin: Account) -> None:
    """The old order (online count, all 0 here: sessions as the catalog lists them, live
    first), no cold-start places: the feed's order is exact."""
    policy = (await client.get("/api/v1/admin/traffic/policy", headers=admin.headers)).json()
    policy = {**policy, "weights": {"popular": 1}, "cold_start_share": 0}
    response = await client.put("/api/v1/admin/traffic/policy", json=policy, headers=admin.headers)
    assert response.status_code == 200, response.text


async def _boost(client: httpx.AsyncClient, admin: Account, room_id: str, kind: str) -> None:
    response = await client.post(
        f"/api/v1/admin/traffic/rooms/{room_id}/boost", json={"kind": kind}, headers=admin.headers
    )
    assert response.status_code == 204, response.text


async def test_requests_share_a_catalog_per_tick_and_the_next_one_sees_each_change(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(NOON)
    admin = await sign_up(client)
    await make_admin(runtime, admin)
    viewer = await sign_up(client)
    first_host, first = await _room(client, "甲")
    assert await _feed(client, viewer) == [("甲专场", "live")]
    built = traffic_service.catalog_builds(runtime)
    # Another request in the same tick (another visit: no cursor) shares the catalog.
    assert await _feed(client, viewer) == [("甲专场", "live")]
    assert traffic_service.catalog_builds(runtime) == built

    # A policy change: the next request prepares a new catalog under the new policy.
    await _popular_without_cold_start(client, admin)
    assert await _feed(client, viewer) == [("甲专场", "live")]
    assert traffic_service.catalog_builds(runtime) == built + 1

    # A session going on air.
    _, second = await _room(client, "乙")
    assert await _feed(client, viewer) == [("乙专场", "live"), ("甲专场", "live")]
    assert traffic_service.catalog_builds(runtime) == built + 2

    # A session ending: a replay now, after the live one.
    response = await client.post(
        f"/api/v1/live-sessions/{first['id']}/end", headers=first_host.headers
    )
    assert response.status_code == 200, response.text
    assert await _feed(client, viewer) == [("乙专场", "live"), ("甲专场", "replay")]
    assert traffic_service.catalog_builds(runtime) == built + 3

    # A pin, its removal, a demotion (of a room whose score is 0 here: the order stays).
    await _boost(client, admin, first["room_id"], "pin")
    assert await _feed(client, viewer) == [("甲专场", "replay"), ("乙专场", "live")]
    assert traffic_service.catalog_builds(runtime) == built + 4
    await _boost(client, admin, first["room_id"], "clear")
    assert await _feed(client, viewer) == [("乙专场", "live"), ("甲专场", "replay")]
    assert traffic_service.catalog_builds(runtime) == built + 5
    await _boost(client, admin, second["room_id"], "demote")
    assert await _feed(client, viewer) == [("乙专场", "live"), ("甲专场", "replay")]
    assert traffic_service.catalog_builds(runtime) == built + 6

    # Nothing changed: the same catalog until the tick ends.
    assert await _feed(client, viewer) == [("乙专场", "live"), ("甲专场", "replay")]
    assert traffic_service.catalog_builds(runtime) == built + 6
    clock.advance(timedelta(seconds=runtime.settings.traffic_catalog_refresh_s))
    assert await _feed(client, viewer) == [("乙专场", "live"), ("甲专场", "replay")]
    assert traffic_service.catalog_builds(runtime) == built + 7


@pytest.mark.skipif(not TEST_REDIS_URL, reason="processes share the catalog's version in Redis")
async def test_two_processes_agree_within_the_tick(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    clock.freeze(NOON)
    admin = await sign_up(client)
    await make_admin(runtime, admin)
    viewer = await sign_up(client)
    await _popular_without_cold_start(client, admin)
    _, first = await _room(client, "甲")
    await _room(client, "乙")
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        other_runtime: Runtime = other.state.runtime
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as peer:
            expected = [("乙专场", "live"), ("甲专场", "live")]
            assert await _feed(client, viewer) == expected
            assert await _feed(peer, viewer) == expected
            builds = (
                traffic_service.catalog_builds(runtime),
                traffic_service.catalog_builds(other_runtime),
            )
            # A pin through this process: the other one's next request sees it.
            await _boost(client, admin, first["room_id"], "pin")
            pinned = [("甲专场", "live"), ("乙专场", "live")]
            assert await _feed(peer, viewer) == pinned
            assert await _feed(client, viewer) == pinned
            # The pin cleared through the other process: this one sees it.
            await _boost(peer, admin, first["room_id"], "clear")
            assert await _feed(client, viewer) == expected
            assert await _feed(peer, viewer) == expected
            assert (
                traffic_service.catalog_builds(runtime),
                traffic_service.catalog_builds(other_runtime),
            ) == (builds[0] + 2, builds[1] + 2)
            # Within the tick, with nothing changed, both keep their catalog and agree.
            assert await _feed(peer, viewer) == expected
            assert await _feed(client, viewer) == expected
            assert (
                traffic_service.catalog_builds(runtime),
                traffic_service.catalog_builds(other_runtime),
            ) == (builds[0] + 2, builds[1] + 2)
