"""`livecommerce import userbehavior FILE`: history in the Taobao UserBehavior format.

The file is streamed and written in batches, several batches per transaction (a batch is
stored whole or not at all). Users, products and categories are created once, keyed by their
external ids (`external_refs`, each batch's ids resolved in a few set-based statements; new
ones get ids that grow with time, so their index entries append), and an action already
stored is skipped, so importing the same file again changes nothing. Malformed lines are
counted, with their line numbers.

On PostgreSQL a batch is stored set by set: its rows are copied (COPY) into temporary
staging tables, and a few `INSERT … SELECT … ON CONFLICT DO NOTHING` statements create the
refs, people and products that are new and the actions, resolved through the refs in a
join. SQLite stores the same rows statement by statement (`_store_batch`).

Profiles are folded once, after the last batch, from what the batches stored while they were
in memory: each stored action is kept as a few numbers (person, category, behaviour, second,
line: 33 bytes), then sorted by person, time and line and folded through
`profile_service.do_apply`, a bounded number of people per unit of work. That is exactly
what folding the same stored actions in the order they were stored gives (ties in time keep
the file's order), with one read and one write per person and no stored action read back.
Memory grows with the actions stored (33 bytes each), not with the file's text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import Database
from livecommerce.kit.ids import new_id, ordered_id, ordered_ids
from livecommerce.profiles.repository import StagedBatch, profiles_repository
from livecommerce.profiles.service import ProductFact, profile_service
from livecommerce.profiles.userbehavior import ACTIONS, Malformed, Row, read_rows

SOURCE = "userbehavior"
BATCH_ROWS = 20_000
TRANSACTION_ROWS = 200_000  # rows stored per unit of work (whole batches)
FOLD_USERS = 10_000  # people folded into profiles per unit of work after the import
MERCHANT_KEY = "merchant"


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    already_stored: int = 0
    users_created: int = 0
    products_created: int = 0
    categories_created: int = 0
    batches: int = 0
    profiles_folded: int = 0
    seconds: float = 0.0
    fold_seconds: float = 0.0
    malformed: Malformed = field(default_factory=Malformed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "stored": self.stored,
            "already_stored": self.already_stored,
            "users_created": self.users_created,
            "products_created": self.products_created,
            "categories_created": self.categories_created,
            "batches": self.batches,
            "profiles_folded": self.profiles_folded,
            "malformed": self.malformed.count,
            "malformed_lines": self.malformed.lines,
            "malformed_reasons": self.malformed.reasons,
            "seconds": round(self.seconds, 3),
            "fold_seconds": round(self.fold_seconds, 3),
            "rows_per_s": round(self.rows / self.seconds) if self.seconds else None,
        }


def category_name(external_id: str) -> str:
    return f"ub-{external_id}"


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


async def _merchant(db: Database) -> str:
    async with db.transaction() as session:
        found = await profiles_repository.refs(session, SOURCE, MERCHANT_KEY, ["0"])
        if found:
            return found["0"]
        merchant_id = new_id()
        await profiles_repository.add_users(
            session,
            [
                {
                    "id": merchant_id,
                    "email": "merchant@userbehavior.invalid",
                    "display_name": "UserBehavior import",
                    "password_hash": "!",
                    "role": "merchant",
                    "locale": "zh",
                    "is_active": False,
                    "created_at": utcnow(),
                }
            ],
        )
        await profiles_repository.add_refs(
            session,
            [
                {
                    "source": SOURCE,
                    "kind": MERCHANT_KEY,
                    "external_id": "0",
                    "internal_id": merchant_id,
                }
            ],
        )
        return merchant_id


class StoredLog:
    """The actions an import stored, as columns of numbers (what a profile is folded from:
    person, category, behaviour, second; the line keeps the file's order of ties)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.count = 0

    def add(self, rows: list[Row]) -> None:
        if not rows:
            return
        self.parts.append(
            (
                np.fromiter((int(row.user) for row in rows), np.int64, len(rows)),
                np.fromiter((int(row.category) for row in rows), np.int64, len(rows)),
                np.fromiter((ACTIONS.index(row.action) for row in rows), np.int8, len(rows)),
                np.fromiter((row.ts for row in rows), np.int64, len(rows)),
                np.fromiter((row.line for row in rows), np.int64, len(rows)),
            )
        )
        self.count += len(rows)

    def people(self, size: int) -> Iterator[list[tuple[str, list[tuple[str, str, int]]]]]:
        """Groups of at most `size` people (by external id), each person's actions as
        (category, behaviour, second) by time, then line. The columns are released."""
        if not self.parts:
            return
        columns = [np.concatenate([part[n] for part in self.parts]) for n in range(5)]
        self.parts = []
        users, categories, actions, stamps, lines = columns
        order = np.lexsort((lines, stamps, users))
        del lines
        users = users[order]
        categories = categories[order]
        actions = actions[order]
        stamps = stamps[order]
        del order
        starts = np.flatnonzero(np.diff(users)) + 1
        bounds = [0, *starts.tolist(), len(users)]
        for first in range(0, len(bounds) - 1, size):
            last = min(first + size, len(bounds) - 1)
            low, high = bounds[first], bounds[last]
            group_users = users[low:high].tolist()
            group = list(
                zip(
                    categories[low:high].tolist(),
                    actions[low:high].tolist(),
                    stamps[low:high].tolist(),
                    strict=True,
                )
            )
            people: list[tuple[str, list[tuple[str, str, int]]]] = []
            for at in range(first, last):
                begin, end = bounds[at] - low, bounds[at + 1] - low
                people.append(
                    (
                        str(group_users[begin]),
                        [
                            (category_name(str(category)), ACTIONS[action], stamp)
                            for category, action, stamp in group[begin:end]
                        ],
                    )
                )
            yield people


async def _store_batch(
    session: AsyncSession,
    batch: list[Row],
    merchant_id: str,
    report: ImportReport,
    stored_log: StoredLog,
) -> None:
    now = utcnow()
    user_ids = sorted({row.user for row in batch})
    users = await profiles_repository.refs(session, SOURCE, "user", user_ids)
    new_users = [external for external in user_ids if external not in users]
    users.update({external: ordered_id() for external in new_users})
    await profiles_repository.add_users(
        session,
        [
            {
                "id": users[external],
                "email": f"ub-{external}@userbehavior.invalid",
                "display_name": f"ub-{external}",
                "password_hash": "!",  # no password: imported people cannot sign in
                "role": "viewer",
                "locale": "zh",
                "is_active": True,
                "created_at": now,
            }
            for external in new_users
        ],
    )
    category_ids = sorted({row.category for row in batch})
    categories = await profiles_repository.refs(session, SOURCE, "category", category_ids)
    new_categories = [external for external in category_ids if external not in categories]
    item_category: dict[str, str] = {}
    for row in batch:
        item_category.setdefault(row.item, row.category)
    item_ids = sorted(item_category)
    items = await profiles_repository.refs(session, SOURCE, "item", item_ids)
    new_items = [external for external in item_ids if external not in items]
    items.update({external: ordered_id() for external in new_items})
    await profiles_repository.add_products(
        session,
        [
            {
                "id": items[external],
                "merchant_id": merchant_id,
                "title": f"UserBehavior item {external}",
                "description": "",
                "category": category_name(item_category[external]),
                "currency": "CNY",
                "status": "off_sale",
                "created_at": now,
                "updated_at": now,
            }
            for external in new_items
        ],
    )
    await profiles_repository.add_refs(
        session,
        [
            {"source": SOURCE, "kind": "user", "external_id": e, "internal_id": users[e]}
            for e in new_users
        ]
        + [
            {"source": SOURCE, "kind": "item", "external_id": e, "internal_id": items[e]}
            for e in new_items
        ]
        + [
            {
                "source": SOURCE,
                "kind": "category",
                "external_id": e,
                "internal_id": category_name(e),
            }
            for e in new_categories
        ],
    )
    seen: set[tuple[str, str, str, int]] = set()
    kept: list[Row] = []
    actions = []
    # Stored person by person (each person's actions in time order, file order on equal
    # times): the indexes are written in key order, and ids keep the file's order of ties.
    for row in sorted(batch, key=lambda row: (users[row.user], row.ts)):
        key = (row.user, row.item, row.action, row.ts)
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
        actions.append(
            {
                "user_id": users[row.user],
                "product_id": items[row.item],
                "category": category_name(row.category),
                "action": row.action,
                "occurred_at": datetime.fromtimestamp(row.ts, UTC),
            }
        )
    stored = await profiles_repository.add_action_ids(session, actions)
    if len(stored) == len(kept):
        stored_log.add(kept)
    elif stored:  # some were stored before: which ones are new
        keys = await profiles_repository.action_keys(session, stored)
        stored_log.add(
            [
                row
                for row, action in zip(kept, actions, strict=True)
                if (action["user_id"], action["product_id"], row.action, row.ts) in keys
            ]
        )
    report.rows += len(batch)
    report.stored += len(stored)
    report.already_stored += len(batch) - len(stored)
    report.users_created += len(new_users)
    report.products_created += len(new_items)
    report.categories_created += len(new_categories)
    report.batches += 1


def _distinct_actions(batch: list[Row]) -> list[Row]:
    """The batch without repeats of an action (same person, item, behaviour and second):
    the first in the file is the one stored."""
    seen: set[tuple[str, str, str, int]] = set()
    kept: list[Row] = []
    for row in batch:
        key = (row.user, row.item, row.action, row.ts)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


async def _store_batch_staged(
    session: AsyncSession,
    batch: list[Row],
    merchant_id: str,
    report: ImportReport,
    stored_log: StoredLog,
    *,
    analyze_refs: bool,
) -> None:
    """The same as `_store_batch`, set by set (PostgreSQL): the batch is copied into
    staging tables and stored in a few statements, whatever its size. Every external id
    of the batch is given a fresh id (in the order `_store_batch` gives them); only those
    whose ref is new are used."""
    item_category: dict[str, str] = {}
    for row in batch:
        item_category.setdefault(row.item, row.category)
    kept = _distinct_actions(batch)
    people = sorted({row.user for row in batch})
    items = sorted(item_category)
    ids = ordered_ids(len(people) + len(items))
    staged = StagedBatch(
        source=SOURCE,
        merchant_id=merchant_id,
        now=utcnow(),
        people=list(zip(people, ids, strict=False)),
        items=[
            (external, internal, item_category[external])
            for external, internal in zip(items, ids[len(people) :], strict=True)
        ],
        categories=sorted({row.category for row in batch}),
        actions=[(row.user, row.item, row.category, row.action, row.ts, row.line) for row in kept],
    )
    counts = await profiles_repository.store_staged(session, staged, analyze_refs=analyze_refs)
    if len(counts.stored_lines) == len(kept):
        stored_log.add(kept)
    elif counts.stored_lines:  # some were stored before: only the new ones are folded
        lines = set(counts.stored_lines)
        stored_log.add([row for row in kept if row.line in lines])
    report.rows += len(batch)
    report.stored += len(counts.stored_lines)
    report.already_stored += len(batch) - len(counts.stored_lines)
    report.users_created += counts.users
    report.products_created += counts.products
    report.categories_created += counts.categories
    report.batches += 1


async def _fold_profiles(db: Database, stored_log: StoredLog, report: ImportReport) -> None:
    """Fold the actions this import stored into their people's profiles, a bounded number
    of people per unit of work, each person's actions in time order (file order on ties)."""
    for people in stored_log.people(FOLD_USERS):
        async with db.transaction() as session:
            internal = await profiles_repository.refs(
                session, SOURCE, "user", [external for external, _ in people]
            )
            facts = [
                # The fold reads no product: imported rows carry no price.
                ProductFact(internal[external], "", category, action, _moment(stamp))
                for external, actions in people
                for category, action, stamp in actions
            ]
            await profile_service.do_apply(session, facts)
            report.profiles_folded += len(people)


def _moment(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


async def import_userbehavior(
    db: Database, path: Path, batch_rows: int = BATCH_ROWS, *, staged: bool | None = None
) -> ImportReport:
    """Import the file. On PostgreSQL the batches go through staging tables (`staged`,
    the default there); the row by row path is SQLite's, and stores the same rows."""
    if staged is None:
        staged = not db.is_sqlite
    if staged and db.is_sqlite:
        raise ValueError("the staged import needs PostgreSQL")
    report = ImportReport()
    started = time.perf_counter()
    merchant_id = await _merchant(db)
    stored_log = StoredLog()
    per_transaction = max(TRANSACTION_ROWS // batch_rows, 1)
    batches = _batches(read_rows(path, report.malformed), batch_rows)
    more = True
    while more:
        async with db.transaction() as session:
            await profiles_repository.prepare_bulk_writes(session)
            if report.batches:  # the tables have grown since the planner last looked
                await profiles_repository.refresh_statistics(session)
            if staged:
                await profiles_repository.create_staging(session)
            for _ in range(per_transaction):
                batch = next(batches, None)
                if batch is None:
                    more = False
                    await profiles_repository.finish_bulk_writes(session)
                    break
                if staged:
                    # The first batch's refs are what the planner first sees of them.
                    await _store_batch_staged(
                        session,
                        batch,
                        merchant_id,
                        report,
                        stored_log,
                        analyze_refs=report.batches == 0,
                    )
                else:
                    await _store_batch(session, batch, merchant_id, report, stored_log)
    folding = time.perf_counter()
    await _fold_profiles(db, stored_log, report)
    report.fold_seconds = time.perf_counter() - folding
    report.seconds = time.perf_counter() - started
    return report
