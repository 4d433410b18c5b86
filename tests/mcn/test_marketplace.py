"""Selection marketplace: offers, browsing and filters, invitations, samples, showcase."""

from __future__ import annotations

import httpx

from tests.factories import sign_up
from tests.ledger.world import create_offer, open_room
from tests.orders.shop import create_listing


async def test_offer_rules(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    listing = await create_listing(client, merchant=merchant)
    for bp in (99, 8001):
        response = await client.post(
            "/api/v1/mcn/offers",
            headers=merchant.headers,
            json={"product_id": listing.product_id, "commission_bp": bp},
        )
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    offer = await create_offer(
        client, merchant, listing.product_id, commission_bp=8000, fixed_fee_cents=100
    )
    assert (offer["commission_bp"], offer["fixed_fee_cents"], offer["price_cents"]) == (
        8000,
        100,
        9900,
    )
    twice = await client.post(
        "/api/v1/mcn/offers",
        headers=merchant.headers,
        json={"product_id": listing.product_id, "commission_bp": 500},
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "offer_exists")
    other = await sign_up(client, "merchant")
    foreign = await client.post(
        "/api/v1/mcn/offers",
        headers=other.headers,
        json={"product_id": listing.product_id, "commission_bp": 500},
    )
    assert (foreign.status_code, foreign.json()["code"]) == (403, "not_product_owner")
    host = await sign_up(client, "host")
    by_host = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}", headers=host.headers, json={"commission_bp": 100}
    )
    assert (by_host.status_code, by_host.json()["code"]) == (403, "not_offer_owner")
    closed = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}", headers=merchant.headers, json={"status": "closed"}
    )
    assert closed.json()["status"] == "closed"
    browse = await client.get("/api/v1/mcn/offers", headers=host.headers)
    assert browse.json()["items"] == []
    viewer = await sign_up(client, "viewer")
    denied = await client.get("/api/v1/mcn/offers", headers=viewer.headers)
    assert (denied.status_code, denied.json()["code"]) == (403, "role_required")


