"""`livecommerce import userbehavior`: batches, external ids, malformed lines, idempotence."""

from __future__ import annotations

import inspect
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from livecommerce.bench.recommend import generate
from livecommerce.kit.runtime import Runtime
from livecommerce.models import ExternalRef, Product, ProductAction, User, UserProfile
from livecommerce.profiles.importer import BATCH_ROWS, import_userbehavior
from livecommerce.profiles.repository import profiles_repository
from livecommerce.profiles.scoring import MAX_INTERESTS
from livecommerce.profiles.service import PROFILE_COLUMNS, ProductFact, profile_service
from livecommerce.profiles.userbehavior import Malformed, _parse_fields, parse_line, read_rows

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


def _snapshot(profiles: list[UserProfile]) -> dict[str, tuple[object, ...]]:
    return {
        profile.user_id: tuple(
            getattr(profile, column) for column in PROFILE_COLUMNS if column != "updated_at"
        )
        for profile in profiles
    }


async def _profiles(runtime: Runtime) -> dict[str, tuple[object, ...]]:
    async with runtime.db.transaction() as session:
        return _snapshot(list(await session.scalars(select(UserProfile))))


async def test_the_import_folds_profiles_exactly_as_the_incremental_path_does(
    runtime: Runtime, tmp_path: Path
) -> None:
    # Generated sessions, shuffled so that file order is not time order, with repeated
    # seconds (ties keep file order), a late buy, more than MAX_INTERESTS categories.
    generate(tmp_path / "gen.csv", 3_000, 120, 2_500)
    lines = (tmp_path / "gen.csv").read_text().splitlines()
    random.Random(4).shuffle(lines)
    lines += ["7,1,1,pv,1511600000", "7,2,2,pv,1511600000", "7,3,2,buy,1511500000"]
    lines += [f"9,{100 + n},{n},pv,{1511600000 + n}" for n in range(MAX_INTERESTS + 5)]
    data = tmp_path / "ub.csv"
    data.write_text("\n".join(lines) + "\n")

    report = (await import_userbehavior(runtime.db, data, batch_rows=400)).as_dict()
    assert report["batches"] == 8
    imported = await _profiles(runtime)
    assert report["profiles_folded"] == len(imported)

    # The incremental path: the same stored actions, in the order they were stored, folded
    # by the service the app calls as events arrive.
    async with runtime.db.transaction() as session:
        await session.execute(delete(UserProfile))
        stored = await session.execute(
            select(*ProductAction.fact_columns()).order_by(ProductAction.id)
        )
        facts = [ProductFact(*row) for row in stored]
        assert len(facts) == report["stored"]
        await profile_service.do_apply(session, facts)
    assert await _profiles(runtime) == imported
    nine = await _nine(runtime)
    assert len(nine.interests) == MAX_INTERESTS

    # Importing the same file again (other batches) changes no profile.
    again = (await import_userbehavior(runtime.db, data, batch_rows=1_000)).as_dict()
    assert (again["stored"], again["profiles_folded"]) == (0, 0)
    assert await _profiles(runtime) == imported


async def _nine(runtime: Runtime) -> UserProfile:
    async with runtime.db.transaction() as session:
        users = await profile_service.internal_ids(session, "userbehavior", "user", ["9"])
        found = await session.get(UserProfile, users["9"])
        assert found is not None
        return found


async def test_a_profile_that_exists_before_the_import_is_folded_on(
    runtime: Runtime, tmp_path: Path
) -> None:
    data = tmp_path / "ub.csv"
    data.write_text("1,100,7,pv,1511544070\n")
    await import_userbehavior(runtime.db, data)
    data.write_text("1,101,8,buy,1511630470\n1,100,7,cart,1511544000\n")
    report = (await import_userbehavior(runtime.db, data)).as_dict()
    assert (report["stored"], report["profiles_folded"]) == (2, 1)
    async with runtime.db.transaction() as session:
        users = await profile_service.internal_ids(session, "userbehavior", "user", ["1"])
        profile = await session.get(UserProfile, users["1"])
        assert profile is not None
        day = 0.5 ** (1 / 14)
        # The first import's view, then (second import) a cart 70 s earlier, a buy a day on.
        view_then_cart = round(1.0 + 3.0 * 0.5 ** (70 / 86400 / 14), 6)
        assert profile.interests == {"ub-8": 4.0, "ub-7": round(view_then_cart * day, 6)}
        assert (profile.events_count, profile.orders_count) == (3, 1)


async def _read_back_fold(runtime: Runtime, bounds: tuple[int, int]) -> None:
    """Fold the stored actions with ids in `bounds` read back person by person (each
    person's actions by time, then id), a few people per unit of work."""
    after = ""
    while True:
        async with runtime.db.transaction() as session:
            people = await profiles_repository.users_with_actions(session, bounds, after, 7)
            if not people:
                return
            rows = await profiles_repository.actions_of(session, people, bounds)
            await profile_service.do_apply(session, [ProductFact(*row[1:]) for row in rows])
            after = people[-1]


