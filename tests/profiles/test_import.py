"""`livecommerce import userbehavior`: batches, external ids, malformed lines, idempotence."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from livecommerce.kit.runtime import Runtime
from livecommerce.models import ExternalRef, Product, ProductAction, User, UserProfile
from livecommerce.profiles.importer import import_userbehavior
from livecommerce.profiles.service import profile_service

ROWS = """\
1,100,7,pv,1511544070
1,100,7,pv,1511544070
1,101,7,cart,1511544100
2,100,7,buy,1511544200
this is not a line
2,102,8,pv,1511544300
3,103,9,wave,1511544400
3,104,9,pv,
3,104,9,fav,1511544500
"""


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_import_creates_people_goods_and_actions_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    data = tmp_path / "ub.csv"
    data.write_text(ROWS)
    report = (await import_userbehavior(runtime.db, data, batch_rows=3)).as_dict()
    assert {key: report[key] for key in ("rows", "stored", "already_stored", "batches")} == {
        "rows": 6,
        "stored": 5,  # the exact duplicate on line 2 is one action
        "already_stored": 1,
        "batches": 2,
    }
    assert (report["users_created"], report["products_created"], report["categories_created"]) == (
        3,
        4,  # item 103 was only on a malformed line
        3,
    )
    assert report["malformed"] == 3
    assert report["malformed_lines"] == [5, 7, 8]
    assert report["malformed_reasons"] == {"fields": 1, "behavior_type": 1, "timestamp": 1}
    # 3 people + the import's merchant; 4 products; refs for all of them and 3 categories.
    assert await count(runtime, User) == 4
    assert await count(runtime, Product) == 4
    assert await count(runtime, ProductAction) == 5
    assert await count(runtime, ExternalRef) == 3 + 4 + 3 + 1
    assert await count(runtime, UserProfile) == 3

    again = (await import_userbehavior(runtime.db, data, batch_rows=2)).as_dict()
    assert (again["stored"], again["already_stored"], again["users_created"]) == (0, 6, 0)
    assert (again["products_created"], again["categories_created"]) == (0, 0)
    assert await count(runtime, User) == 4
    assert await count(runtime, ProductAction) == 5

    async with runtime.db.transaction() as session:
        users = await profile_service.internal_ids(session, "userbehavior", "user", ["1", "2"])
        first = await session.get(UserProfile, users["1"])
        assert first is not None
        # A view (1) and an add to cart (3) 30 s later in category 7, read at the import.
        assert list(first.interests) == ["ub-7"]
        assert first.interests["ub-7"] == round(1.0 * 0.5 ** (30 / 86400 / 14) + 3.0, 6)
        assert first.events_count == 2  # re-importing added nothing
        second = await session.get(UserProfile, users["2"])
        assert second is not None
        assert (second.orders_count, second.spent_cents) == (1, 0)
        titles = await session.scalars(select(Product.category).order_by(Product.category))
        assert sorted(set(titles)) == ["ub-7", "ub-8", "ub-9"]


async def test_an_empty_or_all_malformed_file_imports_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    data = tmp_path / "bad.csv"
    data.write_bytes(b"\xff\xfe,1,2\n\n1,2,3,pv,99999999999\n")
    report = (await import_userbehavior(runtime.db, data)).as_dict()
    assert (report["rows"], report["malformed"], report["malformed_lines"]) == (0, 2, [1, 3])
    assert await count(runtime, ProductAction) == 0
