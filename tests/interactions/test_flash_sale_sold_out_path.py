"""After a sale is known sold out, a click costs no database work — keyed or not —
unless its key won before: that retry still gets its order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from livecommerce.kit.runtime import Runtime
from tests.interactions.helpers import buy, launch_sale
from tests.orders.shop import buyer_with_address, create_listing, open_stage


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the app's engines (writers' and readers') run inside the block."""
    seen: list[str] = []

    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engines = [engine.sync_engine for engine in runtime.db.engines]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", _record)


async def test_a_known_sold_out_answers_without_the_database(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    sale = await launch_sale(client, stage, listing, units=1)
    winner, _ = await buyer_with_address(client, "赢家")
    late, _ = await buyer_with_address(client, "晚到")
    order = (await buy(client, winner, sale["id"], key="win-1")).json()
    refused = await buy(client, late, sale["id"], key="late-1", expect=409)  # finds it sold out
    assert refused.json()["code"] == "sold_out"

    with statements(runtime) as keyed:
        again = await buy(client, late, sale["id"], key="late-2", expect=409)
    assert again.json()["code"] == "sold_out"
    assert keyed == []
    with statements(runtime) as unkeyed:
        plain = await buy(client, late, sale["id"], expect=409)
    assert plain.json()["code"] == "sold_out"
    assert unkeyed == []

    # The click that won, sent again: it may hold an order, so it is looked up.
    with statements(runtime) as retried:
        retry = await buy(client, winner, sale["id"], key="win-1", expect=200)
    assert retry.json()["id"] == order["id"]
    assert retried != []
