"""The demo's team and share link: a 场控 (moderator) who runs the host's room without
owning it (a flash sale launched in it, in the team's log), a 客服 (service) and a 选品
(selection) who work from /team, and the demo viewer's share link to the live session
with a visit through it."""

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
# The rest of the team, each working from /team: role, log-in, e-mail, name.
STAFF = (
    ("moderator", "moderator", *MODERATOR),
    ("service", "service", "service@demo.livecommerce.local", "客服小李"),
    ("selection", "selection", "selection@demo.livecommerce.local", "选品小张"),
)


async def seed_team(http: httpx.AsyncClient, runtime: Runtime, world: DemoWorld) -> None:
    """Idempotent: a second start finds the members and the link in place."""
    host = bearer(world.tokens["host"])
    team = _check(await http.get(f"/api/v1/rooms/{world.room_id}/team", headers=host))
    for login, role, email, name in STAFF:
        await ensure_account(runtime, email, name, Role.VIEWER, DEMO_PASSWORD)
        token = await api_token(http, email)
        world.tokens[login] = token
        world.logins[login] = email
        if any(m["email"] == email and m["status"] == "active" for m in team["items"]):
            continue
        invited = _check(
            await http.post(
                f"/api/v1/rooms/{world.room_id}/team",
                headers=host,
                json={"role": role, "email": email},
            )
        )
        code = str(invited["invite_url"]).rsplit("/", 1)[-1]
        _check(await http.post(f"/api/v1/team/invites/{code}/accept", headers=bearer(token)))
    token = world.tokens["moderator"]
    await _moderator_flash_sale(http, world, bearer(token))
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


async def _moderator_flash_sale(
    http: httpx.AsyncClient, world: DemoWorld, moderator: dict[str, str]
) -> None:
    """The 场控 launches a flash sale in the host's live session (once: a second start finds
    it in the team's log). A showcase SKU at 90% of its room price, or at that price when
    the merchant's floor does not allow less."""
    host = bearer(world.tokens["host"])
    log = _check(await http.get(f"/api/v1/rooms/{world.room_id}/team/log", headers=host))
    if any(item["action"] == "flash_sale" for item in log["items"]):
        return
    showcase = _check(await http.get(f"/api/v1/live-sessions/{world.session_id}/showcase"))
    url = f"/api/v1/live-sessions/{world.session_id}/flash-sales"
    last: httpx.Response | None = None
    for item in showcase["items"]:
        sku = item["skus"][0]
        for price in (sku["price_cents"] * 9 // 10, sku["price_cents"]):
            body = {
                "product_id": item["product_id"],
                "sku_id": sku["id"],
                "price_cents": price,
                "units": 20,
                "per_buyer_limit": 1,
                "starts_in_s": 0,
                "duration_s": 3600,
            }
            last = await http.post(url, headers=moderator, json=body)
            if last.status_code == 201:
                return
    if last is not None:
        _check(last)
