"""Search finds rooms, hosts and products by Chinese and English words, ranked and marked,
and follows every change of them (runs on SQLite FTS5 and on PostgreSQL full-text)."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from livecommerce.search.repository import search_repository
from livecommerce.search.service import search_service
from tests.catalog.helpers import create_product
from tests.factories import sign_up
from tests.live.helpers import create_room, schedule, start
from tests.search.helpers import Finder, index_settled, marked, titles


async def test_chinese_words_find_a_product_by_title_and_category(
    client: httpx.AsyncClient,
    find: Finder,
) -> None:
    merchant = await sign_up(client, "merchant", name="杭州茶行")
    tea = await create_product(
        client, merchant, title="西湖龙井明前茶", category="茶叶", description="产自杭州西湖"
    )
    await create_product(client, merchant, title="真丝连衣裙", category="女装")

    found = await find("龙井")
    assert titles(found) == ["西湖龙井明前茶"]
    (item,) = found["items"]
    assert item["kind"] == "product"
    assert item["id"] == tea["id"]
    assert item["url"] == f"/products/{tea['id']}"
    assert item["price_min_cents"] == 19900
    assert item["price_max_cents"] == 20900
    assert item["currency"] == tea["currency"]
    assert item["merchant_name"] == "杭州茶行"
    assert item["title_parts"] == [
        {"text": "西湖", "hit": False},
        {"text": "龙井", "hit": True},
        {"text": "明前茶", "hit": False},
    ]

    by_category = await find("茶叶")
    assert titles(by_category) == ["西湖龙井明前茶"]
    assert marked(by_category["items"][0]["snippet_parts"]) == ["茶叶"]

    assert titles(await find("西湖 明前")) == ["西湖龙井明前茶"]
    # One character finds it too; the dress matches by its merchant's name (杭州茶行), below.
    assert titles(await find("茶")) == ["西湖龙井明前茶", "真丝连衣裙"]
    assert titles(await find("龙井 连衣裙")) == []  # every word must match
    assert titles(await find("红茶")) == []


async def test_english_words_match_case_insensitively_and_as_prefixes(
    client: httpx.AsyncClient,
    find: Finder,
) -> None:
    merchant = await sign_up(client, "merchant", name="Leaf & Co")
    await create_product(client, merchant, title="Organic Green TEA 250g", category="Tea")
    await create_product(client, merchant, title="Teapot, cast iron", category="Kitchen")
    await create_product(client, merchant, title="Silk dress", category="Women")

    assert sorted(titles(await find("tea"))) == [
        "Organic Green TEA 250g",
        "Teapot, cast iron",
    ]
    green = await find("GREEN tea")
    assert titles(green) == ["Organic Green TEA 250g"]
    assert marked(green["items"][0]["title_parts"]) == ["Green", "TEA"]
    assert titles(await find("leaf dress")) == ["Silk dress"]  # the merchant's name


async def test_a_title_match_outranks_a_body_match(client: httpx.AsyncClient, find: Finder) -> None:
    merchant = await sign_up(client, "merchant")
    await create_product(client, merchant, title="紫砂壶", description="泡龙井最合适的壶")
    await create_product(client, merchant, title="狮峰龙井", description="高山茶园")
    assert titles(await find("龙井")) == ["狮峰龙井", "紫砂壶"]


async def test_rooms_on_air_rank_first_with_their_online_count(
    client: httpx.AsyncClient,
    find: Finder,
) -> None:
    ended_host = await sign_up(client, "host", name="老茶客")
    ended_room = await create_room(client, ended_host, name="茶叶品鉴室")
    ended = await schedule(client, ended_host, ended_room["id"], title="茶叶开箱")
    await start(client, ended_host, ended["id"])
    response = await client.post(
        f"/api/v1/live-sessions/{ended['id']}/end", headers=ended_host.headers
    )
    assert response.status_code == 200, response.text

    live_host = await sign_up(client, "host", name="小茶")
    live_room = await create_room(client, live_host, name="小茶的直播间")
    on_air = await schedule(client, live_host, live_room["id"], title="明前茶叶上新")
    await start(client, live_host, on_air["id"])

    rooms = await find("茶叶", "room")
    assert [item["id"] for item in rooms["items"]] == [live_room["id"], ended_room["id"]]
    first, second = rooms["items"]
    assert first["live"] is True
    assert first["online"] == 0
    assert first["session_id"] == on_air["id"]
    assert first["url"] == f"/live/{on_air['id']}"
    assert second["live"] is False
    assert second["online"] is None
    assert second["url"] == f"/live/{ended['id']}"

    hosts = await find("老茶客", "host")
    assert [(item["kind"], item["id"], item["room_id"]) for item in hosts["items"]] == [
        ("host", ended_host.id, ended_room["id"])
    ]


async def test_the_index_follows_edits_status_and_sessions(
    client: httpx.AsyncClient, find: Finder
) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant, title="安吉白茶")
    assert titles(await find("白茶")) == ["安吉白茶"]

    response = await client.patch(
        f"/api/v1/products/{product['id']}", json={"title": "信阳毛尖"}, headers=merchant.headers
    )
    assert response.status_code == 200, response.text
    assert titles(await find("白茶")) == []
    assert titles(await find("毛尖")) == ["信阳毛尖"]

    response = await client.post(
        f"/api/v1/products/{product['id']}/status",
        json={"status": "off_sale"},
        headers=merchant.headers,
    )
    assert response.status_code == 200, response.text
    assert titles(await find("毛尖")) == []

    draft = await create_product(client, merchant, title="普洱熟茶", status="draft")
    assert titles(await find("普洱")) == []
    assert draft["status"] == "draft"

    host = await sign_up(client, "host")
    room = await create_room(client, host, name="Morning Room")
    assert titles(await find("morning", "room")) == ["Morning Room"]
    response = await client.patch(
        f"/api/v1/rooms/{room['id']}", json={"name": "Evening Room"}, headers=host.headers
    )
    assert response.status_code == 200, response.text
    assert titles(await find("morning", "room")) == []
    assert titles(await find("evening", "room")) == ["Evening Room"]

    await schedule(client, host, room["id"], title="Spring sale")
    found = await find("spring", "room")
    assert titles(found) == ["Evening Room"]
    assert marked(found["items"][0]["snippet_parts"]) == ["Spring"]


async def test_pages_follow_the_cursor_without_repeats(
    client: httpx.AsyncClient, find: Finder
) -> None:
    merchant = await sign_up(client, "merchant")
    for number in range(5):
        await create_product(client, merchant, title=f"Tea sampler {number}")
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = await find("tea", **params)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert len(seen) == 5 == len(set(seen))


async def test_reindex_rebuilds_the_index_from_rooms_and_products(
    client: httpx.AsyncClient, find: Finder, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    await create_product(client, merchant, title="西湖龙井明前茶")
    host = await sign_up(client, "host", name="茶园主人")
    await create_room(client, host, name="龙井茶园直播")
    await index_settled(runtime)
    async with runtime.db.transaction() as session:
        await search_repository.clear(session)
    assert titles(await find("龙井")) == []
    async with runtime.db.transaction() as session:
        result = await search_service.do_reindex(session)
    assert (result.rooms, result.hosts, result.products) == (1, 1, 1)
    found = await find("龙井")
    assert sorted((item["kind"], item["title"]) for item in found["items"]) == [
        ("host", "茶园主人"),  # by the host's room name
        ("product", "西湖龙井明前茶"),
        ("room", "龙井茶园直播"),
    ]


async def test_an_unknown_type_is_refused_in_both_languages(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/search", params={"q": "茶", "type": "video"})
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_search_type"
    assert response.json()["message"].startswith("搜索类型只能是")
    english = await client.get(
        "/api/v1/search", params={"q": "茶", "type": "video"}, headers={"Accept-Language": "en"}
    )
    assert english.json()["message"] == (
        "type must be room, product or host (or left out for all kinds)."
    )


async def test_followers_in_the_index_follow_follows_and_unfollows(
    client: httpx.AsyncClient, find: Finder, runtime: Runtime
) -> None:
    first_host = await sign_up(client, "host", name="Alpha Host")
    first = await create_room(client, first_host, name="Tea Room Alpha")
    second_host = await sign_up(client, "host", name="Bravo Host")
    second = await create_room(client, second_host, name="Tea Room Bravo")
    fan = await sign_up(client, "viewer")

    async def in_index() -> list[int | None]:
        await index_settled(runtime)
        async with runtime.db.reading() as session:
            return [
                await search_service.followers_in_index(session, kind, ref_id)
                for kind, ref_id in (
                    ("room", first["id"]),
                    ("room", second["id"]),
                    ("host", second_host.id),
                )
            ]

    # Equally relevant: the older document first.
    assert [item["id"] for item in (await find("tea room", "room"))["items"]] == [
        first["id"],
        second["id"],
    ]
    assert await in_index() == [0, 0, 0]

    response = await client.post(f"/api/v1/rooms/{second['id']}/follow", headers=fan.headers)
    assert response.status_code == 200, response.text
    assert await in_index() == [0, 1, 1]
    found = await find("tea room", "room")
    assert [item["id"] for item in found["items"]] == [second["id"], first["id"]]
    assert found["items"][0]["followers"] == 1

    response = await client.delete(f"/api/v1/rooms/{second['id']}/follow", headers=fan.headers)
    assert response.status_code == 200, response.text
    assert await in_index() == [0, 0, 0]
    assert [item["id"] for item in (await find("tea room", "room"))["items"]] == [
        first["id"],
        second["id"],
    ]
