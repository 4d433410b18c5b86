"""The host's fan list: followers and members with level, last visit, sessions watched,
paid orders and spend; filters, sort, pages, and a CSV export that matches the list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.fans.helpers import join, record
from tests.orders.shop import add_address, create_listing, open_stage, pay, place_order


async def walk(client: httpx.AsyncClient, host: Account, url: str, **params: Any) -> list[Any]:
    rows: list[Any] = []
    cursor = None
    while True:
        query = {**params, "limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, headers=host.headers, params=query)
        assert response.status_code == 200, response.text
        rows += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return rows


async def test_the_host_lists_filters_sorts_and_exports_its_fans(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    listing = await create_listing(client, price_cents=2500)
    stage = await open_stage(client, [listing])
    where = {"room_id": stage.room_id, "session_id": stage.session_id}
    follower = await sign_up(client, name="只关注")
    newcomer = await sign_up(client, name="新粉")
    regular = await sign_up(client, name="老粉")
    passerby = await sign_up(client, name="路人")  # visits, neither follows nor joins
    for account in (follower, regular):
        followed = await client.post(
            f"/api/v1/rooms/{stage.room_id}/follow", headers=account.headers
        )
        assert followed.status_code == 200
    await join(client, newcomer, stage.room_id)
    await join(client, regular, stage.room_id)
    for account in (follower, regular, passerby):
        await record(runtime, "enter", account, value=1, **where)
    clock.advance(timedelta(minutes=30))
    await record(runtime, "heartbeat", regular, value=1200, **where)  # level 3
    await record(runtime, "leave", regular, value=1800, **where)
    address = await add_address(client, regular)
    for _ in range(2):
        order = await place_order(
            client, regular, address["id"], listing, session_id=stage.session_id
        )
        await pay(client, regular, order["id"])

    url = f"/api/v1/rooms/{stage.room_id}/fans"
    everyone = await walk(client, stage.host, url)
    assert [(r["display_name"], r["following"], r["member"], r["level"]) for r in everyone] == [
        ("老粉", True, True, 4),  # 20 minutes + two orders (20 each, 40 a day) = 60
        ("新粉", False, True, 1),
        ("只关注", True, False, None),
    ]
    regular_row = everyone[0]
    assert (
        regular_row["intimacy"],
        regular_row["sessions_watched"],
        regular_row["orders"],
        regular_row["spend_cents"],
        regular_row["last_seen_at"],
    ) == (60, 1, 2, 5000, "2026-03-02T02:30:00Z")
    assert (everyone[1]["sessions_watched"], everyone[1]["last_seen_at"]) == (0, None)

    members = await walk(client, stage.host, url, segment="members")
    assert [row["display_name"] for row in members] == ["老粉", "新粉"]
    followers = await walk(client, stage.host, url, segment="followers")
    assert [row["display_name"] for row in followers] == ["老粉", "只关注"]
    level_three = await walk(client, stage.host, url, min_level=3)
    assert [row["display_name"] for row in level_three] == ["老粉"]
    by_last_seen = await walk(client, stage.host, url, sort="last_seen")
    assert [row["display_name"] for row in by_last_seen] == ["老粉", "只关注", "新粉"]
    by_spend = await walk(client, stage.host, url, sort="spend", segment="followers")
    assert [row["display_name"] for row in by_spend] == ["老粉", "只关注"]

    exported = await client.get(
        f"{url}.csv", headers=stage.host.headers, params={"segment": "followers"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [dict(row) for row in table] == [
        {
            key: ""
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
            for key, value in row.items()
            if key != "badge"  # the list's badge is the club's name and the level
        }
        for row in followers
    ]
    for account in (regular, passerby):
        refused = await client.get(url, headers=account.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_room_host")
    assert (await client.get(f"{url}.csv", headers=regular.headers)).status_code == 403
    bad = await client.get(url, headers=stage.host.headers, params={"sort": "name"})
    assert bad.status_code == 422


async def test_the_fan_list_shows_each_members_badge_as_chat_does(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    stage = await open_stage(client, [await create_listing(client)])
    renamed = await client.patch(
        f"/api/v1/rooms/{stage.room_id}/fan-club",
        headers=stage.host.headers,
        json={"badge_name": "红粉"},
    )
    assert renamed.status_code == 200, renamed.text
    member = await sign_up(client, name="老粉")
    follower = await sign_up(client, name="只关注")
    await join(client, member, stage.room_id)
    followed = await client.post(f"/api/v1/rooms/{stage.room_id}/follow", headers=follower.headers)
    assert followed.status_code == 200
    url = f"/api/v1/rooms/{stage.room_id}/fans"
    rows = {row["display_name"]: row for row in await walk(client, stage.host, url)}
    assert rows["老粉"]["badge"] == {"name": "红粉", "level": 1, "lit": True}
    assert rows["只关注"]["badge"] is None