async def _largest_action_id(runtime: Runtime) -> int:
    async with runtime.db.transaction() as session:
        return int((await session.execute(select(func.max(ProductAction.id)))).scalar_one() or 0)


async def test_the_streamed_fold_equals_folding_the_stored_actions_read_back(
    runtime: Runtime, tmp_path: Path
) -> None:
    generate(tmp_path / "gen.csv", 2_000, 60, 400)
    lines = (tmp_path / "gen.csv").read_text().splitlines()
    random.Random(8).shuffle(lines)
    # Duplicates in later batches (one with another category: the first stored wins), ties.
    lines += lines[:50] + ["5,1,99,pv,1511600000", "5,1,98,pv,1511600000", "5,2,98,pv,1511600000"]
    first = tmp_path / "first.csv"
    first.write_text("\n".join(lines[::3]) + "\n")  # part of it stored by an earlier import
    whole = tmp_path / "ub.csv"
    whole.write_text("\n".join(lines) + "\n")

    await import_userbehavior(runtime.db, first, batch_rows=97)
    async with runtime.db.transaction() as session:
        earlier = [
            {column: getattr(profile, column) for column in PROFILE_COLUMNS}
            for profile in await session.scalars(select(UserProfile))
        ]
    before = await _largest_action_id(runtime)
    stored_before = await count(runtime, ProductAction)
    report = (await import_userbehavior(runtime.db, whole, batch_rows=113)).as_dict()
    assert report["already_stored"] >= len(lines[::3]) + 50
    assert report["stored"] == await count(runtime, ProductAction) - stored_before
    streamed = await _profiles(runtime)

    # The same actions read back and folded onto the profiles of the earlier import.
    async with runtime.db.transaction() as session:
        await session.execute(delete(UserProfile))
        await profiles_repository.insert_profiles(session, earlier)
    await _read_back_fold(runtime, (before + 1, await _largest_action_id(runtime)))
    assert await _profiles(runtime) == streamed
    assert sum(int(str(profile[-1])) for profile in streamed.values()) == await count(
        runtime, ProductAction
    )


def test_the_command_imports_in_the_batches_the_benchmark_measures() -> None:
    from livecommerce import cli

    parameter = inspect.signature(cli.import_userbehavior).parameters["batch_rows"]
    assert parameter.default == BATCH_ROWS == 20_000


@pytest.mark.parametrize(
    "line",
    [
        "1,2,3,pv,1511544070",
        " 01 , 2,3 , buy ,1511544070\r\n",
        "1,2,3,pv,-5",
        "1,2,3,pv,4102444800",
        "1,2,3,PV,1511544070",
        "4611686018427387904,2,3,pv,1511544070",
        "1,2,3,pv,1511544070,",
        "1,2,3,fav,1511544070\u3000",
        "\u0661,2,3,pv,1511544070",
        "1,2,3,cart,",
    ],
)
def test_the_fast_parse_agrees_with_the_field_checks(line: str) -> None:
    assert parse_line(4, line) == _parse_fields(4, line)


_ID = st.one_of(
    st.integers(0, 2**64).map(str),
    st.integers(0, 10**6).map(lambda n: f"0{n}"),
    st.sampled_from(["0", "00", "", " 7", "7 ", "\u0661", "1e3", "-1", "4611686018427387904"]),
)
_ACTION = st.sampled_from(["pv", "fav", "cart", "buy", "PV", "", " buy ", "pv\t", "b"])
_STAMP = st.one_of(
    st.integers(0, 5_000_000_000).map(str),
    st.sampled_from(["0", "-5", "", "4102444799", "4102444800", "001511544070", "15115440701"]),
)
_LINE = st.one_of(
    st.tuples(_ID, _ID, _ID, _ACTION, _STAMP).map(",".join),
    st.lists(st.one_of(_ID, _ACTION, _STAMP), min_size=0, max_size=7).map(",".join),
    st.text(alphabet="0123456789 \t,\u3000pvbuy", max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=12),
    ending=st.sampled_from(["\n", "\r\n", " \n"]),
    broken=st.booleans(),
)
def test_reading_a_file_takes_each_line_as_parse_line_does(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], ending: str, broken: bool
) -> None:
    """The reader's fast path for common lines gives exactly what ``parse_line`` gives
    (the same rows, the same malformed lines and reasons), whatever the lines hold."""
    path = tmp_path_factory.mktemp("ub") / "lines.csv"
    data = b"".join(line.encode() + ending.encode() for line in lines)
    if broken:
        data += b"1,2,\xff,pv,1511544070\n"
    path.write_bytes(data)
    malformed = Malformed()
    read = list(read_rows(path, malformed))
    expected = Malformed()
    rows = []
    for number, line in enumerate(lines, start=1):
        text = line + ending
        if not text.strip():
            continue
        parsed = parse_line(number, text)
        if isinstance(parsed, str):
            expected.add(number, parsed)
        else:
            rows.append(parsed)
    if broken:
        expected.add(len(lines) + 1, "encoding")
    assert read == rows
    assert (malformed.count, malformed.lines, malformed.reasons) == (
        expected.count,
        expected.lines,
        expected.reasons,
    )


