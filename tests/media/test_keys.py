"""Stream keys: only the room's host or an admin sees and rotates them."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.catalog.helpers import make_admin
from tests.factories import sign_up
from tests.live.helpers import create_room


async def test_host_gets_a_key_with_ingest_url_and_obs_settings(
    client: httpx.AsyncClient,
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    first = await client.get(f"/api/v1/rooms/{room['id']}/stream-key", headers=host.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["room_id"] == room["id"]
    assert body["stream_key"].startswith("lc_")
    assert len(body["stream_key"]) == 43
    assert body["server_url"].startswith("rtmp://testserver:")
    assert body["server_url"].endswith("/live")
    assert body["ingest_url"] == f"{body['server_url']}/{body['stream_key']}"
    assert body["obs"] == {
        "encoder": "x264",
        "rate_control": "CBR",
        "bitrate_kbps": 2500,
        "keyframe_interval_s": 1,
        "cpu_usage_preset": "veryfast",
        "profile": "main",
        "tune": "zerolatency",
        "audio_bitrate_kbps": 128,
        "resolution": "1280x720",
        "fps": 30,
    }
    again = await client.get(f"/api/v1/rooms/{room['id']}/stream-key", headers=host.headers)
    assert again.json()["stream_key"] == body["stream_key"]

    rotated = await client.post(
        f"/api/v1/rooms/{room['id']}/stream-key/rotate", headers=host.headers
    )
    assert rotated.status_code == 200
    new_key = rotated.json()["stream_key"]
    assert new_key != body["stream_key"]
    current = await client.get(f"/api/v1/rooms/{room['id']}/stream-key", headers=host.headers)
    assert current.json()["stream_key"] == new_key


async def test_nobody_else_sees_the_key(client: httpx.AsyncClient, runtime: Runtime) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    other_host = await sign_up(client, "host")
    viewer = await sign_up(client, "viewer")
    admin = await sign_up(client, "viewer")
    await make_admin(runtime, admin)
    for account in (other_host, viewer):
        response = await client.get(
            f"/api/v1/rooms/{room['id']}/stream-key", headers=account.headers
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_room_host"
        response = await client.post(
            f"/api/v1/rooms/{room['id']}/stream-key/rotate", headers=account.headers
        )
        assert response.status_code == 403
    anonymous = await client.get(f"/api/v1/rooms/{room['id']}/stream-key")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    unknown = await client.get("/api/v1/rooms/" + "0" * 32 + "/stream-key", headers=host.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "room_not_found"
    as_admin = await client.get(f"/api/v1/rooms/{room['id']}/stream-key", headers=admin.headers)
    assert as_admin.status_code == 200
