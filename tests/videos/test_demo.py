"""The demo: last night's session cut into published clips, a live host's video, a sale."""

from __future__ import annotations

import httpx

from livecommerce.demo.seed import seed_demo
from livecommerce.kit.runtime import Runtime


async def test_the_demo_has_published_clips_a_live_hosts_video_and_a_sale(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    world = await seed_demo(client, runtime)
    host = {"Authorization": f"Bearer {world.tokens['host']}"}
    mine = (await client.get("/api/v1/videos/mine", headers=host)).json()["items"]
    clips = [video for video in mine if video["kind"] == "clip"]
    uploads = [video for video in mine if video["kind"] == "upload"]
    assert len(clips) == 3
    assert all(clip["status"] == "ready" and clip["published_at"] for clip in clips)
    assert all(clip["cut_mode"] == "copy" for clip in clips)
    [upload] = uploads
    assert (upload["views"], upload["completions"], upload["likes"], upload["orders"]) == (
        1,
        1,
        1,
        1,
    )
    assert upload["gmv_cents"] > 0
    feed = (await client.get("/api/v1/feed/videos")).json()["items"]
    assert {item["id"] for item in feed} == {video["id"] for video in mine}
    live = [item for item in feed if item["live_session_id"] == world.session_id]
    assert len(live) == 4  # the host is on air: every one of their videos leads there
    again = await seed_demo(client, runtime)  # a second start seeds no more videos
    assert again.room_id == world.room_id
    assert len((await client.get("/api/v1/videos/mine", headers=host)).json()["items"]) == 4
