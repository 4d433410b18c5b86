"""A host's messages to an audience of its fans: who is in each audience, the preview,
everyone's choices respected (inbox and e-mail), and the per-host daily limit."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update

from livecommerce.kit.runtime import Runtime
from livecommerce.models import FanClubMember, FanStats
from tests.factories import Account, sign_up
from tests.fans.helpers import join
from tests.notifications.helpers import (
    deliveries,
    drain,
    notifications_of,
    reserve,
    upcoming_session,
)
from tests.notifications.sink import SmtpSink


async def _preview(
    client: httpx.AsyncClient, host: Account, room_id: str, **target: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/rooms/{room_id}/fan-messages/preview", json=target, headers=host.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_audiences_preview_and_delivery_respect_choices(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    host, live = await upcoming_session(client)
    room_id = live["room_id"]
    follower = await sign_up(client, name="关注者")
    member = await sign_up(client, name="新粉")
    senior = await sign_up(client, name="老粉")
    reserver = await sign_up(client, name="预约者")
    silent = await sign_up(client, name="免打扰")  # follows, turned fan messages off
    quiet_mail = await sign_up(client, name="不收邮件")  # a member, no e-mail of them
    for account in (follower, silent):
        assert (
            await client.post(f"/api/v1/rooms/{room_id}/follow", headers=account.headers)
        ).status_code == 200
    for account in (member, senior, quiet_mail):
        await join(client, account, room_id)
    await reserve(client, reserver, live["id"])
    async with runtime.db.transaction() as session:
        await session.execute(
            update(FanClubMember)
            .where(FanClubMember.user_id == senior.id)
            .values(level=3, intimacy=40)
        )
        session.add(FanStats(room_id=room_id, user_id=reserver.id, orders_count=1, spend_cents=900))
    for account, change in (
        (silent, {"in_app": False, "email": False}),
        (quiet_mail, {"email": False}),
    ):
        response = await client.put(
            "/api/v1/notifications/preferences",
            json={"items": [{"category": "fan_messages", **change}]},
            headers=account.headers,
        )
        assert response.status_code == 200, response.text

    sizes = {
        name: await _preview(client, host, room_id, **target)
        for name, target in {
            "all": {},
            "followers": {"audience": "followers"},
            "members": {"audience": "members"},
            "level3": {"audience": "members", "min_level": 3},
            "reservers": {"audience": "reservers", "session_id": live["id"]},
            "buyers": {"audience": "buyers"},
        }.items()
    }
    assert {name: (size["audience"], size["reachable"]) for name, size in sizes.items()} == {
        "all": (5, 4),
        "followers": (2, 1),
        "members": (3, 3),
        "level3": (1, 1),
        "reservers": (1, 1),
        "buyers": (1, 1),
    }
    assert (sizes["all"]["sent_today"], sizes["all"]["limit_per_day"]) == (0, 3)

    # Only the host (or a platform admin) writes to the room's fans.
    refused = await client.post(
        f"/api/v1/rooms/{room_id}/fan-messages/preview", json={}, headers=follower.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_room_host")
    no_session = await client.post(
        f"/api/v1/rooms/{room_id}/fan-messages/preview",
        json={"audience": "reservers"},
        headers=host.headers,
    )
    assert (no_session.status_code, no_session.json()["code"]) == (
        422,
        "fan_segment_session_required",
    )

    sent = await client.post(
        f"/api/v1/rooms/{room_id}/fan-messages",
        json={"title": "今晚八点见", "body": "新品首发，老粉专属福利"},
        headers=host.headers,
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["audience"], sent.json()["delivered"]) == (5, 4)
    await drain(runtime)
    for account in (follower, member, senior, quiet_mail):
        rows = await notifications_of(runtime, account.id)
        assert [(row.template, row.category, row.params["title"], row.link) for row in rows] == [
            ("message", "fan_messages", "今晚八点见", f"/hosts/{room_id}")
        ]
    assert await notifications_of(runtime, silent.id) == []
    assert await notifications_of(runtime, reserver.id) == []  # neither follows nor joined
    mailed = sorted(delivery.to_address for delivery in await deliveries(runtime))
    assert mailed == sorted([follower.email, member.email, senior.email])
    assert sorted(str(message["To"]) for message in smtp.received) == mailed

    level3 = await client.post(
        f"/api/v1/rooms/{room_id}/fan-messages",
        json={"title": "铁粉福利", "body": "三级以上专享", "audience": "members", "min_level": 3},
        headers=host.headers,
    )
    assert (level3.json()["audience"], level3.json()["delivered"]) == (1, 1)
    assert [row.params["title"] for row in await notifications_of(runtime, senior.id)] == [
        "今晚八点见",
        "铁粉福利",
    ]


async def test_a_host_is_limited_per_day_with_a_clear_code(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, live = await upcoming_session(client)
    room_id = live["room_id"]
    message = {"title": "上新", "body": "来看看"}
    for _ in range(3):
        response = await client.post(
            f"/api/v1/rooms/{room_id}/fan-messages", json=message, headers=host.headers
        )
        assert response.status_code == 200, response.text
    for language, text in (
        ("zh-CN", "今天给粉丝发的消息已达上限，请明天再发"),
        ("en", "Your fans have had enough messages today; try again tomorrow."),
    ):
        over = await client.post(
            f"/api/v1/rooms/{room_id}/fan-messages",
            json=message,
            headers={**host.headers, "Accept-Language": language},
        )
        assert over.status_code == 429
        assert (over.json()["code"], over.json()["message"]) == ("fan_messages_rate_limited", text)
        assert over.json()["details"] == {"limit_per_day": 3}
        assert int(over.headers["Retry-After"]) > 0
    preview = await _preview(client, host, room_id)
    assert (preview["sent_today"], preview["limit_per_day"]) == (3, 3)