async def test_browse_filters_and_invite_only(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    tea = await create_listing(client, merchant=merchant, price_cents=16800, title="龙井")
    cup = await create_listing(client, merchant=merchant, price_cents=3990, title="茶杯")
    secret = await create_listing(client, merchant=merchant, price_cents=50000, title="限量壶")
    await create_offer(client, merchant, tea.product_id, commission_bp=2000)
    await create_offer(client, merchant, cup.product_id, commission_bp=3500)
    hidden = await create_offer(
        client, merchant, secret.product_id, commission_bp=1000, visibility="invite_only"
    )
    host = await sign_up(client, "host")
    invited_host = await sign_up(client, "host")

    async def titles(account_headers: dict[str, str], query: str = "") -> list[str]:
        response = await client.get(f"/api/v1/mcn/offers{query}", headers=account_headers)
        assert response.status_code == 200, response.text
        return [item["product_title"] for item in response.json()["items"]]

    assert await titles(host.headers, "?sort=commission") == ["茶杯", "龙井"]
    assert await titles(host.headers, "?min_commission_bp=3000") == ["茶杯"]
    assert await titles(host.headers, "?min_price_cents=10000&sort=price") == ["龙井"]
    assert await titles(host.headers, "?max_price_cents=5000") == ["茶杯"]
    assert await titles(host.headers, "?min_sales=1") == []
    assert await titles(merchant.headers, "?mine=true&sort=price") == ["茶杯", "龙井", "限量壶"]
    hidden_read = await client.get(f"/api/v1/mcn/offers/{hidden['id']}", headers=host.headers)
    assert (hidden_read.status_code, hidden_read.json()["code"]) == (404, "offer_not_found")

    invited = await client.post(
        f"/api/v1/mcn/offers/{hidden['id']}/invites",
        headers=merchant.headers,
        json={"host_ids": [invited_host.id, invited_host.id]},
    )
    assert invited.json() == {"invited": 1}
    assert await titles(invited_host.headers, "?sort=price") == ["茶杯", "龙井", "限量壶"]
    assert await titles(host.headers, "?sort=price") == ["茶杯", "龙井"]


async def test_samples_and_showcase(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    listing = await create_listing(client, merchant=merchant)
    offer = await create_offer(
        client, merchant, listing.product_id, sample_policy="free", min_live_price_cents=8800
    )
    no_samples_listing = await create_listing(client, merchant=merchant, title="无样品")
    no_samples = await create_offer(client, merchant, no_samples_listing.product_id)
    host = await sign_up(client, "host")
    other_host = await sign_up(client, "host")

    refused = await client.post(
        f"/api/v1/mcn/offers/{no_samples['id']}/samples", headers=host.headers, json={}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "samples_not_offered")
    requested = await client.post(
        f"/api/v1/mcn/offers/{offer['id']}/samples",
        headers=host.headers,
        json={"note": "想先试用"},
    )
    assert requested.status_code == 201, requested.text
    sample = requested.json()
    assert (sample["status"], sample["requester_id"]) == ("pending", host.id)
    again = await client.post(
        f"/api/v1/mcn/offers/{offer['id']}/samples", headers=host.headers, json={}
    )
    assert (again.status_code, again.json()["code"]) == (409, "sample_already_requested")

    incoming = await client.get("/api/v1/mcn/samples", headers=merchant.headers)
    assert [item["id"] for item in incoming.json()["items"]] == [sample["id"]]
    host_name = (await client.get("/api/v1/me", headers=host.headers)).json()["display_name"]
    assert incoming.json()["items"][0]["requester_name"] == host_name
    theirs = await client.get("/api/v1/mcn/samples", headers=other_host.headers)
    assert theirs.json()["items"] == []
    self_approve = await client.post(
        f"/api/v1/mcn/samples/{sample['id']}/approve", headers=host.headers
    )
    assert (self_approve.status_code, self_approve.json()["code"]) == (403, "not_offer_owner")
    stranger = await client.post(
        f"/api/v1/mcn/samples/{sample['id']}/approve", headers=other_host.headers
    )
    assert (stranger.status_code, stranger.json()["code"]) == (404, "sample_not_found")
    approved = await client.post(
        f"/api/v1/mcn/samples/{sample['id']}/approve", headers=merchant.headers
    )
    assert approved.json()["status"] == "approved"
    twice = await client.post(
        f"/api/v1/mcn/samples/{sample['id']}/decline", headers=merchant.headers
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "sample_already_decided")

    session_id = await open_room(client, host, [])
    added = await client.post(
        f"/api/v1/mcn/offers/{offer['id']}/showcase",
        headers=host.headers,
        json={"session_id": session_id, "live_price_cents": 8800},
    )
    assert added.status_code == 201, added.text
    assert added.json()["product_id"] == listing.product_id
    not_mine = await client.post(
        f"/api/v1/mcn/offers/{offer['id']}/showcase",
        headers=other_host.headers,
        json={"session_id": session_id},
    )
    assert not_mine.status_code == 403
    showcase = await client.get(f"/api/v1/live-sessions/{session_id}/showcase")
    assert [item["product_id"] for item in showcase.json()["items"]] == [listing.product_id]


async def test_offers_page_by_cursor_in_every_sort(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    host = await sign_up(client, "host")
    for number in range(11):
        listing = await create_listing(
            client, merchant=merchant, price_cents=1000 + 100 * (number % 3)
        )
        await create_offer(client, merchant, listing.product_id, commission_bp=500 + number % 4)
    for sort in ("newest", "commission", "sales", "price"):
        whole = await client.get(
            "/api/v1/mcn/offers", headers=host.headers, params={"sort": sort, "limit": 100}
        )
        expected = [offer["id"] for offer in whole.json()["items"]]
        assert len(expected) == 11
        assert whole.json()["next_cursor"] is None
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"sort": sort, "limit": 3}
            if cursor is not None:
                params["cursor"] = cursor
            page = await client.get("/api/v1/mcn/offers", headers=host.headers, params=params)
            assert page.status_code == 200, page.text
            seen += [offer["id"] for offer in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, sort
