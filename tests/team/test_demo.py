"""The demo shows a team (a 场控 of the host's room) and the viewer's share link."""

from __future__ import annotations

import httpx

from livecommerce.demo.seed import seed_demo
from livecommerce.kit.runtime import Runtime


async def test_the_demo_has_a_moderator_and_a_share_link(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await seed_demo(client, runtime)
    again = await seed_demo(client, runtime)  # a second start adds nothing
    host = {"Authorization": f"Bearer {world.tokens['host']}"}
    team = (await client.get(f"/api/v1/rooms/{world.room_id}/team", headers=host)).json()
    assert [(m["display_name"], m["role"], m["status"]) for m in team["items"]] == [
        ("场控小王", "moderator", "active")
    ]
    assert again.share_url == world.share_url
    assert world.share_url.startswith(runtime.settings.public_url.rstrip("/") + "/s/")
    viewer = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    links = (await client.get("/api/v1/share-links", headers=viewer)).json()["items"]
    assert [(link["url"], link["visitors"]) for link in links] == [(world.share_url, 1)]
    moderator = {"Authorization": f"Bearer {world.tokens['moderator']}"}
    rooms = (await client.get("/api/v1/team/rooms", headers=moderator)).json()["items"]
    assert [(room["room_id"], room["role"]) for room in rooms] == [(world.room_id, "moderator")]
    # The 场控 launched the session's flash sale (once, however often the demo starts).
    log = (await client.get(f"/api/v1/rooms/{world.room_id}/team/log", headers=host)).json()
    assert [(i["display_name"], i["action"]) for i in log["items"]] == [("场控小王", "flash_sale")]
    sales = (await client.get(f"/api/v1/live-sessions/{world.session_id}/flash-sales")).json()
    assert [(s["status"], s["units_total"]) for s in sales["items"]] == [("running", 20)]
