"""The host's persona page: persona, counts, live now, upcoming, past sessions with what
they sold, the shop; the API and the server-rendered page."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from tests.factories import sign_up
from tests.fans.helpers import join
from tests.orders.shop import create_listing, open_stage


async def test_the_host_page_shows_the_persona_sessions_and_shop(
    client: httpx.AsyncClient,
) -> None:
    scarf = await create_listing(client, title="羊毛围巾", price_cents=9900)
    hat = await create_listing(client, merchant=scarf.merchant, title="毛线帽", price_cents=4900)
    stage = await open_stage(client, [scarf, hat], live_price_cents=7900)
    host = stage.host
    persona = await client.patch(
        f"/api/v1/rooms/{stage.room_id}",
        headers=host.headers,
        json={
            "bio": "东北姑娘，只卖暖和的",
            "tags": ["服饰", "冬季"],
            "catchphrases": ["暖和！", "上链接！"],
        },
    )
    assert persona.status_code == 200, persona.text
    ended = await client.post(f"/api/v1/live-sessions/{stage.session_id}/end", headers=host.headers)
    assert ended.status_code == 200, ended.text

    def planned(hours: int) -> str:
        return (utcnow() + timedelta(hours=hours)).isoformat()

    sessions = {}
    for title, hours in (("今晚上新", 1), ("周末专场", 48), ("正在直播", 2)):
        created = await client.post(
            f"/api/v1/rooms/{stage.room_id}/sessions",
            headers=host.headers,
            json={"title": title, "planned_start_at": planned(hours)},
        )
        assert created.status_code == 201, created.text
        sessions[title] = created.json()["id"]
    started = await client.post(
        f"/api/v1/live-sessions/{sessions['正在直播']}/start", headers=host.headers
    )
    assert started.status_code == 200, started.text
    fan = await sign_up(client, name="阿花")
    follower = await sign_up(client)
    await join(client, fan, stage.room_id)
    followed = await client.post(f"/api/v1/rooms/{stage.room_id}/follow", headers=follower.headers)
    assert followed.status_code == 200

    response = await client.get(f"/api/v1/hosts/{stage.room_id}", headers=fan.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["name"], page["host_name"], page["bio"], page["tags"]) == (
        "小红的直播间",
        "主播小红",
        "东北姑娘，只卖暖和的",
        ["服饰", "冬季"],
    )
    assert page["catchphrases"] == ["暖和！", "上链接！"]
    assert (page["followers_count"], page["fans_count"], page["following"]) == (1, 1, False)
    assert page["fan_club"]["you"]["level"] == 1
    assert page["live_now"]["id"] == sessions["正在直播"]
    assert [item["title"] for item in page["upcoming"]] == ["今晚上新", "周末专场"]
    assert [item["id"] for item in page["past"]] == [stage.session_id]
    past = page["past"][0]
    assert past["replay_url"] is None  # nothing was recorded
    assert [(p["title"], p["price_cents"]) for p in past["products"]] == [
        ("羊毛围巾", 7900),
        ("毛线帽", 7900),
    ]
    assert [p["title"] for p in page["shop"]] == ["羊毛围巾", "毛线帽"]

    anonymous = (await client.get(f"/api/v1/hosts/{stage.room_id}")).json()
    assert (anonymous["following"], anonymous["fan_club"]["you"]) == (None, None)
    missing = await client.get(f"/api/v1/hosts/{new_id()}")
    assert (missing.status_code, missing.json()["code"]) == (404, "room_not_found")

    html = await client.get(f"/hosts/{stage.room_id}", headers={"Accept-Language": "zh-CN"})
    assert html.status_code == 200
    for text in ("小红的直播间", "暖和！", "上链接！", "今晚上新", "羊毛围巾", "预约", "往期直播"):
        assert text in html.text
    assert f'data-reserve="{sessions["今晚上新"]}"' in html.text
    assert f'href="/live/{sessions["正在直播"]}"' in html.text
    english = await client.get(f"/hosts/{stage.room_id}", headers={"Accept-Language": "en"})
    assert "Reserve" in english.text
    assert "Past sessions" in english.text
    not_found = await client.get(f"/hosts/{new_id()}")
    assert not_found.status_code == 404
    home = await client.get("/")
    assert f'href="/hosts/{stage.room_id}"' in home.text
    room = await client.get(f"/live/{sessions['正在直播']}")
    assert f'href="/hosts/{stage.room_id}"' in room.text
