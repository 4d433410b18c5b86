"""A host sees only its sessions, an MCN only its hosts', a merchant only its products,
operators everything."""

from __future__ import annotations

import httpx

from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from tests.dashboards.script import play
from tests.factories import sign_up
from tests.ledger.world import create_agency, sign_host
from tests.orders.shop import create_listing, make_admin


async def test_who_may_see_a_session(client: httpx.AsyncClient, runtime: Runtime) -> None:
    scripted = await play(client, runtime)
    stage = scripted.stage
    url = f"/api/v1/dashboards/sessions/{stage.session_id}"
    assert (await client.get(url)).status_code == 401
    for stranger_role in ("viewer", "host", "merchant", "mcn_admin"):
        stranger = await sign_up(client, stranger_role)
        refused = await client.get(url, headers=stranger.headers)
        assert refused.status_code == 403, stranger_role
        assert refused.json()["code"] == "dashboard_forbidden"
    # The host's own merchant is no exception: it sees its products, not the room.
    refused = await client.get(url, headers=scripted.merchant.headers)
    assert refused.status_code == 403
    agency_admin, _ = await create_agency(client)
    assert (await client.get(url, headers=agency_admin.headers)).status_code == 403
    await sign_host(client, agency_admin, stage.host, 2000)
    assert (await client.get(url, headers=agency_admin.headers)).status_code == 200
    admin = await make_admin(runtime)
    for account in (stage.host, admin):
        for path in ("", "/report", "/report.csv"):
            assert (await client.get(url + path, headers=account.headers)).status_code == 200
    missing = await client.get(f"/api/v1/dashboards/sessions/{new_id()}", headers=admin.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "live_session_not_found"
    # The lists follow the same rule.
    listed = await client.get("/api/v1/dashboards/sessions", headers=agency_admin.headers)
    assert [item["id"] for item in listed.json()["items"]] == [stage.session_id]
    other_host = await sign_up(client, "host")
    assert (await client.get("/api/v1/dashboards/sessions", headers=other_host.headers)).json() == {
        "items": [],
        "next_cursor": None,
    }


async def test_platform_is_for_operators_and_merchants_see_their_products(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    scripted = await play(client, runtime)
    platform = "/api/v1/dashboards/platform"
    for account in (scripted.stage.host, scripted.merchant, scripted.alice):
        refused = await client.get(platform, headers=account.headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "role_required"
    admin = await make_admin(runtime)
    assert (await client.get(platform, headers=admin.headers)).status_code == 200

    mine = await client.get(
        "/api/v1/dashboards/merchant/products", headers=scripted.merchant.headers
    )
    assert mine.status_code == 200
    assert [
        (r["product_id"], r["room_id"], r["paid_orders"], r["gmv_cents"])
        for r in mine.json()["items"]
    ] == [(scripted.product_id, scripted.stage.room_id, 2, 17600)]
    other = await sign_up(client, "merchant")
    await create_listing(client, merchant=other)
    theirs = await client.get("/api/v1/dashboards/merchant/products", headers=other.headers)
    assert theirs.json() == {"items": [], "next_cursor": None}
    host_asks = await client.get(
        "/api/v1/dashboards/merchant/products", headers=scripted.stage.host.headers
    )
    assert host_asks.status_code == 403

    selection = "/api/v1/dashboards/selection"
    assert (await client.get(selection, headers=scripted.alice.headers)).status_code == 403
    for account in (scripted.stage.host, scripted.merchant, admin):
        assert (await client.get(selection, headers=account.headers)).status_code == 200
