"""Intimacy (亲密度) over sequences of actions and days: weights, caps, moderation, mutes,
levels and the badge (灯牌) dimming after a week away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import ValidationError

from livecommerce.config import Settings
from livecommerce.fans.service import is_lit, level_for, next_level_at
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.fans.helpers import chat, join, membership, record, share
from tests.live.helpers import ChannelListener
from tests.orders.shop import add_address, create_listing, open_stage, pay, place_order

# 10:00 in UTC+8, the platform's day; that day ends at 16:00 UTC.
MORNING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def today(you: dict[str, object]) -> dict[str, object]:
    day = dict(you["today"])  # type: ignore[call-overload]
    day.pop("caps")
    return day


async def test_a_day_of_watching_chatting_liking_sharing_and_buying_hits_each_cap(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(MORNING)
    listing = await create_listing(client, price_cents=1000)
    stage = await open_stage(client, [listing])
    where = {"room_id": stage.room_id, "session_id": stage.session_id}
    fan = await sign_up(client, name="阿花")
    stranger = await sign_up(client, name="路人")
    joined = await join(client, fan, stage.room_id)
    assert (joined["members_count"], joined["you"]["intimacy"], joined["you"]["level"]) == (1, 0, 1)
    assert joined["you"]["next_level_at"] == 10

    async with ChannelListener(runtime, stage.session_id) as room:
        # Only members earn: the stranger's chat and watching count for nothing.
        await chat(runtime, stranger, stage.session_id, "路过")
        await record(runtime, "heartbeat", stranger, value=600, **where)
        stranger_club = await client.get(
            f"/api/v1/rooms/{stage.room_id}/fan-club", headers=stranger.headers
        )
        assert stranger_club.json()["you"] is None

        # Watching: whole minutes, the seconds carried over between heartbeats.
        await record(runtime, "heartbeat", fan, value=90, **where)
        assert (await membership(client, fan, stage.room_id))["intimacy"] == 1
        await record(runtime, "heartbeat", fan, value=90, **where)
        assert (await membership(client, fan, stage.room_id))["intimacy"] == 3

        # Chat: 2 a message, at most 6 a day.
        for text in ("主播好", "好看", "买了", "再来"):
            await chat(runtime, fan, stage.session_id, text)
        assert today(await membership(client, fan, stage.room_id))["chat"] == 6

        # Likes: 1 each, at most 5 a day; a batch is cut at the cap.
        await record(runtime, "like", fan, value=3, **where)
        await record(runtime, "like", fan, value=7, **where)
        you = await membership(client, fan, stage.room_id)
        assert (you["intimacy"], you["level"]) == (14, 2)

        # Shares: 5 each, at most 10 a day.
        for _ in range(3):
            await share(client, fan, stage.session_id)
        you = await membership(client, fan, stage.room_id)
        assert (you["intimacy"], you["level"]) == (24, 3)

        # Half an hour more of watching: the watch cap (30) leaves 27 of it.
        await record(runtime, "heartbeat", fan, value=1800, **where)
        assert (await membership(client, fan, stage.room_id))["intimacy"] == 51

        # A paid order is worth 20, but all actions together stop at 60 a day.
        address = await add_address(client, fan)
        order = await place_order(client, fan, address["id"], listing, session_id=stage.session_id)
        await pay(client, fan, order["id"])
        you = await membership(client, fan, stage.room_id)
        assert (you["intimacy"], you["level"], you["next_level_at"]) == (60, 4, 70)
        assert today(you) == {
            "watch": 30,
            "chat": 6,
            "like": 5,
            "share": 10,
            "buy": 9,
            "total": 60,
        }
        level_ups = [
            (message["level"], message["display_name"], message["badge"])
            for message in room.messages
            if message["type"] == "fan_level_up"
        ]
    assert level_ups == [
        (2, "阿花", {"name": "小红的直播间", "level": 2, "lit": True}),
        (3, "阿花", {"name": "小红的直播间", "level": 3, "lit": True}),
        (4, "阿花", {"name": "小红的直播间", "level": 4, "lit": True}),
    ]

    # The last minute of the platform's day earns nothing more ...
    clock.freeze(datetime(2026, 3, 2, 15, 59, tzinfo=UTC))
    await chat(runtime, fan, stage.session_id, "晚安")
    assert (await membership(client, fan, stage.room_id))["intimacy"] == 60
    # ... and at midnight in UTC+8 every cap starts again.
    clock.freeze(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    await chat(runtime, fan, stage.session_id, "早安")
    await record(runtime, "heartbeat", fan, value=60, **where)
    you = await membership(client, fan, stage.room_id)
    assert you["intimacy"] == 63
    assert today(you) == {"watch": 1, "chat": 2, "like": 0, "share": 0, "buy": 0, "total": 3}


async def test_removed_messages_give_back_and_muted_members_earn_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(MORNING)
    stage = await open_stage(client, [])
    where = {"room_id": stage.room_id, "session_id": stage.session_id}
    fan = await sign_up(client)
    await join(client, fan, stage.room_id)
    first = await chat(runtime, fan, stage.session_id, "第一条")
    await chat(runtime, fan, stage.session_id, "第二条")
    assert (await membership(client, fan, stage.room_id))["intimacy"] == 4

    removed = f"/api/v1/live-sessions/{stage.session_id}/chat/{first}"
    assert (await client.delete(removed, headers=stage.host.headers)).status_code == 204
    you = await membership(client, fan, stage.room_id)
    assert (you["intimacy"], today(you)["chat"]) == (2, 2)
    assert (await client.delete(removed, headers=stage.host.headers)).status_code == 204
    assert (await membership(client, fan, stage.room_id))["intimacy"] == 2  # given back once
    # What was given back no longer counts against the day's cap.
    for text in ("三", "四", "五"):
        await chat(runtime, fan, stage.session_id, text)
    assert today(await membership(client, fan, stage.room_id))["chat"] == 6

    muted = await client.post(
        f"/api/v1/rooms/{stage.room_id}/mutes",
        headers=stage.host.headers,
        json={"user_id": fan.id, "minutes": 10},
    )
    assert muted.status_code == 201, muted.text
    await record(runtime, "heartbeat", fan, value=300, **where)
    await record(runtime, "like", fan, value=5, **where)
    await share(client, fan, stage.session_id)
    you = await membership(client, fan, stage.room_id)
    assert today(you) == {"watch": 0, "chat": 6, "like": 0, "share": 0, "buy": 0, "total": 6}

    clock.advance(timedelta(minutes=10))  # the mute is over
    await record(runtime, "heartbeat", fan, value=120, **where)
    await record(runtime, "like", fan, value=1, **where)
    you = await membership(client, fan, stage.room_id)
    assert today(you) == {"watch": 2, "chat": 6, "like": 1, "share": 0, "buy": 0, "total": 9}
    assert you["intimacy"] == 9


async def test_the_badge_shows_in_chat_dims_after_a_week_away_and_lights_on_return(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(MORNING)
    stage = await open_stage(client, [])
    fan = await sign_up(client, name="阿花")
    other = await sign_up(client, name="路人")
    await join(client, fan, stage.room_id)
    renamed = await client.patch(
        f"/api/v1/rooms/{stage.room_id}/fan-club",
        headers=stage.host.headers,
        json={"badge_name": "红粉"},
    )
    assert renamed.status_code == 200, renamed.text
    refused = await client.patch(
        f"/api/v1/rooms/{stage.room_id}/fan-club", headers=fan.headers, json={"badge_name": "x"}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_room_host")
    await chat(runtime, fan, stage.session_id, "我是粉丝")
    clock.advance(timedelta(seconds=1))  # chat is listed by time
    await chat(runtime, other, stage.session_id, "我不是")
    listed = await client.get(f"/api/v1/live-sessions/{stage.session_id}/chat")
    badges = [(item["display_name"], item["badge"]) for item in listed.json()["items"]]
    assert badges == [("阿花", {"name": "红粉", "level": 1, "lit": True}), ("路人", None)]

    clock.advance(timedelta(days=7) - timedelta(seconds=2))
    assert (await membership(client, fan, stage.room_id))["badge"]["lit"] is True
    clock.advance(timedelta(seconds=1))
    you = await membership(client, fan, stage.room_id)
    assert you["badge"] == {"name": "红粉", "level": 1, "lit": False}
    # Coming back (a visit) lights it again and earns nothing by itself.
    await record(runtime, "enter", fan, room_id=stage.room_id, session_id=stage.session_id, value=1)
    you = await membership(client, fan, stage.room_id)
    assert (you["badge"]["lit"], you["intimacy"]) == (True, 2)


async def test_leaving_loses_intimacy_but_not_the_day_caps(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    clock.freeze(MORNING)
    stage = await open_stage(client, [])
    fan = await sign_up(client)
    await join(client, fan, stage.room_id)
    await join(client, fan, stage.room_id)  # idempotent
    for text in ("一", "二", "三"):
        await chat(runtime, fan, stage.session_id, text)
    left = await client.delete(f"/api/v1/rooms/{stage.room_id}/fan-club", headers=fan.headers)
    assert (left.json()["members_count"], left.json()["you"]) == (0, None)
    rejoined = await join(client, fan, stage.room_id)
    assert (rejoined["members_count"], rejoined["you"]["intimacy"]) == (1, 0)
    await chat(runtime, fan, stage.session_id, "四")
    assert (await membership(client, fan, stage.room_id))["intimacy"] == 0  # cap spent today
    own = await client.post(f"/api/v1/rooms/{stage.room_id}/fan-club", headers=stage.host.headers)
    assert (own.status_code, own.json()["code"]) == (409, "own_fan_club")
    anonymous = await client.post(f"/api/v1/rooms/{stage.room_id}/fan-club")
    assert anonymous.status_code == 401


def test_levels_follow_the_configured_curve(settings: Settings) -> None:
    expected = {0: 1, 9: 1, 10: 2, 19: 2, 20: 3, 69: 4, 70: 5, 2019: 19, 2020: 20, 10**6: 20}
    assert {points: level_for(settings, points) for points in expected} == expected
    assert [next_level_at(settings, level) for level in (1, 2, 19, 20)] == [10, 20, 2020, None]
    seen = datetime(2026, 3, 2, tzinfo=UTC)
    assert is_lit(settings, seen, seen + timedelta(days=7) - timedelta(microseconds=1))
    assert not is_lit(settings, seen, seen + timedelta(days=7))
    with pytest.raises(ValidationError):
        settings.model_validate(
            settings.model_dump() | {"fans_level_thresholds": [5] + list(range(4, 22))}
        )
    with pytest.raises(ValidationError):
        settings.model_validate(settings.model_dump() | {"fans_level_thresholds": [1, 2]})


async def test_a_paid_badge_makes_the_buyer_a_member_when_the_operator_requires_it(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    runtime.settings.fans_paid_join = True
    merchant = await sign_up(client, "merchant", name="茶庄")
    room = await client.post("/api/v1/rooms", headers=merchant.headers, json={"name": "茶庄自播"})
    room_id = room.json()["id"]
    badge = await create_listing(client, merchant=merchant, price_cents=100, title="粉丝灯牌")
    other = await create_listing(client, price_cents=100)
    not_yours = await client.patch(
        f"/api/v1/rooms/{room_id}/fan-club",
        headers=merchant.headers,
        json={"badge_product_id": other.product_id},
    )
    assert (not_yours.status_code, not_yours.json()["code"]) == (409, "badge_product_not_yours")
    sold = await client.patch(
        f"/api/v1/rooms/{room_id}/fan-club",
        headers=merchant.headers,
        json={"badge_product_id": badge.product_id},
    )
    assert (sold.json()["paid"], sold.json()["badge_product_id"]) == (True, badge.product_id)
    fan = await sign_up(client)
    refused = await client.post(f"/api/v1/rooms/{room_id}/fan-club", headers=fan.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "fan_club_badge_required"
    assert refused.json()["details"] == {"product_id": badge.product_id}
    address = await add_address(client, fan)
    order = await place_order(client, fan, address["id"], badge)
    await pay(client, fan, order["id"])
    club = (await client.get(f"/api/v1/rooms/{room_id}/fan-club", headers=fan.headers)).json()
    assert (club["members_count"], club["you"]["level"]) == (1, 1)
