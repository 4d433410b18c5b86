"""Team invitations: by e-mail (told in the inbox, only that account accepts), by link
(once), expiring, withdrawn; and a host is never staff of their own room."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.notifications.helpers import drain, notifications_of
from tests.orders.shop import create_listing, open_stage
from tests.team.helpers import accept, invite, token_of


async def test_invitations_by_email_and_link(client: httpx.AsyncClient, runtime: Runtime) -> None:
    stage = await open_stage(client, [await create_listing(client)])
    rid = stage.room_id
    service = await sign_up(client, name="客服小张")
    stranger = await sign_up(client, name="路人")
    by_mail = await invite(client, stage.host, rid, "service", email=f"  {service.email.upper()} ")
    assert (by_mail["email"], by_mail["status"], by_mail["user_id"]) == (
        service.email,
        "invited",
        None,
    )
    await drain(runtime)
    [told] = await notifications_of(runtime, service.id)
    assert (told.template, told.link, told.params["role_zh"]) == (
        "staff_invite",
        f"/team/invite/{token_of(by_mail)}",
        "客服",
    )
    seen = await client.get(f"/api/v1/team/invites/{token_of(by_mail)}")
    assert (seen.json()["role"], seen.json()["status"]) == ("service", "invited")
    other = await accept(client, stranger, token_of(by_mail), expect=403)
    assert other["code"] == "staff_invite_other_email"
    own = await accept(client, stage.host, token_of(by_mail), expect=403)
    assert own["code"] == "staff_invite_other_email"
    joined = await accept(client, service, token_of(by_mail))
    assert (joined["status"], joined["user_id"]) == ("active", service.id)
    assert (await accept(client, service, token_of(by_mail)))["id"] == joined["id"]  # again

    by_link = await invite(client, stage.host, rid, "selection")
    first = await accept(client, stranger, token_of(by_link))
    assert (first["role"], first["user_id"]) == ("selection", stranger.id)
    used = await accept(client, service, token_of(by_link), expect=409)
    assert used["code"] == "staff_invite_used"
    self_invite = await invite(client, stage.host, rid, "moderator")
    assert (await accept(client, stage.host, token_of(self_invite), expect=409))[
        "code"
    ] == "own_room_staff"

    withdrawn = await invite(client, stage.host, rid, "moderator")
    removed = await client.delete(
        f"/api/v1/rooms/{rid}/team/{withdrawn['id']}", headers=stage.host.headers
    )
    assert removed.json()["status"] == "revoked"
    gone = await accept(client, stranger, token_of(withdrawn), expect=404)
    assert gone["code"] == "staff_invite_not_found"

    late = await invite(client, stage.host, rid, "moderator")
    clock.freeze(clock.now() + timedelta(days=7, seconds=1))
    expired = await accept(client, stranger, token_of(late), expect=409)
    assert expired["code"] == "staff_invite_expired"

    team = await client.get(f"/api/v1/rooms/{rid}/team", headers=stage.host.headers)
    assert sorted((m["role"], m["status"]) for m in team.json()["items"]) == [
        ("moderator", "invited"),
        ("moderator", "invited"),
        ("selection", "active"),
        ("service", "active"),
    ]
    not_host = await client.post(
        f"/api/v1/rooms/{rid}/team", json={"role": "moderator"}, headers=service.headers
    )
    assert (not_host.status_code, not_host.json()["code"]) == (403, "not_room_host")
    bad_role = await client.post(
        f"/api/v1/rooms/{rid}/team", json={"role": "boss"}, headers=stage.host.headers
    )
    assert bad_role.status_code == 422
