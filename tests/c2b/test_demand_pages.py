"""Viewers may propose any variant, so a product's demand pages by cursor: most votes
first, then the variant's name, the same rows page by page as in one big page."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import insert

from livecommerce.kit.clock import utcnow
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import Runtime
from livecommerce.models import DemandVote
from tests.factories import sign_up
from tests.orders.shop import create_listing


async def test_demand_walks_in_pages_with_ties_on_votes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client)
    viewers = [await sign_up(client) for _ in range(3)]
    # Variant n gets n % 3 + 1 votes: many ties, broken by the variant's name.
    variants = [f"款式{number:02d}" for number in range(11)]
    at = utcnow() - timedelta(minutes=5)
    rows = [
        {
            "id": new_id(),
            "product_id": listing.product_id,
            "user_id": viewers[voter].id,
            "variant": variant,
            "proposed": True,
            "price_willing_cents": None,
            "session_id": None,
            "created_at": at,
        }
        for number, variant in enumerate(variants)
        for voter in range(number % 3 + 1)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(DemandVote), rows)
    url = f"/api/v1/products/{listing.product_id}/demand"
    whole = (await client.get(url, params={"limit": 100})).json()
    expected = sorted(variants, key=lambda v: (-(variants.index(v) % 3 + 1), v))
    assert [row["variant"] for row in whole["variants"]] == expected
    assert whole["next_cursor"] is None
    walked: list[list[str]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 4, **({} if cursor is None else {"cursor": cursor})}
        page = (await client.get(url, params=params)).json()
        walked.append([row["variant"] for row in page["variants"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(page) for page in walked] == [4, 4, 3]
    assert [variant for page in walked for variant in page] == expected
    bad = await client.get(url, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad_cursor"
