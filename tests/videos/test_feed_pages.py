"""The video feed pages by cursor with a limit; a shared video tops the first page only."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Video, VideoStatus
from tests.factories import sign_up


async def _walk(client: httpx.AsyncClient, limit: int, **params: str) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": limit, **({} if cursor is None else {"cursor": cursor})}
        response = await client.get("/api/v1/feed/videos", params=query)
        assert response.status_code == 200, response.text
        pages.append([item["id"] for item in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_the_video_feed_walks_in_pages_of_its_limit(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    at = utcnow() - timedelta(minutes=10)
    ids = [new_id() for _ in range(7)]
    async with runtime.db.transaction() as session:
        for number, video_id in enumerate(ids):
            session.add(
                Video(
                    id=video_id,
                    owner_id=host.id,
                    status=VideoStatus.READY,
                    title=f"视频 {number}",
                    # Two share a time: the id breaks the tie.
                    published_at=at + timedelta(seconds=min(number, 5)),
                )
            )
    newest_first = sorted(ids, key=lambda vid: (min(ids.index(vid), 5), vid), reverse=True)
    assert await _walk(client, 100) == [newest_first]
    pages = await _walk(client, 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [vid for page in pages for vid in page] == newest_first
    default = (await client.get("/api/v1/feed/videos")).json()
    assert [item["id"] for item in default["items"]] == newest_first  # ten by default

    shared = newest_first[4]
    with_first = await _walk(client, 1, first=shared)
    assert with_first[0] == [shared]
    assert [vid for page in with_first[1:] for vid in page] == newest_first
    with_first = await _walk(client, 3, first=shared)
    assert with_first[0] == [shared, *newest_first[:2]]
    assert [vid for page in with_first[1:] for vid in page] == newest_first[2:]

    bad = await client.get("/api/v1/feed/videos", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad_cursor"
