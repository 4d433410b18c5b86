"""The room's online list of fan-club members: visits and heartbeats put a member in it,
leaving or going quiet takes them out; highest level first, paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.fans.helpers import join, record
from tests.orders.shop import open_stage


async def test_the_online_list_shows_members_watching_with_their_badges(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    stage = await open_stage(client, [])
    where = {"room_id": stage.room_id, "session_id": stage.session_id}
    low = await sign_up(client, name="新粉")
    high = await sign_up(client, name="老粉")
    outsider = await sign_up(client, name="路人")
    for fan in (low, high):
        await join(client, fan, stage.room_id)
    url = f"/api/v1/live-sessions/{stage.session_id}/fans-online"
    assert (await client.get(url)).json() == {"items": [], "next_cursor": None}

    for account in (low, high, outsider):
        await record(runtime, "enter", account, value=1, **where)
    await record(runtime, "heartbeat", high, value=1200, **where)  # 20 minutes: level 3
    listed = (await client.get(url)).json()
    assert [(item["display_name"], item["badge"]["level"]) for item in listed["items"]] == [
        ("老粉", 3),
        ("新粉", 1),
    ]
    first = (await client.get(url, params={"limit": 1})).json()
    assert [item["display_name"] for item in first["items"]] == ["老粉"]
    rest = (await client.get(url, params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert ([item["display_name"] for item in rest["items"]], rest["next_cursor"]) == (
        ["新粉"],
        None,
    )

    await record(runtime, "leave", low, value=60, **where)
    assert [item["display_name"] for item in (await client.get(url)).json()["items"]] == ["老粉"]
    # Without a heartbeat for a while a member (a closed laptop, a dead worker) drops out.
    clock.advance(timedelta(seconds=151))
    assert (await client.get(url)).json()["items"] == []
    await record(runtime, "heartbeat", high, value=60, **where)
    assert [item["display_name"] for item in (await client.get(url)).json()["items"]] == ["老粉"]
    missing = await client.get("/api/v1/live-sessions/" + "0" * 32 + "/fans-online")
    assert (missing.status_code, missing.json()["code"]) == (404, "live_session_not_found")
