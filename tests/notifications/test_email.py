"""E-mail through a real local SMTP server: headers, one-click unsubscribe, retries,
refusals and the per-recipient rate limit."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from livecommerce.config import Settings
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from livecommerce.models import EmailStatus
from livecommerce.notifications.service import notification_service
from tests.factories import Account, sign_up
from tests.notifications.helpers import (
    act,
    deliveries,
    drain,
    notifications_of,
    reserve,
    upcoming_session,
)
from tests.notifications.sink import SmtpSink
from tests.orders.shop import create_listing, open_stage
from tests.team.helpers import invite


async def _notify(
    runtime: Runtime, account: Account, n: int = 1, template: str = "message"
) -> None:
    async with runtime.db.transaction() as session:
        for number in range(n):
            await notification_service.notify(
                session,
                [account.id],
                template,
                {"title": f"上新提醒 {number}", "body": "今晚八点见"},
                link="/",
            )


async def test_an_email_has_its_text_and_a_one_click_unsubscribe_that_is_honoured(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink, settings: Settings
) -> None:
    host, live_session = await upcoming_session(client, in_minutes=60)
    viewer = await sign_up(client, "viewer", name="小雨")
    await reserve(client, viewer, live_session["id"])
    await act(client, host, live_session["id"], "cancel")
    assert smtp.received == []  # the request only stored jobs; the worker sends
    await drain(runtime)

    [message] = smtp.to(viewer.email)
    assert message["Subject"] == "你预约的直播已取消"
    assert message["From"] == settings.smtp_from
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_content()
    assert "「春季上新专场」（小美的直播间）已取消。" in text
    assert f"http://testserver/live/{live_session['id']}" in text
    one_click = message["List-Unsubscribe"].strip("<>")
    # On the wire the header is the plain URL in angle brackets, on one line (RFC 8058).
    [raw] = smtp.raw
    assert f"\r\nList-Unsubscribe: <{one_click}>\r\n".encode() in raw
    parts = urlsplit(one_click)
    assert parts.path == "/api/v1/notifications/unsubscribe"
    token = parse_qs(parts.query)["token"][0]
    assert f"http://testserver/unsubscribe?token={token}" in text

    # A mail client's one-click POST, with no log-in and no cookie.
    response = await client.post(
        f"{parts.path}?{parts.query}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"category": "reminders", "email": False}
    preferences = await client.get("/api/v1/notifications/preferences", headers=viewer.headers)
    assert {"category": "reminders", "in_app": True, "email": False} in preferences.json()["items"]

    # The next reminder reaches the inbox but not the mailbox.
    host2, second = await upcoming_session(client, in_minutes=60, title="夏日清凉专场")
    await reserve(client, viewer, second["id"])
    await act(client, host2, second["id"], "start")
    await drain(runtime)
    assert len(smtp.to(viewer.email)) == 1
    inbox = await client.get("/api/v1/notifications", headers=viewer.headers)
    assert [item["template"] for item in inbox.json()["items"]] == [
        "session_live",
        "session_cancelled",
    ]
    # Order updates were not part of the unsubscribe.
    assert {"category": "order_updates", "in_app": True, "email": True} in preferences.json()[
        "items"
    ]


async def test_a_forged_or_broken_unsubscribe_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    viewer = await sign_up(client, "viewer")
    token = notification_service.unsubscribe_token(runtime, viewer.id, "reminders")
    encoded, _, signature = token.partition(".")
    forged_subject = notification_service.unsubscribe_token(runtime, viewer.id, "marketing")
    for bad in (
        f"{forged_subject.partition('.')[0]}.{signature}",  # another category, old signature
        f"{encoded}.{'0' * 40}",
        "not-a-token-at-all",
        f"{encoded}.签名签名签名签名签名签名签名签名",
        "令牌令牌令牌令牌.x",
    ):
        response = await client.post("/api/v1/notifications/unsubscribe", params={"token": bad})
        assert response.status_code == 422, bad
        assert response.json()["code"] == "invalid_unsubscribe_token"
    chinese = await client.post(
        "/api/v1/notifications/unsubscribe",
        params={"token": f"{encoded}.{'0' * 40}"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert chinese.json()["message"] == "退订链接无效"


async def test_a_server_that_defers_gets_the_email_again_later_and_it_arrives_once(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    viewer = await sign_up(client, "viewer")
    smtp.replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    await _notify(runtime, viewer)
    await drain(runtime)
    [delivery] = await deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (EmailStatus.PENDING, 1)
    assert "451" in (delivery.last_error or "")
    clock.advance(timedelta(seconds=10))  # the first back-off
    await drain(runtime)
    [delivery] = await deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (EmailStatus.PENDING, 2)
    clock.advance(timedelta(seconds=19))
    assert await drain(runtime) == 0  # the second back-off is 20 s
    clock.advance(timedelta(seconds=1))
    await drain(runtime)
    clock.advance(timedelta(hours=2))
    await drain(runtime)
    [delivery] = await deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 3)
    assert [message["Subject"] for message in smtp.to(viewer.email)] == ["上新提醒 0"]


async def test_a_refused_email_is_not_tried_again(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    viewer = await sign_up(client, "viewer")
    smtp.replies = ["550 5.1.1 No such mailbox"]
    await _notify(runtime, viewer)
    await drain(runtime)
    clock.advance(timedelta(hours=3))
    assert await drain(runtime) == 0
    [delivery] = await deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, 1)
    assert smtp.received == []


async def test_an_unreachable_server_is_retried_then_given_up(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink, settings: Settings
) -> None:
    runtime.settings = settings.model_copy(
        update={"smtp_url": "smtp://127.0.0.1:9?tls=off", "email_max_attempts": 3}
    )
    viewer = await sign_up(client, "viewer")
    await _notify(runtime, viewer)
    for _ in range(4):
        await drain(runtime)
        clock.advance(timedelta(minutes=5))
    [delivery] = await deliveries(runtime)
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, 3)


async def test_one_recipient_gets_at_most_the_hourly_limit_and_the_rest_later(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink, settings: Settings
) -> None:
    runtime.settings = settings.model_copy(update={"email_per_recipient_per_hour": 3})
    clock.freeze(clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(minutes=5))
    viewer = await sign_up(client, "viewer")
    other = await sign_up(client, "viewer")
    await _notify(runtime, viewer, n=5)
    await _notify(runtime, other, n=1)
    await drain(runtime)
    assert len(smtp.to(viewer.email)) == 3
    assert len(smtp.to(other.email)) == 1
    clock.advance(timedelta(minutes=54))
    assert await drain(runtime) == 0  # still the same hour
    clock.advance(timedelta(minutes=1))
    await drain(runtime)
    assert sorted(message["Subject"] for message in smtp.to(viewer.email)) == [
        f"上新提醒 {number}" for number in range(5)
    ]
    assert {row.status for row in await deliveries(runtime)} == {EmailStatus.SENT}


async def test_preferences_choose_the_channels_of_each_category(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    viewer = await sign_up(client, "viewer")
    defaults = await client.get("/api/v1/notifications/preferences", headers=viewer.headers)
    assert defaults.json()["items"] == [
        {"category": "reminders", "in_app": True, "email": True},
        {"category": "fan_messages", "in_app": True, "email": True},
        {"category": "order_updates", "in_app": True, "email": True},
        {"category": "marketing", "in_app": True, "email": False},
        {"category": "team", "in_app": True, "email": True},
    ]
    changed = await client.put(
        "/api/v1/notifications/preferences",
        json={
            "items": [
                {"category": "fan_messages", "email": False},
                {"category": "marketing", "in_app": False},
            ]
        },
        headers=viewer.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["items"][1:4:2] == [
        {"category": "fan_messages", "in_app": True, "email": False},
        {"category": "marketing", "in_app": False, "email": False},
    ]
    bad = await client.put(
        "/api/v1/notifications/preferences",
        json={"items": [{"category": "spam", "email": True}]},
        headers=viewer.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_failed"

    await _notify(runtime, viewer)  # a fan message: in-app only now
    async with runtime.db.transaction() as session:  # marketing: nowhere at all
        added = await notification_service.notify(
            session,
            [viewer.id],
            "message",
            {"title": "大促", "body": "全场五折"},
            category="marketing",
        )
    assert added == []
    await drain(runtime)
    assert smtp.received == []
    inbox = await client.get("/api/v1/notifications", headers=viewer.headers)
    assert [item["title"] for item in inbox.json()["items"]] == ["上新提醒 0"]


async def test_a_team_invitation_email_unsubscribes_from_team_invitations_only(
    client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpSink
) -> None:
    stage = await open_stage(client, [await create_listing(client)])
    staff = await sign_up(client, name="客服小张")
    await invite(client, stage.host, stage.room_id, "service", email=staff.email)
    await drain(runtime)
    [message] = smtp.to(staff.email)
    assert message["Subject"] == "直播间团队邀请"
    one_click = urlsplit(message["List-Unsubscribe"].strip("<>"))
    token = parse_qs(one_click.query)["token"][0]
    assert notification_service.read_unsubscribe_token(runtime, token) == (staff.id, "team")
    assert f"http://testserver/unsubscribe?token={token}" in message.get_content()

    response = await client.post(
        f"{one_click.path}?{one_click.query}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.json() == {"category": "team", "email": False}
    preferences = await client.get("/api/v1/notifications/preferences", headers=staff.headers)
    items = preferences.json()["items"]
    assert {"category": "reminders", "in_app": True, "email": True} in items
    assert {"category": "team", "in_app": True, "email": False} in items
    # The next invitation reaches the inbox, not the mailbox.
    await invite(client, stage.host, stage.room_id, "moderator", email=staff.email)
    await drain(runtime)
    assert len(smtp.to(staff.email)) == 1
    assert [row.template for row in await notifications_of(runtime, staff.id)] == [
        "staff_invite",
        "staff_invite",
    ]
