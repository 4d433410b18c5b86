"""The inbox API: pages, unread counts, marking read, and the reservation endpoints."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.notifications.service import notification_service
from tests.factories import sign_up
from tests.notifications.helpers import act, drain, reserve, upcoming_session


async def test_the_inbox_pages_newest_first_and_counts_what_is_unread(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    viewer = await sign_up(client, "viewer")
    other = await sign_up(client, "viewer")
    for number in range(5):
        async with runtime.db.transaction() as session:
            await notification_service.notify(
                session,
                [viewer.id, other.id],
                "message",
                {"title": f"第 {number} 条", "body": "正文"},
                link="/",
            )
        clock.advance(timedelta(seconds=1))
    headers = viewer.headers
    first = await client.get("/api/v1/notifications", params={"limit": 2}, headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert [item["title"] for item in body["items"]] == ["第 4 条", "第 3 条"]
    assert body["unread"] == 5
    assert body["items"][0]["body"] == "正文"
    assert body["items"][0]["read"] is False
    second = await client.get(
        "/api/v1/notifications",
        params={"limit": 2, "cursor": body["next_cursor"]},
        headers=headers,
    )
    third = await client.get(
        "/api/v1/notifications",
        params={"limit": 2, "cursor": second.json()["next_cursor"]},
        headers=headers,
    )
    assert [item["title"] for item in second.json()["items"]] == ["第 2 条", "第 1 条"]
    assert [item["title"] for item in third.json()["items"]] == ["第 0 条"]
    assert third.json()["next_cursor"] is None

    target = body["items"][1]["id"]
    read = await client.post(f"/api/v1/notifications/{target}/read", headers=headers)
    assert read.json() == {"unread": 4}
    again = await client.post(f"/api/v1/notifications/{target}/read", headers=headers)
    assert again.json() == {"unread": 4}
    unread_only = await client.get(
        "/api/v1/notifications", params={"unread_only": "true"}, headers=headers
    )
    assert [item["title"] for item in unread_only.json()["items"]] == [
        "第 4 条",
        "第 2 条",
        "第 1 条",
        "第 0 条",
    ]
    # Someone else's notification is not found, for reading as for anything else.
    theirs = await client.post(f"/api/v1/notifications/{target}/read", headers=other.headers)
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "notification_not_found"
    assert (await client.post("/api/v1/notifications/read-all", headers=headers)).json() == {
        "unread": 0
    }
    assert (await client.get("/api/v1/notifications/unread", headers=headers)).json() == {
        "unread": 0
    }
    assert (await client.get("/api/v1/notifications/unread", headers=other.headers)).json() == {
        "unread": 5
    }
    assert (await client.get("/api/v1/notifications")).status_code == 401


async def test_the_inbox_speaks_the_readers_language(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewer = await sign_up(client, "viewer")
    await reserve(client, viewer, live_session["id"])
    await act(client, host, live_session["id"], "cancel")
    await drain(runtime)
    english = await client.get(
        "/api/v1/notifications", headers={**viewer.headers, "Cookie": "lang=en"}
    )
    [item] = english.json()["items"]
    assert item["title"] == "Cancelled: a session you reserved"
    assert item["body"] == "小美的直播间: “春季上新专场” was cancelled."
    assert item["link"] == f"/live/{live_session['id']}"
    assert item["category"] == "reminders"


async def test_reserving_counts_once_and_shows_in_the_session(
    client: httpx.AsyncClient,
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=60)
    session_id = live_session["id"]
    assert live_session["reservation_count"] == 0
    viewers = [await sign_up(client, "viewer") for _ in range(2)]
    assert await reserve(client, viewers[0], session_id) == {
        "session_id": session_id,
        "reserved": True,
        "reservation_count": 1,
    }
    assert (await reserve(client, viewers[0], session_id))["reservation_count"] == 1
    assert (await reserve(client, viewers[1], session_id))["reservation_count"] == 2

    mine = await client.get(f"/api/v1/live-sessions/{session_id}", headers=viewers[0].headers)
    assert (mine.json()["reserved"], mine.json()["reservation_count"]) == (True, 2)
    anonymous = await client.get(f"/api/v1/live-sessions/{session_id}")
    assert anonymous.json()["reserved"] is None
    host_view = await client.get(f"/api/v1/live-sessions/{session_id}", headers=host.headers)
    assert host_view.json()["reserved"] is False
    listed = await client.get(
        "/api/v1/live-sessions", params={"status": "scheduled"}, headers=viewers[1].headers
    )
    [summary] = [item for item in listed.json()["items"] if item["id"] == session_id]
    assert (summary["reserved"], summary["reservation_count"]) == (True, 2)

    path = f"/api/v1/live-sessions/{session_id}/reservation"
    withdrawn = await client.delete(path, headers=viewers[0].headers)
    assert withdrawn.json() == {"session_id": session_id, "reserved": False, "reservation_count": 1}
    assert (await client.delete(path, headers=viewers[0].headers)).json()["reservation_count"] == 1

    assert (await client.post(path)).status_code == 401
    missing = await client.post(
        "/api/v1/live-sessions/" + "0" * 32 + "/reservation", headers=viewers[0].headers
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "live_session_not_found"
    await act(client, host, session_id, "start")
    late = await client.post(path, headers={**viewers[0].headers, "Accept-Language": "zh-CN"})
    assert late.status_code == 409
    assert late.json()["code"] == "session_not_upcoming"
    assert late.json()["message"] == "只能预约尚未开播的直播"
