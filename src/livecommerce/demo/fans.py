"""The demo's fan club: the host's persona lines and badge, and the demo viewer as a member
who earned a level by watching the room on the days before (through the behaviour events
the room stores, as a real viewer would)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.demo.world import DemoWorld, _check, bearer
from livecommerce.insights.service import BehaviourRecord, insights_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourKind

CATCHPHRASES = ["喝好茶，找小李！", "好茶不贵，贵的不推", "茶友们，上链接！"]
BADGE_NAME = "小李茶友"
WATCHED_DAYS = 3  # forty minutes a day on the three days before the demo
WATCHED_MINUTES = 40
FAN_MESSAGE_TITLE = "今晚八点福利场"


async def seed_fans(http: httpx.AsyncClient, runtime: Runtime, world: DemoWorld) -> None:
    host = bearer(world.tokens["host"])
    viewer = bearer(world.tokens["viewer"])
    room = _check(await http.get(f"/api/v1/rooms/{world.room_id}"))
    if len(room["catchphrases"]) < len(CATCHPHRASES):
        _check(
            await http.patch(
                f"/api/v1/rooms/{world.room_id}", headers=host, json={"catchphrases": CATCHPHRASES}
            )
        )
    _check(
        await http.patch(
            f"/api/v1/rooms/{world.room_id}/fan-club", headers=host, json={"badge_name": BADGE_NAME}
        )
    )
    # A fan follows the room it joins the club of (following twice changes nothing).
    _check(await http.post(f"/api/v1/rooms/{world.room_id}/follow", headers=viewer))
    club = _check(await http.post(f"/api/v1/rooms/{world.room_id}/fan-club", headers=viewer))
    if club["you"]["intimacy"] > 0:
        return
    me = _check(await http.get("/api/v1/me", headers=viewer))
    now = utcnow()
    records = [
        BehaviourRecord(
            kind=BehaviourKind.HEARTBEAT.value,
            user_id=me["id"],
            room_id=world.room_id,
            session_id=world.session_id,
            value=60,
            occurred_at=now - timedelta(days=day, minutes=minute),
        )
        for day in range(1, WATCHED_DAYS + 1)
        for minute in range(WATCHED_MINUTES)
    ]
    async with runtime.db.transaction() as session:
        await insights_service.do_record_many(session, records)
    # The host writes to its fans at level 3 and up (the demo viewer is one: level 5).
    _check(
        await http.post(
            f"/api/v1/rooms/{world.room_id}/fan-messages",
            headers=host,
            json={
                "audience": "members",
                "min_level": 3,
                "title": FAN_MESSAGE_TITLE,
                "body": "粉丝团 3 级以上的茶友：今晚直播间有专属券，记得来！",
                "link": f"/live/{world.session_id}",
            },
        )
    )
