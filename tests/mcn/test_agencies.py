"""Agencies sign hosts; hosts accept; the dashboard shows only the agency's own hosts."""

from __future__ import annotations

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.ledger.world import build_world, buy, create_agency, owed, sign_host


async def test_invite_accept_decline_terminate(client: httpx.AsyncClient) -> None:
    admin, agency_id = await create_agency(client)
    host = await sign_up(client, "host")
    invited = await client.post(
        "/api/v1/mcn/contracts",
        headers=admin.headers,
        json={"host_id": host.id, "share_bp": 2500},
    )
    assert invited.status_code == 201, invited.text
    contract = invited.json()
    assert (contract["status"], contract["agency_id"], contract["share_bp"]) == (
        "invited",
        agency_id,
        2500,
    )
    # A second invitation while one is open is refused.
    again = await client.post(
        "/api/v1/mcn/contracts", headers=admin.headers, json={"host_id": host.id, "share_bp": 1}
    )
    assert (again.status_code, again.json()["code"]) == (409, "host_already_signed")
    # Only the host answers.
    by_agency = await client.post(
        f"/api/v1/mcn/contracts/{contract['id']}/accept", headers=admin.headers
    )
    assert (by_agency.status_code, by_agency.json()["code"]) == (403, "not_contract_host")
    stranger = await sign_up(client, "host")
    by_stranger = await client.post(
        f"/api/v1/mcn/contracts/{contract['id']}/accept", headers=stranger.headers
    )
    assert (by_stranger.status_code, by_stranger.json()["code"]) == (404, "contract_not_found")

    declined = await client.post(
        f"/api/v1/mcn/contracts/{contract['id']}/decline", headers=host.headers
    )
    assert declined.json()["status"] == "declined"
    late = await client.post(f"/api/v1/mcn/contracts/{contract['id']}/accept", headers=host.headers)
    assert (late.status_code, late.json()["code"]) == (409, "invalid_contract_state")

    signed = await sign_host(client, admin, host, 4000)
    assert signed["status"] == "active"
    listed = await client.get("/api/v1/mcn/contracts", headers=host.headers)
    assert [item["status"] for item in listed.json()["items"]] == ["active", "declined"]
    # The consoles show names, not ids.
    agency_name = (await client.get("/api/v1/mcn/agency", headers=admin.headers)).json()["name"]
    host_name = (await client.get("/api/v1/me", headers=host.headers)).json()["display_name"]
    for listing in (listed, await client.get("/api/v1/mcn/contracts", headers=admin.headers)):
        assert {(item["host_name"], item["agency_name"]) for item in listing.json()["items"]} == {
            (host_name, agency_name)
        }
    ended = await client.post(
        f"/api/v1/mcn/contracts/{signed['id']}/terminate", headers=admin.headers
    )
    assert ended.json()["status"] == "terminated"
    assert ended.json()["ends_at"] is not None


async def test_contract_validation_and_roles(client: httpx.AsyncClient) -> None:
    admin, _ = await create_agency(client)
    host = await sign_up(client, "host")
    viewer = await sign_up(client, "viewer")
    too_much = await client.post(
        "/api/v1/mcn/contracts",
        headers=admin.headers,
        json={"host_id": host.id, "share_bp": 10001},
    )
    assert (too_much.status_code, too_much.json()["code"]) == (422, "validation_failed")
    not_host = await client.post(
        "/api/v1/mcn/contracts",
        headers=admin.headers,
        json={"host_id": viewer.id, "share_bp": 100},
    )
    assert (not_host.status_code, not_host.json()["code"]) == (404, "host_not_found")
    by_host = await client.post(
        "/api/v1/mcn/contracts", headers=host.headers, json={"host_id": host.id, "share_bp": 1}
    )
    assert (by_host.status_code, by_host.json()["code"]) == (403, "role_required")
    second = await client.post("/api/v1/mcn/agencies", headers=admin.headers, json={"name": "B"})
    assert (second.status_code, second.json()["code"]) == (409, "agency_exists")
    no_agency = await sign_up(client, "mcn_admin")
    dashboard = await client.get("/api/v1/mcn/agency/dashboard", headers=no_agency.headers)
    assert (dashboard.status_code, dashboard.json()["code"]) == (404, "agency_not_found")


