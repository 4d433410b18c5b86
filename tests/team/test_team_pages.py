"""Where the team works: the menu's 团队 entry (hosts and members, not other viewers),
the session each membership leads to, and the session console showing a member only
their role's parts (a 场控 no sales figures, cover, start/end or traffic panel) while
everyone outside the team is refused."""

from __future__ import annotations

import re

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.orders.shop import create_listing, open_stage
from tests.team.helpers import hire

TEAM_ENTRY = re.compile(r'<a href="/team"[^>]*>团队</a>')


async def _menu_has_team(client: httpx.AsyncClient, account: Account) -> bool:
    page = await client.get("/orders", headers=account.headers | {"accept-language": "zh"})
    assert page.status_code == 200
    return TEAM_ENTRY.search(page.text) is not None


async def test_the_menu_leads_hosts_and_members_to_the_team_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    stage = await open_stage(client, [await create_listing(client, stock=5)])
    moderator = await sign_up(client, name="场控")
    viewer = await sign_up(client, name="观众")
    assert await _menu_has_team(client, stage.host)
    assert not await _menu_has_team(client, moderator)
    joined = await hire(client, stage.host, stage.room_id, "moderator", moderator)
    assert await _menu_has_team(client, moderator)
    assert not await _menu_has_team(client, viewer)
    removed = await client.delete(
        f"/api/v1/rooms/{stage.room_id}/team/{joined['id']}", headers=stage.host.headers
    )
    assert removed.status_code == 200
    assert not await _menu_has_team(client, moderator)
    anonymous = await client.get("/", headers={"accept-language": "zh"})
    assert TEAM_ENTRY.search(anonymous.text) is None


async def test_each_membership_leads_to_its_session(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    live = await open_stage(client, [await create_listing(client, stock=5)])
    planned = await open_stage(client, [await create_listing(client, stock=5)], start=False)
    member = await sign_up(client, name="场控")
    await hire(client, live.host, live.room_id, "moderator", member)
    await hire(client, planned.host, planned.room_id, "selection", member)
    rooms = (await client.get("/api/v1/team/rooms", headers=member.headers)).json()["items"]
    assert [(r["room_id"], r["role"], r["session_id"], r["session_status"]) for r in rooms] == [
        (live.room_id, "moderator", live.session_id, "live"),
        (planned.room_id, "selection", planned.session_id, "scheduled"),
    ]
    # The 选品 prepares the next session's showcase even while one is on air.
    later = await client.post(
        f"/api/v1/rooms/{live.room_id}/sessions",
        headers=live.host.headers,
        json={"title": "下一场", "planned_start_at": "2099-01-01T12:00:00Z"},
    )
    assert later.status_code == 201, later.text
    selection = await sign_up(client, name="选品")
    await hire(client, live.host, live.room_id, "selection", selection)
    rooms = (await client.get("/api/v1/team/rooms", headers=selection.headers)).json()["items"]
    assert [(r["session_id"], r["session_title"]) for r in rooms] == [
        (later.json()["id"], "下一场")
    ]
    rooms = (await client.get("/api/v1/team/rooms", headers=member.headers)).json()["items"]
    assert rooms[0]["session_id"] == live.session_id


# What each role's session console shows: element ids present (True) or not (False).
PARTS = {
    "stats": 'id="stats"',
    "traffic": 'id="traffic-panel"',
    "start": 'id="start-session"',
    "cover": 'id="cover-form"',
    "dashboard": 'id="open-dashboard"',
    "poll": 'id="poll-console"',
    "showcase": 'id="showcase-card"',
    "add_products": 'id="product-search"',
    "moderation": 'id="moderation-card"',
}
SHOWN = {
    "host": set(PARTS),
    "moderator": {"showcase", "moderation"},
    "service": set(),
    "selection": {"showcase", "add_products"},
}


async def test_the_session_console_shows_each_role_its_part(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    stage = await open_stage(client, [await create_listing(client, stock=5)])
    other = await open_stage(client, [await create_listing(client, stock=5)])
    people: dict[str, Account] = {"host": stage.host}
    for role in ("moderator", "service", "selection"):
        people[role] = await sign_up(client, name=role)
        await hire(client, stage.host, stage.room_id, role, people[role])
    path = f"/console/host/sessions/{stage.session_id}"
    for role, account in people.items():
        page = await client.get(path, headers=account.headers | {"accept-language": "zh"})
        assert page.status_code == 200, (role, page.text[:200])
        shown = {name for name, marker in PARTS.items() if marker in page.text}
        assert shown == SHOWN[role], role
        # A member sees their role beside the way back to the team page.
        assert ('id="console-role"' in page.text) is (role != "host")
    # Another room's 场控, a plain viewer and another host are refused.
    stranger = await sign_up(client, name="别家场控")
    await hire(client, other.host, other.room_id, "moderator", stranger)
    for outsider in (stranger, await sign_up(client, name="观众"), other.host):
        refused = await client.get(path, headers=outsider.headers)
        assert refused.status_code == 403
    # Nor does a 场控 see the money: the session's figures stay the host's.
    stats = await client.get(
        f"/api/v1/live-sessions/{stage.session_id}/stats", headers=people["moderator"].headers
    )
    assert stats.status_code == 403
    for money in ("/console/earnings", "/console/host", "/console/merchant"):
        page = await client.get(money, headers=people["moderator"].headers)
        assert page.status_code == 403, money


async def test_a_moderator_drops_the_hosts_coupons(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    stage = await open_stage(client, [await create_listing(client, stock=5)])
    moderator = await sign_up(client, name="场控")
    service = await sign_up(client, name="客服")
    await hire(client, stage.host, stage.room_id, "moderator", moderator)
    await hire(client, stage.host, stage.room_id, "service", service)
    issued = await client.post(
        "/api/v1/coupons",
        headers=stage.host.headers,
        json={
            "title": "直播间券",
            "audience": "room",
            "discount_kind": "amount",
            "amount_off_cents": 500,
            "min_spend_cents": 0,
            "ends_at": "2099-01-01T00:00:00Z",
            "total_limit": 10,
        },
    )
    assert issued.status_code == 201, issued.text
    url = f"/api/v1/coupons/issued?room_id={stage.room_id}"
    listed = await client.get(url, headers=moderator.headers)
    assert [c["id"] for c in listed.json()["items"]] == [issued.json()["id"]]
    refused = await client.get(url, headers=service.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "staff_role_forbidden")
    mine = await client.get("/api/v1/coupons/issued", headers=moderator.headers)
    assert mine.json()["items"] == []