async def test_an_imported_action_is_the_same_row_the_app_would_store(
    runtime: Runtime, tmp_path: Path
) -> None:
    data = tmp_path / "ub.csv"
    data.write_text("1,100,7,buy,1511544070\n")
    await import_userbehavior(runtime.db, data)
    async with runtime.db.transaction() as session:
        stored = (await session.execute(select(ProductAction))).scalar_one()
        # The app's insert of the same action (same person, product, behaviour, second)
        # meets the imported row: nothing new.
        again = await profiles_repository.add_actions(
            session,
            [
                {
                    "user_id": stored.user_id,
                    "product_id": stored.product_id,
                    "category": stored.category,
                    "action": "buy",
                    "occurred_at": datetime.fromtimestamp(1511544070, UTC),
                }
            ],
        )
        assert again == []
        assert stored.occurred_at == datetime.fromtimestamp(1511544070, UTC)


async def _stored_state(runtime: Runtime) -> dict[str, object]:
    """Everything an import stores, with the imported people's and products' ids replaced
    by their external ids (the ids themselves are fresh each time), in id order where the
    order of ids is what the import decided."""
    async with runtime.db.transaction() as session:
        refs = list(
            await session.execute(
                select(
                    ExternalRef.source,
                    ExternalRef.kind,
                    ExternalRef.external_id,
                    ExternalRef.internal_id,
                )
            )
        )
        external = {internal: f"{kind}:{ext}" for _, kind, ext, internal in refs}
        users = await session.execute(
            select(
                User.id,
                User.email,
                User.display_name,
                User.password_hash,
                User.role,
                User.locale,
                User.is_active,
            ).order_by(User.id)
        )
        products = await session.execute(
            select(
                Product.id,
                Product.merchant_id,
                Product.title,
                Product.description,
                Product.category,
                Product.currency,
                Product.status,
            ).order_by(Product.id)
        )
        actions = await session.execute(
            select(*ProductAction.fact_columns()).order_by(ProductAction.id)
        )
        profiles = list(await session.scalars(select(UserProfile)))
        return {
            "refs": sorted(
                (source, kind, ext, external.get(internal, internal))
                for source, kind, ext, internal in refs
            ),
            "users": [(external[row[0]], *row[1:]) for row in users],
            "products": [(external[row[0]], external[row[1]], *row[2:]) for row in products],
            "actions": [
                (external[user], external[product], category, action, at)
                for user, product, category, action, at in actions
            ],
            # Without the person's id (first): it is fresh each time.
            "profiles": {
                external[user]: values[1:] for user, values in _snapshot(profiles).items()
            },
        }


async def _forget_imports(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        for model in (ProductAction, UserProfile, Product, ExternalRef, User):
            await session.execute(delete(model))


def _stored_report(report: dict[str, object]) -> dict[str, object]:
    return {
        key: value
        for key, value in report.items()
        if key not in ("seconds", "fold_seconds", "rows_per_s")
    }


async def test_the_staged_import_stores_exactly_what_the_row_by_row_import_stores(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if runtime.db.is_sqlite:
        with pytest.raises(ValueError, match="PostgreSQL"):
            await import_userbehavior(runtime.db, tmp_path / "none.csv", staged=True)
        return
    # Several units of work of several batches; people and items seen again in later
    # batches and later imports; an item whose first category differs between batches;
    # repeats of an action (one with another category: the first in the file wins), ties
    # in time, malformed lines between the rows.
    generate(tmp_path / "gen.csv", 2_500, 80, 500)
    lines = (tmp_path / "gen.csv").read_text().splitlines()
    random.Random(12).shuffle(lines)
    lines += lines[:60] + ["5,1,99,pv,1511600000", "5,1,98,pv,1511600000"]
    lines += ["5,2,98,pv,1511600000", "6,2,97,buy,1511600000", "bad,line", "6,3,1,pv,"]
    lines.insert(700, "7,8,9,nope,1511600000")
    first = tmp_path / "first.csv"
    first.write_text("\n".join(lines[::4]) + "\n")
    whole = tmp_path / "ub.csv"
    whole.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr("livecommerce.profiles.importer.TRANSACTION_ROWS", 3 * 131)

    states = []
    for staged in (False, True):
        reports = [
            _stored_report(
                (
                    await import_userbehavior(runtime.db, data, batch_rows=131, staged=staged)
                ).as_dict()
            )
            for data in (first, whole, whole)
        ]
        states.append((reports, await _stored_state(runtime)))
        await _forget_imports(runtime)
    (row_reports, row_state), (staged_reports, staged_state) = states
    assert row_reports[1]["already_stored"] >= len(lines[::4]) + 60
    assert row_reports[2]["stored"] == 0
    assert staged_reports == row_reports
    assert staged_state == row_state
