"""The feed API: tabs, cursors without repeats, reasons in the viewer's language,
impressions, clicks counted once and only for their viewer, visits with their source."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import (
    BehaviourEvent,
    FeedImpression,
    JobStatus,
    ScheduledJob,
    TrafficVisit,
)
from livecommerce.traffic.service import traffic_service
from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule, start


async def _live_rooms(client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    sessions = []
    for number in range(count):
        host = await sign_up(client, "host")
        room = await create_room(client, host, name=f"直播间{number}", tags=["茶叶"])
        live = await schedule(client, host, room["id"], title=f"好茶专场 {number}")
        await start(client, host, live["id"])
        sessions.append(live)
    return sessions


async def _feed(
    client: httpx.AsyncClient, viewer: Account | None = None, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/feed", params=params, headers=None if viewer is None else viewer.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_anonymous_viewer_scrolls_the_whole_feed_without_repeats(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sessions = await _live_rooms(client, 12)
    first = await _feed(client)
    assert len(first["items"]) == 10
    assert first["next_cursor"]
    second = await _feed(client, cursor=first["next_cursor"])
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    shown = [item["session_id"] for item in first["items"] + second["items"]]
    assert sorted(shown) == sorted(item["id"] for item in sessions)
    item = first["items"][0]
    assert item["kind"] == "live"
    assert item["id"] == item["session_id"]
    assert item["reasons"]
    assert all(r["code"] and r["text"] for r in item["reasons"])
    assert item["url"] == f"/live/{item['session_id']}?imp={item['impression_id']}"
    async with runtime.db.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(FeedImpression))
    assert stored == 12


async def test_bad_tab_category_and_cursor_are_422_with_a_code(client: httpx.AsyncClient) -> None:
    for params, code in (
        ({"tab": "hot"}, "unknown_feed_tab"),
        ({"tab": "category", "category": "火箭"}, "unknown_feed_category"),
        ({"tab": "category"}, "unknown_feed_category"),
        ({"cursor": "nonsense"}, "bad_cursor"),
    ):
        response = await client.get("/api/v1/feed", params=params)
        assert response.status_code == 422, params
        assert response.json()["code"] == code


async def test_reasons_come_in_the_viewers_language(client: httpx.AsyncClient) -> None:
    await _live_rooms(client, 1)
    viewer = await sign_up(client)
    english = await client.get("/api/v1/feed", headers={**viewer.headers, "accept-language": "en"})
    chinese = await client.get(
        "/api/v1/feed", headers={**viewer.headers, "accept-language": "zh-CN"}
    )
    (en_item,) = english.json()["items"]
    (zh_item,) = chinese.json()["items"]
    assert en_item["reasons"][0]["code"] == zh_item["reasons"][0]["code"] == "new_session"
    assert en_item["reasons"][0]["text"] == "New session: test pool tier 1"
    assert zh_item["reasons"][0]["text"] == "新开播：测试流量池第 1 级"


async def test_follow_tab_changes_at_once_and_lists_live_then_upcoming(
    client: httpx.AsyncClient,
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host, name="茶语")
    upcoming = await schedule(client, host, room["id"], title="明天的新茶")
    other = await sign_up(client, "host")
    other_room = await create_room(client, other, name="别家")
    live = await schedule(client, other, other_room["id"], title="正在直播")
    await start(client, other, live["id"])
    viewer = await sign_up(client)
    assert (await _feed(client, viewer, tab="follow"))["items"] == []
    for room_id in (room["id"], other_room["id"]):
        response = await client.post(f"/api/v1/rooms/{room_id}/follow", headers=viewer.headers)
        assert response.status_code == 200, response.text
    items = (await _feed(client, viewer, tab="follow"))["items"]
    assert [(i["session_id"], i["kind"]) for i in items] == [
        (live["id"], "live"),
        (upcoming["id"], "upcoming"),
    ]
    assert [r["code"] for r in items[0]["reasons"]] == ["followed_host"]


async def test_a_click_counts_once_and_only_for_the_viewer_it_was_shown_to(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    (live,) = await _live_rooms(client, 1)
    viewer = await sign_up(client)
    intruder = await sign_up(client)
    (item,) = (await _feed(client, viewer))["items"]
    url = f"/api/v1/feed/impressions/{item['impression_id']}/click"
    stolen = await client.post(url, headers=intruder.headers)
    assert stolen.status_code == 200
    assert stolen.json() == {"counted": False, "visit_source": None}
    first = await client.post(url, headers=viewer.headers)
    assert first.json() == {"counted": True, "visit_source": "feed_recommend"}
    again = await client.post(url, headers=viewer.headers)
    assert again.json() == {"counted": False, "visit_source": None}
    unknown = await client.post("/api/v1/feed/impressions/0123/click", headers=viewer.headers)
    assert unknown.json()["counted"] is False
    async with runtime.db.reading() as session:
        visits = (await session.scalars(select(TrafficVisit))).all()
        outbox = await session.scalar(
            select(func.count())
            .select_from(ScheduledJob)
            .where(ScheduledJob.kind.like("event:%"), ScheduledJob.status == JobStatus.PENDING)
        )
    assert [(v.session_id, v.source, v.impression_id) for v in visits] == [
        (live["id"], "feed_recommend", item["impression_id"])
    ]
    assert outbox == 0


async def test_clicks_are_rate_limited_per_viewer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    runtime.settings.traffic_clicks_per_minute = 2
    await _live_rooms(client, 3)
    viewer = await sign_up(client)
    items = (await _feed(client, viewer))["items"]
    codes = []
    for item in items:
        response = await client.post(
            f"/api/v1/feed/impressions/{item['impression_id']}/click", headers=viewer.headers
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 429]
    assert response.json()["code"] == "feed_click_rate_limited"


async def test_shared_links_search_and_direct_visits_get_their_source(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    (live,) = await _live_rooms(client, 1)
    sharer = await sign_up(client)
    link = await client.post(
        "/api/v1/share-links",
        json={"room_id": live["room_id"], "session_id": live["id"]},
        headers=sharer.headers,
    )
    assert link.status_code == 201, link.text
    code = link.json()["code"]
    # The shared link leads into the room with its code, which the room reports.
    opened = await client.get(f"/s/{code}", follow_redirects=False)
    assert opened.headers["location"] == f"/live/{live['id']}?share={code}"
    client.cookies.clear()
    friend, searcher, walker = [await sign_up(client) for _ in range(3)]
    sources = []
    for viewer, body in (
        (friend, {"share_code": code}),
        (searcher, {"came_from": "search"}),
        (walker, {}),
    ):
        response = await client.post(
            "/api/v1/traffic/visits",
            json={"session_id": live["id"], **body},
            headers=viewer.headers,
        )
        assert response.status_code == 200, response.text
        sources.append(response.json()["source"])
    assert sources == ["share", "search", "direct"]
    bad = await client.post(
        "/api/v1/traffic/visits",
        json={"session_id": live["id"], "share_code": "nope"},
        headers=walker.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "unknown_share_code"


async def test_the_feed_takes_a_limit_per_page_and_walks_without_repeats(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    sessions = await _live_rooms(client, 5)
    pages: list[list[str]] = []
    cursor: str | None = None
    for limit in (2, 1, 100):
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = await _feed(client, **params)
        pages.append([item["session_id"] for item in body["items"]])
        cursor = body["next_cursor"]
    assert [len(page) for page in pages] == [2, 1, 2]
    assert cursor is None
    shown = [session_id for page in pages for session_id in page]
    assert sorted(shown) == sorted(item["id"] for item in sessions)
    async with runtime.db.reading() as session:
        positions = list(await session.scalars(select(FeedImpression.position)))
    assert sorted(positions) == [0, 1, 2, 3, 4]
    for limit in (0, 101):
        wrong = await client.get("/api/v1/feed", params={"limit": limit})
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "validation_failed"


async def test_exposures_and_entries_from_viewers_an_item_fits_are_counted_apart(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    tea_room = await create_room(client, host, name="茶室", tags=["茶叶"])
    tea = await schedule(client, host, tea_room["id"], title="春茶品鉴")
    await start(client, host, tea["id"])
    other = await sign_up(client, "host")
    phone_room = await create_room(client, other, name="手机馆", tags=["数码"])
    phones = await schedule(client, other, phone_room["id"], title="新机开箱")
    await start(client, other, phones["id"])
    tea_fan = await sign_up(client)
    phone_fan = await sign_up(client)
    async with runtime.db.transaction() as session:
        # Each viewer's interest comes from having been in a room of that tag before.
        for viewer, room in ((tea_fan, tea_room), (phone_fan, phone_room)):
            session.add(
                BehaviourEvent(
                    kind="enter",
                    user_id=viewer.id,
                    room_id=room["id"],
                    value=1,
                    payload={},
                    occurred_at=utcnow(),
                )
            )
    clicked: list[str] = []
    for viewer in (tea_fan, phone_fan):
        items = (await _feed(client, viewer))["items"]
        assert {item["session_id"] for item in items} == {tea["id"], phones["id"]}
        # Both viewers enter the tea session: one it fits, one it does not.
        (item,) = [item for item in items if item["session_id"] == tea["id"]]
        response = await client.post(
            f"/api/v1/feed/impressions/{item['impression_id']}/click", headers=viewer.headers
        )
        assert response.json()["counted"] is True
        clicked.append(item["impression_id"])
    async with runtime.db.reading() as session:
        stored = (await session.scalars(select(FeedImpression))).all()
        recorded = {(row.viewer_key, row.session_id): row.fits for row in stored}
        config = await traffic_service.policy_config(session)
        catalog = (await traffic_service.candidates(session, config)).catalog
    assert recorded == {
        (f"u:{tea_fan.id}", tea["id"]): True,
        (f"u:{tea_fan.id}", phones["id"]): False,
        (f"u:{phone_fan.id}", tea["id"]): False,
        (f"u:{phone_fan.id}", phones["id"]): True,
    }
    assert catalog.fit_exposures is not None
    assert catalog.fit_enters is not None
    row = {sid: index for index, sid in enumerate(catalog.session_ids)}
    tea_row, phone_row = row[tea["id"]], row[phones["id"]]
    # Two exposures each, one to a viewer it fits; the tea session's two entries (clicks),
    # of which one came from the viewer it fits; nobody entered the phone session.
    assert catalog.exposures[[tea_row, phone_row]].tolist() == [2.0, 2.0]
    assert catalog.enters[[tea_row, phone_row]].tolist() == [2.0, 0.0]
    assert catalog.fit_exposures[[tea_row, phone_row]].tolist() == [1.0, 1.0]
    assert catalog.fit_enters[[tea_row, phone_row]].tolist() == [1.0, 0.0]
