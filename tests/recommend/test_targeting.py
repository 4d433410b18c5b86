"""Goods-find-people: a product's likeliest audience, targeted, measured against a hold-out."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Notification, TargetingMember
from livecommerce.recommend.service import recommend_service
from livecommerce.recommend.targeting import interleave, measure, split
from tests.factories import sign_up
from tests.orders.shop import count_rows, open_stage
from tests.profiles.test_profile_flow import click, listing


def test_uplift_on_a_hand_made_case() -> None:
    target = {"a", "b", "c", "d"}
    holdout = {"e", "f", "g", "h"}
    converted = {"a", "b", "e", "x"}  # x was in neither group
    uplift = measure(target, holdout, converted)
    assert (uplift.target_converted, uplift.holdout_converted) == (2, 1)
    assert (uplift.target_rate, uplift.holdout_rate, uplift.uplift) == (0.5, 0.25, 0.25)
    assert uplift.relative == 1.0
    assert measure(set(), set(), converted).relative is None


def test_ranked_lists_interleave_by_rank_without_repeats() -> None:
    assert interleave([["a", "b", "c"], ["b", "d"], []]) == ["a", "b", "d", "c"]
    assert interleave([]) == []


def test_the_split_is_random_but_repeatable_and_the_same_size() -> None:
    people = [f"u{n:02d}" for n in range(10)]
    target, holdout = split(people, 3, seed="campaign-1")
    assert len(target) == len(holdout) == 3
    assert not set(target) & set(holdout)
    assert set(target) | set(holdout) <= set(people[:6])  # only the likeliest 2 × 3
    assert split(people, 3, seed="campaign-1") == (target, holdout)
    small_target, small_holdout = split(people[:3], 5, seed="x")
    assert (len(small_target), len(small_holdout)) == (1, 1)


async def test_a_merchant_targets_a_products_audience_and_sees_the_uplift(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tea = await listing(client, None, "龙井", "茶叶", 12_900)
    stage = await open_stage(client, [tea])
    viewers = [await sign_up(client, "viewer") for _ in range(5)]
    for viewer in viewers:
        await click(client, viewer, stage.session_id, tea.product_id)
    async with runtime.db.transaction() as session:
        await recommend_service.do_train(session)

    segment = await client.get(
        f"/api/v1/products/{tea.product_id}/segment?size=4", headers=tea.merchant.headers
    )
    assert segment.status_code == 200, segment.text
    assert segment.json()["size"] == 4
    assert segment.json()["interests"] == [{"name": "茶叶", "score": 1.0}]
    stranger = await client.get(
        f"/api/v1/products/{tea.product_id}/segment", headers=viewers[0].headers
    )
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "not_product_owner"

    launched = await client.post(
        f"/api/v1/products/{tea.product_id}/campaigns",
        headers=tea.merchant.headers,
        json={"size": 2, "message": "新茶上市，来尝尝"},
    )
    assert launched.status_code == 201, launched.text
    campaign = launched.json()
    assert (campaign["size"], campaign["reached"]) == (2, 2)
    assert campaign["uplift"]["target_size"] == campaign["uplift"]["holdout_size"] == 2
    assert set(campaign) == {
        "id",
        "product_id",
        "session_id",
        "title",
        "coupon_id",
        "message",
        "size",
        "reached",
        "holdout_share",
        "audience",
        "created_at",
        "segment",
        "uplift",
    }  # no identities
    assert await count_rows(runtime, Notification) == 2

    async with runtime.db.transaction() as session:
        rows = (await session.execute(select(TargetingMember.user_id, TargetingMember.group))).all()
    target = sorted(user for user, group in rows if group == "target")
    by_id = {viewer.id: viewer for viewer in viewers}
    clock.freeze(utcnow() + timedelta(minutes=5))
    await click(client, by_id[target[0]], stage.session_id, tea.product_id)

    result = await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=tea.merchant.headers)
    assert result.status_code == 200, result.text
    assert result.json()["uplift"] == {
        "target_size": 2,
        "holdout_size": 2,
        "target_converted": 1,
        "holdout_converted": 0,
        "target_rate": 0.5,
        "holdout_rate": 0.0,
        "uplift": 0.5,
        "relative": None,
    }
    other = await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=viewers[0].headers)
    assert other.status_code == 404


def test_a_smaller_hold_out_share_keeps_that_share_of_the_likeliest() -> None:
    people = [f"u{n:02d}" for n in range(20)]
    target, holdout = split(people, 8, seed="c", holdout_share=0.2)
    assert (len(target), len(holdout)) == (8, 2)
    assert set(target) | set(holdout) == set(people[:10])  # the likeliest 8 / 0.8
    assert split(people, 3, seed="c", holdout_share=0.5) == split(people, 3, seed="c")


async def test_an_audience_is_built_from_profile_filters_and_listed_with_its_uplift(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tea = await listing(client, None, "龙井", "茶叶", 12_900)
    stage = await open_stage(client, [tea])
    viewers = [await sign_up(client, "viewer") for _ in range(6)]
    for viewer in viewers:
        await click(client, viewer, stage.session_id, tea.product_id)
    async with runtime.db.transaction() as session:
        await recommend_service.do_train(session)
    headers = tea.merchant.headers
    base = f"/api/v1/products/{tea.product_id}"

    tea_lovers = await client.get(f"{base}/segment?size=10&interest=茶叶", headers=headers)
    assert tea_lovers.json()["size"] == 6
    nobody = await client.get(f"{base}/segment?size=10&interest=雨具", headers=headers)
    assert nobody.json()["size"] == 0
    new_buyers = await client.get(f"{base}/segment?size=10&buyers=new", headers=headers)
    assert new_buyers.json()["size"] == 6
    bad = await client.get(f"{base}/segment?price_band=cheap", headers=headers)
    assert bad.status_code == 422

    empty = await client.post(
        f"{base}/campaigns",
        headers=headers,
        json={"size": 3, "message": "回头客专享", "audience": {"buyers": "returning"}},
    )
    assert empty.status_code == 409
    assert empty.json()["code"] == "targeting_audience_empty"

    launched = await client.post(
        f"{base}/campaigns",
        headers=headers,
        json={
            "size": 4,
            "message": "爱茶的你，新茶到了",
            "holdout_share": 0.2,
            "audience": {"interest": "茶叶"},
        },
    )
    assert launched.status_code == 201, launched.text
    campaign = launched.json()
    # Six fit: 4 / 0.8 = 5 of them are used, 4 targeted and 1 held out.
    assert (campaign["uplift"]["target_size"], campaign["uplift"]["holdout_size"]) == (4, 1)
    assert (campaign["holdout_share"], campaign["audience"]) == (
        0.2,
        {"interest": "茶叶", "buyers": "all"},
    )
    assert await count_rows(runtime, Notification) == 4

    listed = await client.get("/api/v1/campaigns?limit=1", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["items"]] == [campaign["id"]]
    assert listed.json()["items"][0]["uplift"] == campaign["uplift"]
    assert listed.json()["next_cursor"] is None
    others = await client.get("/api/v1/campaigns", headers=viewers[0].headers)
    assert others.json() == {"items": [], "next_cursor": None}


async def test_a_host_invites_an_upcoming_sessions_likeliest_audience_and_sees_the_uplift(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tea = await listing(client, None, "龙井", "茶叶", 12_900)
    cup = await listing(client, tea.merchant, "茶杯", "茶具", 3_900)
    stage = await open_stage(client, [tea, cup])
    tea_people = [await sign_up(client, "viewer") for _ in range(4)]
    cup_people = [await sign_up(client, "viewer") for _ in range(2)]
    for viewer in tea_people:
        await click(client, viewer, stage.session_id, tea.product_id)
    for viewer in cup_people:
        await click(client, viewer, stage.session_id, cup.product_id)
    async with runtime.db.transaction() as session:
        await recommend_service.do_train(session)
        audiences = [
            await recommend_service.audience_of_product(session, product)
            for product in (tea.product_id, cup.product_id)
        ]
    assert {person for people in audiences for person in people} == {
        viewer.id for viewer in tea_people + cup_people
    }

    # Next week's session shows both products; one tea person has reserved it already.
    upcoming = await client.post(
        f"/api/v1/rooms/{stage.room_id}/sessions",
        headers=stage.host.headers,
        json={"title": "下周茶会", "planned_start_at": (utcnow() + timedelta(days=7)).isoformat()},
    )
    assert upcoming.status_code == 201, upcoming.text
    session_id = upcoming.json()["id"]
    for product in (tea.product_id, cup.product_id):
        added = await client.post(
            f"/api/v1/live-sessions/{session_id}/showcase",
            headers=stage.host.headers,
            json={"product_id": product},
        )
        assert added.status_code == 201, added.text
    early = tea_people[0]
    reserved = await client.post(
        f"/api/v1/live-sessions/{session_id}/reservation", headers=early.headers
    )
    assert reserved.status_code in (200, 201), reserved.text

    segment = await client.get(
        f"/api/v1/live-sessions/{session_id}/segment?size=100", headers=stage.host.headers
    )
    assert segment.status_code == 200, segment.text
    assert segment.json()["size"] == 5  # six people, less the one who reserved
    assert [i["name"] for i in segment.json()["interests"]] == ["茶叶", "茶具"]
    for outsider in (early, tea.merchant):
        refused = await client.get(
            f"/api/v1/live-sessions/{session_id}/segment", headers=outsider.headers
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_session_host"

    launched = await client.post(
        f"/api/v1/live-sessions/{session_id}/campaigns",
        headers=stage.host.headers,
        json={"size": 2, "message": "下周二晚八点，新茶首发"},
    )
    assert launched.status_code == 201, launched.text
    campaign = launched.json()
    assert (campaign["product_id"], campaign["session_id"], campaign["title"]) == (
        None,
        session_id,
        "下周茶会",
    )
    assert (campaign["size"], campaign["reached"]) == (2, 2)
    async with runtime.db.transaction() as session:
        rows = (await session.execute(select(TargetingMember.user_id, TargetingMember.group))).all()
        links = set(await session.scalars(select(Notification.link)))
    assert links == {f"/live/{session_id}"}
    target = sorted(user for user, group in rows if group == "target")
    holdout = sorted(user for user, group in rows if group == "holdout")
    assert (len(target), len(holdout)) == (2, 2)
    assert early.id not in target + holdout

    # A targeted person reserves; the one who had reserved before counts for neither group.
    by_id = {viewer.id: viewer for viewer in tea_people + cup_people}
    clock.freeze(utcnow() + timedelta(minutes=5))
    answered = await client.post(
        f"/api/v1/live-sessions/{session_id}/reservation", headers=by_id[target[0]].headers
    )
    assert answered.status_code in (200, 201), answered.text
    listed = await client.get("/api/v1/campaigns", headers=stage.host.headers)
    assert listed.status_code == 200, listed.text
    [mine] = listed.json()["items"]
    assert mine["uplift"] == {
        "target_size": 2,
        "holdout_size": 2,
        "target_converted": 1,
        "holdout_converted": 0,
        "target_rate": 0.5,
        "holdout_rate": 0.0,
        "uplift": 0.5,
        "relative": None,
    }

    # An ended session is no longer targeted.
    ended = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/end", headers=stage.host.headers
    )
    assert ended.status_code == 200, ended.text
    late = await client.get(
        f"/api/v1/live-sessions/{stage.session_id}/segment", headers=stage.host.headers
    )
    assert late.status_code == 409
    assert late.json()["code"] == "targeting_session_ended"
