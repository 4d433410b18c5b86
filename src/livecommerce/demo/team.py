"""The demo's team and share link: a 场控 (moderator) who runs the host's room without
owning it, and the demo viewer's share link to the live session with a visit through it."""

from __future__ import annotations

import httpx

from livecommerce.demo.world import (
    DEMO_PASSWORD,
    DemoWorld,
    _check,
    api_token,
    bearer,
    ensure_account,
)
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

MODERATOR = ("moderator@demo.livecommerce.local", "场控小王")


async def seed_team(http: httpx.AsyncClient, runtime: Runtime, world: DemoWorld) -> None:
    """Idempotent: a second start finds the member and the link in place."""
    email, name = MODERATOR
    await ensure_account(runtime, email, name, Role.VIEWER, DEMO_PASSWORD)
    token = await api_token(http, email)
    world.tokens["moderator"] = token
    world.logins["moderator"] = email
    host = bearer(world.tokens["host"])
    team = _check(await http.get(f"/api/v1/rooms/{world.room_id}/team", headers=host))
    if not any(m["email"] == email and m["status"] == "active" for m in team["items"]):
        invited = _check(
            await http.post(
                f"/api/v1/rooms/{world.room_id}/team",
                headers=host,
                json={"role": "moderator", "email": email},
            )
        )
        code = str(invited["invite_url"]).rsplit("/", 1)[-1]
        _check(await http.post(f"/api/v1/team/invites/{code}/accept", headers=bearer(token)))
    link = _check(
        await http.post(
            "/api/v1/share-links",
            headers=bearer(world.tokens["viewer"]),
            json={"room_id": world.room_id, "session_id": world.session_id},
        )
    )
    world.share_url = str(link["url"])
    # The moderator came through the viewer's link (counted once, however often).
    await http.get(f"/s/{link['code']}", headers=bearer(token), follow_redirects=False)
