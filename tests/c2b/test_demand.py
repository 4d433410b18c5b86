"""Demand: variant votes with prices, aggregated for the merchant; the host's live poll
moves in the room; the auto-launch rule turns a wanted variant into a pre-sale."""

from __future__ import annotations

import httpx

from livecommerce.kit.broker import live_channel
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.orders.shop import Recorder, create_listing, open_stage, wait_for


async def test_votes_are_aggregated_and_prices_shown_to_the_merchant_only(
    client: httpx.AsyncClient,
) -> None:
    listing = await create_listing(client)
    viewers = [await sign_up(client) for _ in range(3)]
    url = f"/api/v1/products/{listing.product_id}/demand"
    for viewer, variant, price in zip(
        viewers, ["雾蓝", "雾蓝", "墨绿"], [9900, 12900, None], strict=True
    ):
        body: dict[str, object] = {"variant": variant}
        if price is not None:
            body["price_willing_cents"] = price
        response = await client.post(url, headers=viewer.headers, json=body)
        assert response.status_code == 201, response.text
    proposed = await client.post(
        url, headers=viewers[2].headers, json={"variant": "樱花粉", "proposed": True}
    )
    assert proposed.status_code == 201
    merchant_view = (await client.get(url, headers=listing.merchant.headers)).json()
    assert merchant_view["variants"][0] == {
        "variant": "雾蓝",
        "proposed": False,
        "votes": 2,
        "average_price_cents": 11400,
        "priced": 2,
    }
    assert {v["variant"]: v["proposed"] for v in merchant_view["variants"]} == {
        "雾蓝": False,
        "墨绿": False,
        "樱花粉": True,
    }
    public = (await client.get(url)).json()
    assert public["variants"][0]["average_price_cents"] is None
    # Voting twice for a variant counts once.
    await client.post(url, headers=viewers[0].headers, json={"variant": "雾蓝"})
    again = (await client.get(url)).json()
    assert again["variants"][0]["votes"] == 2


async def test_host_poll_moves_in_the_room_and_auto_launches_a_presale(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    stage = await open_stage(client, [listing])
    recorder = Recorder()
    await runtime.broker.subscribe(live_channel(stage.session_id), recorder)
    rule = await client.put(
        f"/api/v1/products/{listing.product_id}/c2b-rules",
        headers=listing.merchant.headers,
        json={
            "kind": "auto_launch",
            "params": {
                "threshold": 2,
                "variant": "雾蓝",
                "sku_id": listing.sku_id,
                "price_cents": 15900,
                "deposit_cents": 3000,
                "moq": 100,
                "max_units": 150,
                "days": 7,
            },
        },
    )
    assert rule.status_code == 200, rule.text
    created = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/polls",
        headers=stage.host.headers,
        json={
            "question": "下一款做什么颜色？",
            "options": ["雾蓝", "墨绿"],
            "product_id": listing.product_id,
        },
    )
    assert created.status_code == 201, created.text
    poll = created.json()
    viewer = await sign_up(client)
    forbidden = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/polls",
        headers=listing.merchant.headers,
        json={"question": "?", "options": ["a", "b"]},
    )
    assert forbidden.status_code == 403
    voters = [viewer, await sign_up(client)]
    for voter in voters:
        voted = await client.post(
            f"/api/v1/polls/{poll['id']}/vote", headers=voter.headers, json={"option": 0}
        )
        assert voted.status_code == 200, voted.text
    twice = await client.post(
        f"/api/v1/polls/{poll['id']}/vote", headers=viewer.headers, json={"option": 1}
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "poll_voted")
    await wait_for(recorder, 3)
    polls = [m for m in recorder.messages if m["type"] == "c2b_poll"]
    assert [m["counts"] for m in polls] == [[0, 0], [1, 0], [2, 0]]
    # Two votes for 雾蓝 reached the threshold: the pre-sale launched itself, logged.
    presales = (await client.get(f"/api/v1/presales?product_id={listing.product_id}")).json()
    [sale] = presales["items"]
    assert (sale["moq"], sale["deposit_cents"], sale["status"]) == (100, 3000, "open")
    decisions = await client.get(
        f"/api/v1/presales/{sale['id']}/decisions", headers=listing.merchant.headers
    )
    [decision] = decisions.json()["items"]
    assert decision["rule"] == "auto_launch"
    assert decision["figures"] == {"variant": "雾蓝", "votes": 2, "threshold": 2}
    closed = await client.post(f"/api/v1/polls/{poll['id']}/close", headers=stage.host.headers)
    assert closed.json()["status"] == "closed"
    late = await client.post(
        f"/api/v1/polls/{poll['id']}/vote",
        headers=(await sign_up(client)).headers,
        json={"option": 1},
    )
    assert (late.status_code, late.json()["code"]) == (409, "poll_closed")
