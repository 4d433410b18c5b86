from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.live.service import live_service
from tests.catalog.helpers import image_bytes, upload
from tests.factories import sign_up
from tests.live.helpers import ChannelListener, create_room, schedule, start

SUMMARY_KEYS = {
    "id",
    "title",
    "status",
    "room_id",
    "room_name",
    "host_id",
    "host_name",
    "cover_url",
    "planned_start_at",
    "started_at",
    "online",
    "reservation_count",
    "reserved",
}


async def test_schedule_and_read_a_session(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host", name="阿杰")
    room = await create_room(client, host, name="阿杰数码", bio="真机实测", tags=["数码"])
    planned = utcnow() + timedelta(hours=2)
    response = await client.post(
        f"/api/v1/rooms/{room['id']}/sessions",
        json={"title": "新品手机首发", "planned_start_at": planned.isoformat()},
        headers=host.headers,
    )
    assert response.status_code == 201, response.text
    detail = response.json()
    assert detail == {
        "id": detail["id"],
        "title": "新品手机首发",
        "status": "scheduled",
        "room_id": room["id"],
        "room_name": "阿杰数码",
        "host_id": host.id,
        "host_name": "阿杰",
        "cover_url": None,
        "planned_start_at": detail["planned_start_at"],
        "started_at": None,
        "online": 0,
        "reservation_count": 0,
        "reserved": False,
        "ended_at": None,
        "room": {
            "id": room["id"],
            "name": "阿杰数码",
            "avatar_url": None,
            "bio": "真机实测",
            "tags": ["数码"],
            "catchphrase": "",
            "catchphrases": [],
            "followers_count": 0,
        },
        "showcase": [],
        "pinned": None,
    }
    assert detail["planned_start_at"].startswith(planned.strftime("%Y-%m-%dT%H:%M:%S"))
    public = await client.get(f"/api/v1/live-sessions/{detail['id']}")
    assert public.json() == {**detail, "reserved": None}  # anonymous: nothing to say

    listed = (await client.get("/api/v1/live-sessions?status=scheduled")).json()
    assert len(listed["items"]) == 1
    assert set(listed["items"][0]) == SUMMARY_KEYS
    assert listed["items"][0]["id"] == detail["id"]
    by_room = (await client.get(f"/api/v1/rooms/{room['id']}/sessions")).json()
    assert [item["id"] for item in by_room["items"]] == [detail["id"]]

    unknown = await client.get(f"/api/v1/live-sessions/{'0' * 32}")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "live_session_not_found"


async def test_schedule_validation(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    url = f"/api/v1/rooms/{room['id']}/sessions"
    naive = await client.post(
        url, json={"title": "x", "planned_start_at": "2030-01-01T20:00:00"}, headers=host.headers
    )
    assert naive.status_code == 422
    assert naive.json()["code"] == "validation_failed"
    blank = await client.post(
        url,
        json={"title": " ", "planned_start_at": "2030-01-01T20:00:00+08:00"},
        headers=host.headers,
    )
    assert blank.status_code == 422
    past = await client.post(
        url,
        json={"title": "x", "planned_start_at": (utcnow() - timedelta(days=1)).isoformat()},
        headers=host.headers,
    )
    assert past.status_code == 422
    assert past.json()["code"] == "planned_start_in_past"


async def test_state_machine_and_session_state_messages(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live_session = await schedule(client, host, room["id"])
    base = f"/api/v1/live-sessions/{live_session['id']}"

    async with ChannelListener(runtime, live_session["id"]) as listener:
        ended_early = await client.post(f"{base}/end", headers=host.headers)
        assert ended_early.status_code == 409
        assert ended_early.json()["code"] == "invalid_session_state"

        started = await client.post(f"{base}/start", headers=host.headers)
        assert started.status_code == 200
        assert started.json()["status"] == "live"
        assert started.json()["started_at"] is not None
        started_again = await client.post(f"{base}/start", headers=host.headers)
        assert started_again.status_code == 409
        assert started_again.json()["code"] == "invalid_session_state"
        cancelled_live = await client.post(f"{base}/cancel", headers=host.headers)
        assert cancelled_live.status_code == 409

        room_now = (await client.get(f"/api/v1/rooms/{room['id']}")).json()
        assert room_now["current_session_id"] == live_session["id"]

        ended = await client.post(f"{base}/end", headers=host.headers)
        assert ended.status_code == 200
        assert ended.json()["status"] == "ended"
        assert ended.json()["ended_at"] is not None
        assert ended.json()["started_at"] == started.json()["started_at"]
        for action in ("start", "end"):
            response = await client.post(f"{base}/{action}", headers=host.headers)
            assert response.status_code == 409
            assert response.json()["code"] == "invalid_session_state"

        messages = await listener.wait_for(2)
    assert messages == [
        {"type": "session_state", "status": "live"},
        {"type": "session_state", "status": "ended"},
    ]
    listed = (await client.get("/api/v1/live-sessions?status=ended")).json()
    assert [item["id"] for item in listed["items"]] == [live_session["id"]]


async def test_interrupted_session_resumes_and_lists_as_live(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live_session = await schedule(client, host, room["id"])
    await start(client, host, live_session["id"])
    async with runtime.db.transaction() as session:
        loaded = await live_service.get_session(session, live_session["id"])
        await live_service.do_mark_interrupted(session, loaded)
    detail = (await client.get(f"/api/v1/live-sessions/{live_session['id']}")).json()
    assert detail["status"] == "interrupted"
    on_air = (await client.get("/api/v1/live-sessions?status=live")).json()
    assert [item["id"] for item in on_air["items"]] == [live_session["id"]]
    assert on_air["items"][0]["status"] == "interrupted"

    resumed = await start(client, host, live_session["id"])
    assert resumed["status"] == "live"
    assert resumed["started_at"] == detail["started_at"]
    async with runtime.db.transaction() as session:
        loaded = await live_service.get_session(session, live_session["id"])
        await live_service.do_mark_interrupted(session, loaded)
    ended = await client.post(
        f"/api/v1/live-sessions/{live_session['id']}/end", headers=host.headers
    )
    assert ended.json()["status"] == "ended"


async def test_one_session_on_air_per_room(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    first = await schedule(client, host, room["id"], title="第一场")
    second = await schedule(client, host, room["id"], title="第二场")
    await start(client, host, first["id"])
    refused = await client.post(f"/api/v1/live-sessions/{second['id']}/start", headers=host.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "room_already_live"
    await client.post(f"/api/v1/live-sessions/{first['id']}/end", headers=host.headers)
    assert (await start(client, host, second["id"]))["status"] == "live"


async def test_cancel_and_edit_a_scheduled_session(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live_session = await schedule(client, host, room["id"])
    base = f"/api/v1/live-sessions/{live_session['id']}"
    later = (utcnow() + timedelta(days=1)).isoformat()
    edited = await client.patch(
        base, json={"title": "改期专场", "planned_start_at": later}, headers=host.headers
    )
    assert edited.status_code == 200
    assert edited.json()["title"] == "改期专场"
    cancelled = await client.post(f"{base}/cancel", headers=host.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.post(f"{base}/start", headers=host.headers)).status_code == 409
    edit_cancelled = await client.patch(base, json={"title": "x"}, headers=host.headers)
    assert edit_cancelled.status_code == 409
    # Cancelled sessions do not appear in the default list.
    assert (await client.get("/api/v1/live-sessions")).json()["items"] == []
    cancelled_list = (await client.get("/api/v1/live-sessions?status=cancelled")).json()
    assert [item["id"] for item in cancelled_list["items"]] == [live_session["id"]]


async def test_another_host_cannot_touch_the_room_sessions(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    other = await sign_up(client, "host")
    viewer = await sign_up(client, "viewer")
    room = await create_room(client, host)
    await create_room(client, other, name="隔壁")
    live_session = await schedule(client, host, room["id"])
    base = f"/api/v1/live-sessions/{live_session['id']}"
    planned = (utcnow() + timedelta(hours=1)).isoformat()
    for account in (other, viewer):
        attempts = [
            client.post(
                f"/api/v1/rooms/{room['id']}/sessions",
                json={"title": "x", "planned_start_at": planned},
                headers=account.headers,
            ),
            client.patch(base, json={"title": "x"}, headers=account.headers),
            client.post(f"{base}/start", headers=account.headers),
            client.post(f"{base}/end", headers=account.headers),
            client.post(f"{base}/cancel", headers=account.headers),
            upload(client, f"{base}/cover", account, image_bytes()),
        ]
        for attempt in attempts:
            response = await attempt
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "not_room_host"
    assert (await client.get(base)).json()["status"] == "scheduled"


async def test_cover_upload(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    live_session = await schedule(client, host, room["id"])
    response = await upload(
        client, f"/api/v1/live-sessions/{live_session['id']}/cover", host, image_bytes("WEBP")
    )
    assert response.status_code == 200, response.text
    cover_url = response.json()["cover_url"]
    assert cover_url.startswith("/media/")
    assert cover_url.endswith(".webp")
    served = await client.get(cover_url)
    assert served.headers["content-type"] == "image/webp"
    listed = (await client.get("/api/v1/live-sessions?status=scheduled")).json()
    assert listed["items"][0]["cover_url"] == cover_url
