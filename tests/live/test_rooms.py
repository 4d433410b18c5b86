from __future__ import annotations

import asyncio
import re

import httpx

from livecommerce.kit.runtime import Runtime
from tests.catalog.helpers import image_bytes, make_admin, upload
from tests.factories import sign_up
from tests.live.helpers import create_room


async def test_host_creates_one_room_with_persona(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host", name="小美")
    response = await client.post(
        "/api/v1/rooms",
        json={
            "name": " 小美的直播间 ",
            "bio": "每晚八点，好物不停",
            "tags": ["美妆", " 穿搭 ", "美妆"],
            "catchphrase": "买它！",
        },
        headers=host.headers,
    )
    assert response.status_code == 201, response.text
    room = response.json()
    assert room == {
        "id": room["id"],
        "name": "小美的直播间",
        "avatar_url": None,
        "bio": "每晚八点，好物不停",
        "tags": ["美妆", "穿搭"],
        "catchphrase": "买它！",
        "catchphrases": ["买它！"],
        "followers_count": 0,
        "host_id": host.id,
        "host_name": "小美",
        "following": False,
        "current_session_id": None,
        "created_at": room["created_at"],
    }
    again = await client.post("/api/v1/rooms", json={"name": "第二间"}, headers=host.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "room_exists"

    mine = await client.get("/api/v1/rooms/mine", headers=host.headers)
    assert mine.status_code == 200
    assert mine.json() == room
    public = await client.get(f"/api/v1/rooms/{room['id']}")
    assert public.json() == {**room, "following": None}


async def test_merchants_may_run_a_room_but_viewers_may_not(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    viewer = await sign_up(client, "viewer")
    await create_room(client, merchant, name="品牌自播间")
    refused = await client.post("/api/v1/rooms", json={"name": "x"}, headers=viewer.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "role_required"
    anonymous = await client.post("/api/v1/rooms", json={"name": "x"})
    assert anonymous.status_code == 401
    no_room = await client.get("/api/v1/rooms/mine", headers=viewer.headers)
    assert no_room.status_code == 404
    assert no_room.json()["code"] == "room_not_found"


async def test_room_validation(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    cases = [
        {"name": "  "},
        {"name": "x" * 61},
        {"name": "ok", "tags": [f"t{i}" for i in range(11)]},
        {"name": "ok", "tags": ["x" * 21]},
        {"name": "ok", "tags": [" "]},
        {"name": "ok", "catchphrase": "x" * 121},
    ]
    for body in cases:
        response = await client.post("/api/v1/rooms", json=body, headers=host.headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_failed"


async def test_only_the_host_or_an_admin_edits_a_room(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    other = await sign_up(client, "host")
    room = await create_room(client, host)
    refused = await client.patch(
        f"/api/v1/rooms/{room['id']}", json={"name": "抢来的"}, headers=other.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_room_host"
    avatar = await upload(client, f"/api/v1/rooms/{room['id']}/avatar", other, image_bytes())
    assert avatar.status_code == 403
    assert avatar.json()["code"] == "not_room_host"

    edited = await client.patch(
        f"/api/v1/rooms/{room['id']}",
        json={"bio": "新简介", "tags": ["数码"], "catchphrase": "冲！"},
        headers=host.headers,
    )
    assert edited.status_code == 200
    body = edited.json()
    assert (body["name"], body["bio"], body["tags"], body["catchphrase"]) == (
        room["name"],
        "新简介",
        ["数码"],
        "冲！",
    )
    several = await client.patch(
        f"/api/v1/rooms/{room['id']}",
        json={"catchphrases": ["冲！", "所有女生！", "冲！", "买它！"]},
        headers=host.headers,
    )
    assert several.status_code == 200, several.text
    assert (several.json()["catchphrase"], several.json()["catchphrases"]) == (
        "冲！",
        ["冲！", "所有女生！", "买它！"],
    )
    first_only = await client.patch(
        f"/api/v1/rooms/{room['id']}", json={"catchphrase": "买它！"}, headers=host.headers
    )
    assert first_only.json()["catchphrases"] == ["买它！", "所有女生！"]  # replaces the first
    too_many = await client.patch(
        f"/api/v1/rooms/{room['id']}",
        json={"catchphrases": list("一二三四五六")},
        headers=host.headers,
    )
    assert too_many.status_code == 422
    admin = await sign_up(client, "viewer")
    await make_admin(runtime, admin)
    by_admin = await client.patch(
        f"/api/v1/rooms/{room['id']}", json={"name": "已审核"}, headers=admin.headers
    )
    assert by_admin.status_code == 200
    assert by_admin.json()["name"] == "已审核"
    assert by_admin.json()["host_id"] == host.id
    unknown = await client.patch(f"/api/v1/rooms/{'0' * 32}", json={}, headers=host.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "room_not_found"


async def test_avatar_upload_replaces_the_old_file(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host)
    url = f"/api/v1/rooms/{room['id']}/avatar"
    first = await upload(client, url, host, image_bytes("PNG"))
    assert first.status_code == 200, first.text
    first_url = first.json()["avatar_url"]
    assert re.fullmatch(r"/media/[0-9a-f]{32}\.png", first_url)
    assert (await client.get(first_url)).status_code == 200

    second = await upload(client, url, host, image_bytes("JPEG"))
    second_url = second.json()["avatar_url"]
    assert re.fullmatch(r"/media/[0-9a-f]{32}\.jpg", second_url)
    assert (await client.get(first_url)).status_code == 404
    assert (await client.get(second_url)).content == image_bytes("JPEG")
    files = sorted(path.name for path in runtime.settings.uploads_dir.iterdir())
    assert files == [second_url.removeprefix("/media/")]

    text = await upload(client, url, host, b"just text", filename="face.png")
    assert text.status_code == 415
    assert text.json()["code"] == "unsupported_media_type"
    room_now = (await client.get(f"/api/v1/rooms/{room['id']}")).json()
    assert room_now["avatar_url"] == second_url


async def test_follow_and_unfollow_keep_the_count_right(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    fan = await sign_up(client, "viewer")
    second_fan = await sign_up(client, "viewer")
    room = await create_room(client, host)
    url = f"/api/v1/rooms/{room['id']}/follow"

    followed = await client.post(url, headers=fan.headers)
    assert followed.status_code == 200
    assert followed.json() == {"room_id": room["id"], "following": True, "followers_count": 1}
    twice = await client.post(url, headers=fan.headers)
    assert twice.json() == {"room_id": room["id"], "following": True, "followers_count": 1}
    other = await client.post(url, headers=second_fan.headers)
    assert other.json()["followers_count"] == 2

    seen_by_fan = (await client.get(f"/api/v1/rooms/{room['id']}", headers=fan.headers)).json()
    assert (seen_by_fan["following"], seen_by_fan["followers_count"]) == (True, 2)
    seen_by_host = (await client.get(f"/api/v1/rooms/{room['id']}", headers=host.headers)).json()
    assert seen_by_host["following"] is False

    unfollowed = await client.delete(url, headers=fan.headers)
    assert unfollowed.json() == {"room_id": room["id"], "following": False, "followers_count": 1}
    again = await client.delete(url, headers=fan.headers)
    assert again.json() == {"room_id": room["id"], "following": False, "followers_count": 1}
    seen = (await client.get(f"/api/v1/rooms/{room['id']}", headers=fan.headers)).json()
    assert (seen["following"], seen["followers_count"]) == (False, 1)

    anonymous = await client.post(url)
    assert anonymous.status_code == 401
    unknown = await client.post(f"/api/v1/rooms/{'0' * 32}/follow", headers=fan.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "room_not_found"


async def test_concurrent_follows_count_once_each(client: httpx.AsyncClient) -> None:
    host = await sign_up(client, "host")
    fans = [await sign_up(client, "viewer") for _ in range(3)]
    room = await create_room(client, host)
    url = f"/api/v1/rooms/{room['id']}/follow"
    responses = await asyncio.gather(
        *(client.post(url, headers=fan.headers) for fan in fans for _ in range(4))
    )
    assert all(response.status_code == 200 for response in responses)
    room_now = (await client.get(f"/api/v1/rooms/{room['id']}")).json()
    assert room_now["followers_count"] == 3
    responses = await asyncio.gather(
        *(client.delete(url, headers=fan.headers) for fan in fans for _ in range(3))
    )
    assert all(response.status_code == 200 for response in responses)
    assert (await client.get(f"/api/v1/rooms/{room['id']}")).json()["followers_count"] == 0
