"""The demo: an upcoming session its viewer reserved, and e-mail in a folder of .eml files."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx

from livecommerce.config import Settings
from livecommerce.demo.mail import mail_sink
from livecommerce.demo.seed import DEMO_ACCOUNTS, seed_demo
from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.notifications.helpers import drain, notifications_of


async def test_the_demo_viewer_is_reminded_of_the_upcoming_session_by_mail_in_a_folder(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    world = await seed_demo(client, runtime)
    detail = (await client.get(f"/api/v1/live-sessions/{world.upcoming_session_id}")).json()
    assert (detail["status"], detail["reservation_count"]) == ("scheduled", 1)
    again = await seed_demo(client, runtime)  # a second start reserves nothing twice
    assert again.upcoming_session_id == world.upcoming_session_id

    folder = tmp_path / "demo-mail"
    with mail_sink(folder) as smtp_url:
        runtime.settings = settings.model_copy(update={"smtp_url": smtp_url})
        planned = datetime.fromisoformat(detail["planned_start_at"])
        clock.freeze(planned - timedelta(minutes=10))
        await drain(runtime)
    viewer_email = DEMO_ACCOUNTS["viewer"][0]
    messages = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]
    [reminder_mail] = [
        message for message in messages if message["Subject"] == "你预约的直播即将开始"
    ]
    assert reminder_mail["To"] == viewer_email
    assert "List-Unsubscribe" in reminder_mail
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['viewer']}"}
    )
    rows = await notifications_of(runtime, me.json()["id"])
    assert [(row.template, row.link) for row in rows if row.category == "reminders"] == [
        ("session_soon", f"/live/{world.upcoming_session_id}")
    ]
