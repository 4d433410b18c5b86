from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.interactions.helpers import next_of_type
from tests.live.helpers import ChannelListener
from tests.orders.shop import create_listing, open_stage


async def test_questions_are_ranked_answered_and_become_the_faq(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=3)
    stage = await open_stage(client, [listing])
    alice = await sign_up(client, name="Alice")
    bob = await sign_up(client, name="Bob")
    url = f"/api/v1/live-sessions/{stage.session_id}/questions"
    async with ChannelListener(runtime, stage.session_id) as room:
        first = await client.post(
            url,
            headers=alice.headers,
            json={"text": "会起球吗？", "product_id": listing.product_id},
        )
        assert first.status_code == 201, first.text
        asked = await next_of_type(room, "qa_question")
    assert asked["type"] == "qa_question"
    assert asked["question"]["text"] == "会起球吗？"
    second = (await client.post(url, headers=bob.headers, json={"text": "发什么快递？"})).json()
    third = (await client.post(url, headers=bob.headers, json={"text": "有大码吗？"})).json()

    # One upvote per user.
    for voter in (alice, bob, bob):
        voted = await client.post(f"/api/v1/questions/{second['id']}/upvote", headers=voter.headers)
        assert voted.status_code == 200
    assert voted.json()["upvotes"] == 2
    listed = (await client.get(url)).json()["items"]
    assert [item["id"] for item in listed] == [second["id"], first.json()["id"], third["id"]]

    # The host's ranking comes first.
    ranked = await client.put(
        f"/api/v1/questions/{third['id']}/rank", headers=stage.host.headers, json={"rank": 0}
    )
    assert ranked.status_code == 200
    listed = (await client.get(url)).json()["items"]
    assert [item["id"] for item in listed] == [third["id"], second["id"], first.json()["id"]]

    denied = await client.post(f"/api/v1/questions/{third['id']}/answering", headers=bob.headers)
    assert denied.status_code == 403
    async with ChannelListener(runtime, stage.session_id) as room:
        answering = await client.post(
            f"/api/v1/questions/{first.json()['id']}/answering", headers=stage.host.headers
        )
        assert answering.json()["status"] == "answering"
        message = await next_of_type(room, "qa_answering")
    assert (message["type"], message["question"]["id"]) == ("qa_answering", first.json()["id"])
    # Answering another question takes the first one back to open.
    await client.post(f"/api/v1/questions/{third['id']}/answering", headers=stage.host.headers)
    statuses = {item["id"]: item["status"] for item in (await client.get(url)).json()["items"]}
    assert statuses[first.json()["id"]] == "open"
    assert statuses[third["id"]] == "answering"

    answered = await client.post(
        f"/api/v1/questions/{first.json()['id']}/answered",
        headers=stage.host.headers,
        json={"answer": "不会，是精纺羊毛。"},
    )
    assert answered.status_code == 200
    assert (answered.json()["status"], answered.json()["answer"]) == (
        "answered",
        "不会，是精纺羊毛。",
    )
    closed = await client.post(
        f"/api/v1/questions/{first.json()['id']}/upvote", headers=bob.headers
    )
    assert (closed.status_code, closed.json()["code"]) == (409, "question_closed")
    await client.post(
        f"/api/v1/questions/{second['id']}/answered",
        headers=stage.host.headers,
        json={"answer": "顺丰。", "product_id": listing.product_id},
    )
    faq = (await client.get(f"/api/v1/products/{listing.product_id}/faq")).json()
    assert [(item["question"], item["answer"], item["upvotes"]) for item in faq["items"]] == [
        ("发什么快递？", "顺丰。", 2),
        ("会起球吗？", "不会，是精纺羊毛。", 0),
    ]
    everything = (await client.get(url, params={"include_closed": "true"})).json()["items"]
    assert len(everything) == 3
    open_only = (await client.get(url)).json()["items"]
    assert [item["id"] for item in open_only] == [third["id"]]
    overview = (await client.get(f"/api/v1/live-sessions/{stage.session_id}/interactions")).json()
    assert [item["id"] for item in overview["questions"]] == [third["id"]]
    assert (overview["flash_sale"], overview["lottery"]) == (None, None)


async def test_question_validation(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=3)
    other = await create_listing(client, stock=3)
    stage = await open_stage(client, [listing])
    viewer = await sign_up(client)
    url = f"/api/v1/live-sessions/{stage.session_id}/questions"
    blank = await client.post(url, headers=viewer.headers, json={"text": "   "})
    assert blank.status_code == 422
    wrong = await client.post(
        url, headers=viewer.headers, json={"text": "?", "product_id": other.product_id}
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "not_in_showcase")
    anonymous = await client.post(url, json={"text": "hi"})
    assert anonymous.status_code == 401
    missing = await client.post("/api/v1/questions/" + "0" * 32 + "/upvote", headers=viewer.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "question_not_found")
    faq = await client.get("/api/v1/products/" + "0" * 32 + "/faq")
    assert (faq.status_code, faq.json()["code"]) == (404, "product_not_found")


async def test_questions_are_rate_limited(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=3)
    stage = await open_stage(client, [listing])
    viewer = await sign_up(client)
    url = f"/api/v1/live-sessions/{stage.session_id}/questions"
    for number in range(5):
        asked = await client.post(url, headers=viewer.headers, json={"text": f"问题{number}"})
        assert asked.status_code == 201
    refused = await client.post(url, headers=viewer.headers, json={"text": "再问一个"})
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")


async def test_the_asker_keeps_their_answered_questions(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=3)
    stage = await open_stage(client, [listing])
    alice = await sign_up(client, name="Alice")
    bob = await sign_up(client, name="Bob")
    url = f"/api/v1/live-sessions/{stage.session_id}/questions"
    asked = (await client.post(url, headers=alice.headers, json={"text": "会起球吗？"})).json()
    waiting = (await client.post(url, headers=alice.headers, json={"text": "有大码吗？"})).json()
    await client.post(url, headers=bob.headers, json={"text": "发什么快递？"})
    answered = await client.post(
        f"/api/v1/questions/{asked['id']}/answered",
        headers=stage.host.headers,
        json={"answer": "不会。"},
    )
    assert answered.status_code == 200, answered.text
    # The open list drops it; the asker's own list keeps it with the answer.
    assert asked["id"] not in [item["id"] for item in (await client.get(url)).json()["items"]]
    mine = (await client.get(f"{url}/mine", headers=alice.headers)).json()["items"]
    assert [(item["id"], item["status"], item["answer"]) for item in mine] == [
        (waiting["id"], "open", None),
        (asked["id"], "answered", "不会。"),
    ]
    bobs = (await client.get(f"{url}/mine", headers=bob.headers)).json()["items"]
    assert [item["text"] for item in bobs] == ["发什么快递？"]
    assert (await client.get(f"{url}/mine")).status_code == 401
    missing = await client.get(
        f"/api/v1/live-sessions/{'0' * 32}/questions/mine", headers=bob.headers
    )
    assert missing.status_code == 404
