"""`livecommerce import userbehavior FILE`: history in the Taobao UserBehavior format.

The file is streamed and written in batches, each in one transaction (a batch is stored
whole or not at all). Users, products and categories are created once, keyed by their
external ids (`external_refs`, each batch's ids resolved in a few set-based statements), and
an action already stored is skipped, so importing the same file again changes nothing.
Malformed lines are counted, with their line numbers.

Profiles are folded once, after the last batch, from the actions this import stored (read
back user by user, in file order within equal times): exactly what folding the same actions
through `profile_service.do_apply` in one call gives, and one read and one write per person
instead of one per batch the person appears in. Memory stays bounded: the import keeps only
the id ranges of the actions it stored, and folds a bounded number of people at a time.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import Database
from livecommerce.kit.ids import new_id
from livecommerce.profiles.repository import profiles_repository
from livecommerce.profiles.service import ProductFact, profile_service
from livecommerce.profiles.userbehavior import Malformed, Row, read_rows

SOURCE = "userbehavior"
BATCH_ROWS = 20_000
FOLD_USERS = 2_000  # people folded into profiles per unit of work after the import
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


class IdRuns:
    """The ids of the actions an import stored, as sorted runs of consecutive ids (a
    batch's ids are mostly consecutive, so this stays small however long the file)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []  # inclusive

    def add(self, ids: list[int]) -> None:
        runs: list[list[int]] = []
        for value in sorted(ids):
            if runs and value == runs[-1][1] + 1:
                runs[-1][1] = value
            else:
                runs.append([value, value])
        if runs and self.ends and runs[0][0] <= self.ends[-1]:
            # Interleaved with earlier ids (another writer's sequence): merge in order.
            merged = sorted([*zip(self.starts, self.ends, strict=True), *map(tuple, runs)])
            self.starts, self.ends = [], []
            runs = [list(run) for run in merged]
        for start, end in runs:
            if self.ends and start == self.ends[-1] + 1:
                self.ends[-1] = end
            else:
                self.starts.append(start)
                self.ends.append(end)

    def __contains__(self, value: int) -> bool:
        at = bisect_right(self.starts, value)
        return bool(at) and value <= self.ends[at - 1]

    @property
    def bounds(self) -> tuple[int, int] | None:
        return (self.starts[0], self.ends[-1]) if self.starts else None


async def _store_batch(
    db: Database, batch: list[Row], merchant_id: str, report: ImportReport, stored_ids: IdRuns
) -> None:
    async with db.transaction() as session:
        await profiles_repository.prepare_bulk_writes(session)
        now = utcnow()
        user_ids = sorted({row.user for row in batch})
        users = await profiles_repository.refs(session, SOURCE, "user", user_ids)
        new_users = [external for external in user_ids if external not in users]
        users.update({external: new_id() for external in new_users})
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
        items.update({external: new_id() for external in new_items})
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
        actions = []
        # Stored person by person (each person's actions in time order, file order on equal
        # times): the indexes are written in key order, and ids keep the file's order of ties.
        for row in sorted(batch, key=lambda row: (users[row.user], row.ts)):
            key = (row.user, row.item, row.action, row.ts)
            if key in seen:
                continue
            seen.add(key)
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
        stored_ids.add(stored)
        report.rows += len(batch)
        report.stored += len(stored)
        report.already_stored += len(batch) - len(stored)
        report.users_created += len(new_users)
        report.products_created += len(new_items)
        report.categories_created += len(new_categories)
        report.batches += 1


async def _fold_profiles(db: Database, stored_ids: IdRuns, report: ImportReport) -> None:
    """Fold the actions this import stored into their people's profiles, a bounded number
    of people per unit of work, each person's actions in time order (file order on ties)."""
    bounds = stored_ids.bounds
    if bounds is None:
        return
    after = ""
    while True:
        async with db.transaction() as session:
            people = await profiles_repository.users_with_actions(
                session, bounds, after, FOLD_USERS
            )
            if not people:
                return
            facts = [
                ProductFact(user_id, product_id, category, action, at)
                for action_id, user_id, product_id, category, action, at in (
                    await profiles_repository.actions_of(session, people, bounds)
                )
                if action_id in stored_ids
            ]
            await profile_service.do_apply(session, facts)
            report.profiles_folded += len({fact.user_id for fact in facts})
            after = people[-1]


async def import_userbehavior(
    db: Database, path: Path, batch_rows: int = BATCH_ROWS
) -> ImportReport:
    report = ImportReport()
    started = time.perf_counter()
    merchant_id = await _merchant(db)
    stored_ids = IdRuns()
    for batch in _batches(read_rows(path, report.malformed), batch_rows):
        await _store_batch(db, batch, merchant_id, report, stored_ids)
    folding = time.perf_counter()
    await _fold_profiles(db, stored_ids, report)
    report.fold_seconds = time.perf_counter() - folding
    report.seconds = time.perf_counter() - started
    return report
