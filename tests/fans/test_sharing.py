"""Share links with an attribution code: visits counted once per visitor (not the
sharer's own), ``fans.share_visited`` published on every visit, and the orders of the
people who came through a link credited to it, each buyer once."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.fans.events import ShareVisited
from livecommerce.kit.events import subscribe, unsubscribe
from livecommerce.kit.runtime import Runtime
from tests.factories import sign_up
from tests.orders.shop import add_address, create_listing, open_stage, pay, place_order


@pytest.fixture
def heard() -> Iterator[list[ShareVisited]]:
    events: list[ShareVisited] = []

    async def hear(session: AsyncSession, event: ShareVisited) -> None:
        events.append(event)

    subscribe(ShareVisited, "test.share_heard", in_unit=True)(hear)
    yield events
    unsubscribe("test.share_heard")


async def test_a_share_link_counts_visitors_once_and_credits_their_orders(
    client: httpx.AsyncClient, runtime: Runtime, heard: list[ShareVisited]
) -> None:
    listing = await create_listing(client, price_cents=2500)
    stage = await open_stage(client, [listing])
    sharer = await sign_up(client, name="分享达人")
    target = {"room_id": stage.room_id, "session_id": stage.session_id}
    created = await client.post("/api/v1/share-links", json=target, headers=sharer.headers)
    assert created.status_code == 201, created.text
    link = created.json()
    code = link["code"]
    assert len(code) == 8
    assert code.isalnum()
    public_url = runtime.settings.public_url.rstrip("/")
    assert (link["url"], link["path"], link["sharer_id"]) == (
        f"{public_url}/s/{code}",
        f"/live/{stage.session_id}",
        sharer.id,
    )
    again = await client.post("/api/v1/share-links", json=target, headers=sharer.headers)
    assert again.json()["code"] == code  # one link per sharer and target
    product_link = await client.post(
        "/api/v1/share-links",
        json={"room_id": stage.room_id, "product_id": listing.product_id},
        headers=sharer.headers,
    )
    assert product_link.json()["path"] == f"/products/{listing.product_id}"
    assert product_link.json()["code"] != code

    # A browser without a visitor id gets one; coming back counts nothing more.
    first = await client.get(f"/s/{code}", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (
        302,
        f"/live/{stage.session_id}?share={code}",
    )
    visitor = first.cookies["lc_visitor"]
    back = await client.get(f"/s/{code}", follow_redirects=False)  # the client kept it
    assert (back.status_code, back.cookies.get("lc_visitor")) == (302, None)
    client.cookies.clear()
    buyer = await sign_up(client, name="买家")
    other = await sign_up(client, name="自己来的")  # buys without coming through the link
    for account in (buyer, buyer, sharer):  # the sharer's own click is no visit
        seen = await client.get(f"/s/{code}", headers=account.headers, follow_redirects=False)
        assert seen.status_code == 302
    missing = await client.get("/s/nosuchcd", follow_redirects=False)
    assert (missing.status_code, missing.json()["code"]) == (404, "share_link_not_found")
    assert [(e.code, e.room_id, e.session_id, e.user_id, e.visitor_id, e.first) for e in heard] == [
        (code, stage.room_id, stage.session_id, None, visitor, True),
        (code, stage.room_id, stage.session_id, None, visitor, False),
        (code, stage.room_id, stage.session_id, buyer.id, None, True),
        (code, stage.room_id, stage.session_id, buyer.id, None, False),
        (code, stage.room_id, stage.session_id, sharer.id, None, False),
    ]

    for account, times in ((buyer, 2), (other, 1)):
        address = await add_address(client, account)
        for _ in range(times):
            order = await place_order(
                client, account, address["id"], listing, session_id=stage.session_id
            )
            await pay(client, account, order["id"])

    mine = await client.get("/api/v1/share-links", headers=sharer.headers)
    assert mine.status_code == 200
    counts = {
        row["code"]: (row["visitors"], row["buyers"], row["orders"], row["order_cents"])
        for row in mine.json()["items"]
    }
    assert counts == {code: (2, 1, 2, 5000), product_link.json()["code"]: (0, 0, 0, 0)}

    host_view = await client.get(
        f"/api/v1/rooms/{stage.room_id}/share-links", headers=stage.host.headers
    )
    assert host_view.status_code == 200
    totals = host_view.json()
    assert (totals["links"], totals["visitors"], totals["buyers"], totals["order_cents"]) == (
        2,
        2,
        1,
        5000,
    )
    assert len(totals["items"]) == 2
    refused = await client.get(f"/api/v1/rooms/{stage.room_id}/share-links", headers=sharer.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_room_host")
