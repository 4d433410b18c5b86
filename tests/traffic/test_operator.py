"""The host's traffic panel and the operator's controls: the policy blend switched from the
admin API changes the feed at once, pins and demotions are audited, the distribution."""

from __future__ import annotations

from typing import Any

import httpx

from livecommerce.kit.runtime import Runtime
from livecommerce.traffic.service import traffic_service
from tests.catalog.helpers import make_admin
from tests.factories import Account, sign_up
from tests.live.helpers import create_room, schedule, start


async def _room(
    client: httpx.AsyncClient, name: str, tags: list[str]
) -> tuple[Account, dict[str, Any]]:
    host = await sign_up(client, "host")
    room = await create_room(client, host, name=name, tags=tags)
    live = await schedule(client, host, room["id"], title=f"{name}专场")
    await start(client, host, live["id"])
    return host, live


async def _titles(client: httpx.AsyncClient, viewer: Account) -> list[str]:
    response = await client.get("/api/v1/feed", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_an_admin_switches_the_blend_and_the_feed_changes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _room(client, "数码", ["数码"])
    _, tea = await _room(client, "茶叶", ["茶叶"])
    admin = await sign_up(client)
    await make_admin(runtime, admin)
    viewer = await sign_up(client)
    # The viewer's interest: a visit and a share in the tea room.
    for kind in ("share", "share"):
        response = await client.post(
            f"/api/v1/live-sessions/{tea['id']}/events", json={"kind": kind}, headers=viewer.headers
        )
        assert response.status_code == 204, response.text

    policy = (await client.get("/api/v1/admin/traffic/policy", headers=admin.headers)).json()
    assert set(policy["weights"]) == {"pools", "tags", "private", "popular"}
    private = {**policy, "weights": {"private": 1}, "cold_start_share": 0}
    response = await client.put("/api/v1/admin/traffic/policy", json=private, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert await _titles(client, viewer) == []

    tags = {**policy, "weights": {"tags": 1}, "cold_start_share": 0}
    response = await client.put("/api/v1/admin/traffic/policy", json=tags, headers=admin.headers)
    assert response.json()["weights"] == {"pools": 0, "tags": 1, "private": 0, "popular": 0}
    # The pools' judged share and tags' trial share are the operator's too.
    assert (policy["judge_share"], policy["trial_share"]) == (0.3, 0.6)
    shares = await client.put(
        "/api/v1/admin/traffic/policy",
        json={**tags, "judge_share": 0.2, "trial_share": 0},
        headers=admin.headers,
    )
    assert (shares.json()["judge_share"], shares.json()["trial_share"]) == (0.2, 0.0)
    async with runtime.db.reading() as session:
        config = await traffic_service.policy_config(session)
    assert (config.judge_share, config.trial_share) == (0.2, 0.0)
    tags = shares.json()
    assert await _titles(client, viewer) == ["茶叶专场", "数码专场"]
    audit = (await client.get("/api/v1/admin/traffic/audit", headers=admin.headers)).json()
    assert [row["action"] for row in audit["items"]] == ["policy", "policy", "policy"]
    assert audit["next_cursor"] is None

    bad = await client.put(
        "/api/v1/admin/traffic/policy",
        json={**policy, "weights": {"magic": 1}},
        headers=admin.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "unknown_traffic_policy"
    refused = await client.put("/api/v1/admin/traffic/policy", json=tags, headers=viewer.headers)
    assert refused.status_code == 403


async def test_pins_and_demotions_are_audited_and_change_the_order(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, first = await _room(client, "甲", [])
    _, second = await _room(client, "乙", [])
    admin = await sign_up(client)
    await make_admin(runtime, admin)
    viewer = await sign_up(client)
    for room_id, kind in ((second["room_id"], "pin"), (first["room_id"], "demote")):
        response = await client.post(
            f"/api/v1/admin/traffic/rooms/{room_id}/boost",
            json={"kind": kind},
            headers=admin.headers,
        )
        assert response.status_code == 204, response.text
    items = (await client.get("/api/v1/feed", headers=viewer.headers)).json()["items"]
    assert [item["title"] for item in items] == ["乙专场", "甲专场"]
    assert items[0]["reasons"][0]["code"] == "pinned"
    rooms = (await client.get("/api/v1/admin/traffic/rooms", headers=admin.headers)).json()
    assert {row["name"]: row["boost"] for row in rooms["items"]} == {"甲": "demote", "乙": "pin"}
    assert rooms["next_cursor"] is None
    audit = (await client.get("/api/v1/admin/traffic/audit", headers=admin.headers)).json()
    assert sorted(row["action"] for row in audit["items"]) == ["demote", "pin"]
    # One row a page: the same rows, in the same order, page by page.
    whole = [row["room_id"] for row in rooms["items"]]
    walked: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 1, **({} if cursor is None else {"cursor": cursor})}
        page = await client.get("/api/v1/admin/traffic/rooms", params=params, headers=admin.headers)
        walked += [row["room_id"] for row in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert walked == whole
    distribution = (
        await client.get("/api/v1/admin/traffic/distribution", headers=admin.headers)
    ).json()
    assert distribution["exposures"] == 2
    assert distribution["rooms"] == 2
    assert distribution["gini"] == 0.0
    assert distribution["top10_share"] == 1.0


async def test_the_host_sees_tier_metrics_and_sources(client: httpx.AsyncClient) -> None:
    host, live = await _room(client, "茶", ["茶叶"])
    viewer = await sign_up(client)
    (item,) = (await client.get("/api/v1/feed", headers=viewer.headers)).json()["items"]
    await client.post(
        f"/api/v1/feed/impressions/{item['impression_id']}/click", headers=viewer.headers
    )
    other = await sign_up(client)
    await client.post(
        "/api/v1/traffic/visits",
        json={"session_id": live["id"], "came_from": "search"},
        headers=other.headers,
    )
    response = await client.get(
        f"/api/v1/traffic/sessions/{live['id']}/panel",
        headers={**host.headers, "accept-language": "en"},
    )
    assert response.status_code == 200, response.text
    panel = response.json()
    assert panel["tier"] == 1
    assert panel["exposures"] == 1
    assert panel["next_tier_sample"] == 20  # 200 × the default pool scale 0.1
    assert panel["exposures_to_judge"] == 19
    rates = {row["metric"]: row for row in panel["metrics"]}
    # One click of one exposure, shrunk at half the threshold by 10 pseudo-exposures plus
    # as many as three expected entries take at the 25 % threshold (12).
    assert rates["enter_rate"]["value"] == round((1 + 0.125 * 22) / 23, 4)
    assert rates["enter_rate"]["reached"] is False
    # No like of one entry: 10 + 30 pseudo entries (three likes at 10 %).
    assert rates["like_rate"]["value"] == round(0.05 * 40 / 41, 4)
    assert rates["like_rate"]["distance"] == round(0.1 - 0.05 * 40 / 41, 4)
    sources = {row["source"]: row for row in panel["sources"]}
    assert sources["feed_recommend"] == {
        "source": "feed_recommend",
        "exposures": 1,
        "clicks": 1,
        "ctr": 1.0,
        "visits": 1,
    }
    assert sources["search"]["visits"] == 1
    assert panel["tips"]
    stranger = await sign_up(client, "host")
    refused = await client.get(
        f"/api/v1/traffic/sessions/{live['id']}/panel", headers=stranger.headers
    )
    assert refused.status_code == 403