async def test_dashboard_shows_only_own_hosts(client: httpx.AsyncClient, runtime: Runtime) -> None:
    world = await build_world(client, runtime, price_cents=10000, share_bp=3000)
    assert world.agency_admin is not None
    await buy(client, world, quantity=2)
    second_host = await sign_up(client, "host", name="达人阿杰")
    await sign_host(client, world.agency_admin, second_host, 1000)
    other_admin, _ = await create_agency(client, "别家传媒")
    outsider = await sign_up(client, "host")
    await sign_host(client, other_admin, outsider, 5000)

    response = await client.get("/api/v1/mcn/agency/dashboard", headers=world.agency_admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    figures = {host["host_id"]: host for host in body["hosts"]}
    assert set(figures) == {world.host.id, second_host.id}
    # 20000 sold; commission 4000; agency 30 % = 1200; host 2800.
    mine = figures[world.host.id]
    assert (
        mine["sessions"],
        mine["paid_orders"],
        mine["gmv_cents"],
        mine["host_earned_cents"],
    ) == (
        1,
        1,
        20000,
        2800,
    )
    assert mine["agency_earned_cents"] == 1200
    assert (
        figures[second_host.id]["gmv_cents"],
        figures[second_host.id]["agency_earned_cents"],
    ) == (
        0,
        0,
    )
    assert body["agency_earned_cents"] == 1200
    assert await owed(client, world.agency_admin) == {"agency_payable": 1200}

    own = await client.get(
        f"/api/v1/mcn/agency/hosts/{world.host.id}", headers=world.agency_admin.headers
    )
    assert own.json()["gmv_cents"] == 20000
    foreign = await client.get(
        f"/api/v1/mcn/agency/hosts/{outsider.id}", headers=world.agency_admin.headers
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "host_not_found")
    other = await client.get("/api/v1/mcn/agency/dashboard", headers=other_admin.headers)
    assert [host["host_id"] for host in other.json()["hosts"]] == [outsider.id]
    as_host = await client.get("/api/v1/mcn/agency/dashboard", headers=world.host.headers)
    assert (as_host.status_code, as_host.json()["code"]) == (403, "role_required")


async def test_hosts_are_invited_by_email(client: httpx.AsyncClient) -> None:
    admin, agency_id = await create_agency(client)
    merchant = await sign_up(client, "merchant")
    host = await sign_up(client, "host")
    viewer = await sign_up(client, "viewer")
    # The e-mail as a person types it: spaces and capitals do not matter.
    typed = f"  {host.email.upper()} "
    invited = await client.post(
        "/api/v1/mcn/contracts",
        headers=admin.headers,
        json={"host_email": typed, "share_bp": 2500},
    )
    assert invited.status_code == 201, invited.text
    assert (invited.json()["host_id"], invited.json()["agency_id"]) == (host.id, agency_id)
    staff = await client.post(
        "/api/v1/mcn/staff", headers=merchant.headers, json={"host_email": host.email}
    )
    assert staff.status_code == 201, staff.text
    assert (staff.json()["merchant_id"], staff.json()["host_id"]) == (merchant.id, host.id)

    # No host with that e-mail (none at all, or a viewer's): 404 in the caller's language.
    for email in ("nobody@example.com", viewer.email):
        for path, body in (
            ("/api/v1/mcn/contracts", {"host_email": email, "share_bp": 100}),
            ("/api/v1/mcn/staff", {"host_email": email}),
        ):
            headers = merchant.headers if path.endswith("staff") else admin.headers
            zh = await client.post(path, headers=headers, json=body)
            assert (zh.status_code, zh.json()) == (
                404,
                {"code": "host_email_not_found", "message": "没有使用这个邮箱的主播账号"},
            )
            en = await client.post(path, headers={**headers, "Accept-Language": "en"}, json=body)
            assert (en.status_code, en.json()["message"]) == (
                404,
                "No host account has this e-mail.",
            )
    # Exactly one of host_id and host_email.
    for body in ({}, {"host_id": host.id, "host_email": host.email}):
        refused = await client.post("/api/v1/mcn/staff", headers=merchant.headers, json=body)
        assert (refused.status_code, refused.json()["code"]) == (422, "host_id_or_email")
    # Only merchants keep staff, whatever the e-mail says.
    by_viewer = await client.post(
        "/api/v1/mcn/staff", headers=viewer.headers, json={"host_email": "nobody@example.com"}
    )
    assert (by_viewer.status_code, by_viewer.json()["code"]) == (403, "role_required")
