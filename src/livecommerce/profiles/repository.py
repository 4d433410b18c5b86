"""Queries of profiles: imported ids, product actions, profiles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import (
    ExternalRef,
    FanClubMember,
    Product,
    ProductAction,
    RecommendList,
    Sku,
    User,
    UserProfile,
)

CHUNK = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit
REF_CHUNK = 5_000  # external ids per lookup: an import's batch resolves in a few statements


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _table(model: Any) -> Table:
    """The Core table of a model: bulk inserts skip the ORM's per-row bookkeeping."""
    return cast(Table, model.__table__)


def _insert_ignoring(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_table(table)).on_conflict_do_nothing()


BULK_CACHE_KIB = 524_288  # SQLite page cache of a connection writing an import (512 MiB)
DEFAULT_CACHE_KIB = 65_536  # what every connection starts with (kit.db)


def _seconds(at: datetime) -> int:
    return int((at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp())


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """One import batch as the staging tables take it (PostgreSQL)."""

    source: str
    merchant_id: str
    now: datetime
    people: list[tuple[str, str]]  # external id, the id a new person gets
    items: list[tuple[str, str, str]]  # external id, the id a new product gets, category
    categories: list[str]  # external ids
    # person, item, category (external ids), behaviour, Unix second, line: one per action
    actions: list[tuple[str, str, str, str, int, int]]


@dataclass(frozen=True, slots=True)
class StagedCounts:
    users: int
    products: int
    categories: int
    stored_lines: list[int]


_STAGING = (
    "CREATE TEMPORARY TABLE ub_stage_people (external_id text, internal_id text) ON COMMIT DROP",
    "CREATE TEMPORARY TABLE ub_stage_items (external_id text, internal_id text, category text)"
    " ON COMMIT DROP",
    "CREATE TEMPORARY TABLE ub_stage_categories (external_id text) ON COMMIT DROP",
    "CREATE TEMPORARY TABLE ub_stage_actions (user_ext text, item_ext text, category text,"
    " action text, ts bigint, line bigint) ON COMMIT DROP",
)
_TRUNCATE_STAGING = (
    "TRUNCATE ub_stage_people, ub_stage_items, ub_stage_categories, ub_stage_actions"
)
# The refs that were new say which people and products to create (in id order: the ids
# grow with time, so the rows append to their keys).
_NEW_PEOPLE = """
WITH new AS (
    INSERT INTO external_refs (source, kind, external_id, internal_id)
    SELECT CAST(:source AS text), 'user', external_id, internal_id FROM ub_stage_people
    ORDER BY internal_id COLLATE "C"
    ON CONFLICT DO NOTHING
    RETURNING external_id, internal_id
)
INSERT INTO users (id, email, display_name, password_hash, role, locale, is_active, created_at)
SELECT internal_id, 'ub-' || external_id || '@userbehavior.invalid', 'ub-' || external_id,
    '!', 'viewer', 'zh', true, CAST(:now AS timestamptz)
FROM new ORDER BY internal_id COLLATE "C"
"""
_NEW_PRODUCTS = """
WITH new AS (
    INSERT INTO external_refs (source, kind, external_id, internal_id)
    SELECT CAST(:source AS text), 'item', external_id, internal_id FROM ub_stage_items
    ORDER BY internal_id COLLATE "C"
    ON CONFLICT DO NOTHING
    RETURNING external_id, internal_id
)
INSERT INTO products (id, merchant_id, title, description, category, currency, status,
    created_at, updated_at)
SELECT new.internal_id, CAST(:merchant AS text), 'UserBehavior item ' || new.external_id, '',
    'ub-' || staged.category, 'CNY', 'off_sale', CAST(:now AS timestamptz),
    CAST(:now AS timestamptz)
FROM new JOIN ub_stage_items AS staged ON staged.external_id = new.external_id
ORDER BY new.internal_id COLLATE "C"
"""
_NEW_CATEGORIES = """
INSERT INTO external_refs (source, kind, external_id, internal_id)
SELECT CAST(:source AS text), 'category', external_id, 'ub-' || external_id FROM ub_stage_categories
ORDER BY external_id COLLATE "C"
ON CONFLICT DO NOTHING
"""
# Each action resolved through the refs, then inserted in the row by row path's order;
# the lines of those stored (the staged actions are distinct on the unique key).
_NEW_ACTIONS = """
WITH resolved AS MATERIALIZED (
    SELECT person.internal_id AS user_id, item.internal_id AS product_id,
        'ub-' || staged.category AS category, staged.action,
        to_timestamp(staged.ts) AS occurred_at, staged.line
    FROM ub_stage_actions AS staged
    JOIN external_refs AS person ON person.source = :source AND person.kind = 'user'
        AND person.external_id = staged.user_ext
    JOIN external_refs AS item ON item.source = :source AND item.kind = 'item'
        AND item.external_id = staged.item_ext
), stored AS (
    INSERT INTO product_actions (user_id, product_id, category, action, occurred_at)
    SELECT user_id, product_id, category, action, occurred_at FROM resolved
    ORDER BY user_id COLLATE "C", occurred_at, line
    ON CONFLICT DO NOTHING
    RETURNING user_id, product_id, action, occurred_at
)
SELECT resolved.line FROM stored JOIN resolved USING (user_id, product_id, action, occurred_at)
"""


class ProfilesRepository:
    async def prepare_bulk_writes(self, session: AsyncSession) -> None:
        """An import writes millions of index entries: on SQLite give its connection a page
        cache that holds the indexes' hot pages (bounded; the default is 2 MiB)."""
        if session.bind is not None and session.bind.dialect.name == "sqlite":
            await session.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))

    async def refresh_statistics(self, session: AsyncSession) -> None:
        """On PostgreSQL, let the planner see what an import has written so far: with the
        statistics of an empty table it resolves each external id by scanning every ref
        of the kind instead of looking it up in the key."""
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            await session.execute(text("ANALYZE external_refs, product_actions, users, products"))

    async def finish_bulk_writes(self, session: AsyncSession) -> None:
        """The import's connection goes back to the pool with the ordinary page cache."""
        if session.bind is not None and session.bind.dialect.name == "sqlite":
            await session.execute(text(f"PRAGMA cache_size = -{DEFAULT_CACHE_KIB}"))

    async def create_staging(self, session: AsyncSession) -> None:
        """PostgreSQL: the staging tables an import's unit of work copies its batches into
        (temporary, dropped when the unit ends)."""
        for statement in _STAGING:
            await session.execute(text(statement))

    async def store_staged(
        self, session: AsyncSession, batch: StagedBatch, *, analyze_refs: bool
    ) -> StagedCounts:
        """PostgreSQL: store one batch set by set. The batch is copied into the staging
        tables; the external ids not known yet become refs, and their people and products
        are created from the refs that were new; then the actions are resolved through the
        refs and inserted in one statement (person, time, then line: the order the row by
        row path inserts them), skipping those already stored. What comes back is the
        line of each action stored. `analyze_refs` refreshes the refs' statistics first
        (needed while the planner still sees them as the empty table they were)."""
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await session.execute(text(_TRUNCATE_STAGING))
        await driver.copy_records_to_table(
            "ub_stage_people", records=batch.people, columns=("external_id", "internal_id")
        )
        await driver.copy_records_to_table(
            "ub_stage_items",
            records=batch.items,
            columns=("external_id", "internal_id", "category"),
        )
        await driver.copy_records_to_table(
            "ub_stage_categories",
            records=[(category,) for category in batch.categories],
            columns=("external_id",),
        )
        await driver.copy_records_to_table(
            "ub_stage_actions",
            records=batch.actions,
            columns=("user_ext", "item_ext", "category", "action", "ts", "line"),
        )
        values = {"source": batch.source, "merchant": batch.merchant_id, "now": batch.now}
        users = await session.execute(text(_NEW_PEOPLE), values)
        products = await session.execute(text(_NEW_PRODUCTS), values)
        categories = await session.execute(text(_NEW_CATEGORIES), values)
        analyzed = "ub_stage_actions, external_refs" if analyze_refs else "ub_stage_actions"
        await session.execute(text(f"ANALYZE {analyzed}"))
        lines = await session.scalars(text(_NEW_ACTIONS), values)
        return StagedCounts(
            users=int(users.rowcount or 0),  # type: ignore[attr-defined]
            products=int(products.rowcount or 0),  # type: ignore[attr-defined]
            categories=int(categories.rowcount or 0),  # type: ignore[attr-defined]
            stored_lines=list(lines),
        )

    async def refs(
        self, session: AsyncSession, source: str, kind: str, external_ids: Sequence[str]
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        values = list(external_ids)
        for start in range(0, len(values), REF_CHUNK):
            chunk = values[start : start + REF_CHUNK]
            rows = await session.execute(
                select(ExternalRef.external_id, ExternalRef.internal_id).where(
                    ExternalRef.source == source,
                    ExternalRef.kind == kind,
                    ExternalRef.external_id.in_(chunk),
                )
            )
            found.update({external: internal for external, internal in rows})
        return found

    async def add_refs(self, session: AsyncSession, rows: list[dict[str, str]]) -> None:
        if rows:
            await session.execute(insert(_table(ExternalRef)), rows)

    async def internal_to_external(
        self, session: AsyncSession, source: str, kind: str, internal_ids: Sequence[str]
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(internal_ids)):
            rows = await session.execute(
                select(ExternalRef.internal_id, ExternalRef.external_id).where(
                    ExternalRef.source == source,
                    ExternalRef.kind == kind,
                    ExternalRef.internal_id.in_(chunk),
                )
            )
            found.update({internal: external for internal, external in rows})
        return found

    async def add_users(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        # Imported people are plain accounts that cannot sign in (no usable password).
        if rows:
            await session.execute(insert(_table(User)), rows)

    async def add_products(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        if rows:
            await session.execute(insert(_table(Product)), rows)

    async def add_actions(
        self, session: AsyncSession, rows: list[dict[str, Any]]
    ) -> list[tuple[str, str, str, str, datetime]]:
        """Insert the actions not stored yet; return those that were new."""
        if not rows:
            return []
        table = _table(ProductAction).c
        statement = _insert_ignoring(session, ProductAction).returning(
            table.user_id, table.product_id, table.category, table.action, table.occurred_at
        )
        result = await session.execute(statement, rows)
        return [
            (user_id, product_id, category, action, at)
            for user_id, product_id, category, action, at in result
        ]

    async def insert_profiles(self, session: AsyncSession, rows: list[dict[str, Any]]) -> list[str]:
        """Insert whole profiles where none exists yet; the users whose profile was new."""
        if not rows:
            return []
        table = _table(UserProfile).c
        statement = _insert_ignoring(session, UserProfile).returning(table.user_id)
        return [user_id for (user_id,) in await session.execute(statement, rows)]

    async def add_action_ids(self, session: AsyncSession, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the actions not stored yet; the ids of those that were new."""
        if not rows:
            return []
        if session.bind is not None and session.bind.dialect.name == "sqlite":
            return await self._add_action_ids_sqlite(session, rows)
        statement = _insert_ignoring(session, ProductAction).returning(_table(ProductAction).c.id)
        return [action_id for (action_id,) in await session.execute(statement, rows)]

    async def _add_action_ids_sqlite(
        self, session: AsyncSession, rows: list[dict[str, Any]]
    ) -> list[int]:
        """The same on SQLite through the driver's executemany (no per-row statement
        building). The unit of work holds SQLite's write lock (BEGIN IMMEDIATE), so nobody
        else inserts meanwhile and the new rows take the ids after the largest one."""
        largest = select(func.max(ProductAction.id))
        before = (await session.execute(largest)).scalar_one() or 0
        connection = await session.connection()
        columns = _table(ProductAction).c
        dialect = connection.dialect
        processor = columns.occurred_at.type.dialect_impl(dialect).bind_processor(dialect)

        def at(value: datetime) -> Any:  # stored exactly as SQLAlchemy stores it
            return processor(value) if processor is not None else value

        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.executemany(
            "INSERT INTO product_actions (user_id, product_id, category, action, occurred_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (
                    row["user_id"],
                    row["product_id"],
                    row["category"],
                    row["action"],
                    at(row["occurred_at"]),
                )
                for row in rows
            ],
        )
        after = (await session.execute(largest)).scalar_one() or 0
        return list(range(before + 1, after + 1))

    async def action_keys(
        self, session: AsyncSession, ids: Sequence[int]
    ) -> set[tuple[str, str, str, int]]:
        """What identifies each of these stored actions: (user, product, behaviour, Unix
        seconds)."""
        wanted = set(ids)
        if not wanted:
            return set()
        table = _table(ProductAction).c
        rows = await session.execute(
            select(
                table.id, table.user_id, table.product_id, table.action, table.occurred_at
            ).where(table.id.between(min(wanted), max(wanted)))
        )
        return {
            (user_id, product_id, action, _seconds(at))
            for action_id, user_id, product_id, action, at in rows
            if action_id in wanted
        }

    async def users_with_actions(
        self, session: AsyncSession, ids: tuple[int, int], after: str, limit: int
    ) -> list[str]:
        """The next `limit` people (by id, after `after`) with an action whose id is in
        the range."""
        rows = await session.scalars(
            select(ProductAction.user_id)
            .where(
                ProductAction.user_id > after,
                ProductAction.id.between(*ids),
            )
            .group_by(ProductAction.user_id)
            .order_by(ProductAction.user_id)
            .limit(limit)
        )
        return list(rows)

    async def actions_of(
        self, session: AsyncSession, user_ids: Sequence[str], ids: tuple[int, int]
    ) -> list[tuple[int, str, str, str, str, datetime]]:
        """These people's actions whose id is in the range, by person, time, then id."""
        found: list[tuple[int, str, str, str, str, datetime]] = []
        values = list(user_ids)
        for start in range(0, len(values), REF_CHUNK):
            chunk = values[start : start + REF_CHUNK]
            rows = await session.execute(
                select(ProductAction.id, *ProductAction.fact_columns()).where(
                    ProductAction.user_id.in_(chunk), ProductAction.id.between(*ids)
                )
            )
            found.extend(tuple(row) for row in rows)
        found.sort(key=lambda row: (row[1], row[5], row[0]))
        return found

    async def ensure_profiles(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Create the profiles that do not exist yet (concurrent creators do not collide)."""
        if rows:
            await session.execute(_insert_ignoring(session, UserProfile), rows)

    async def profiles_for(
        self, session: AsyncSession, user_ids: Sequence[str], *, lock: bool = False
    ) -> dict[str, UserProfile]:
        """Profiles by user; `lock` holds them (FOR UPDATE on PostgreSQL) until the unit
        ends, so two units folding events into one profile never lose an update."""
        found: dict[str, UserProfile] = {}
        values = sorted(user_ids)
        for start in range(0, len(values), REF_CHUNK):
            chunk = values[start : start + REF_CHUNK]
            statement = select(UserProfile).where(UserProfile.user_id.in_(chunk))
            if lock:
                statement = statement.order_by(UserProfile.user_id).with_for_update()
                statement = statement.execution_options(populate_existing=True)
            rows = await session.scalars(statement)
            found.update({profile.user_id: profile for profile in rows})
        return found

    async def get_profile(self, session: AsyncSession, user_id: str) -> UserProfile | None:
        return await session.get(UserProfile, user_id)

    async def product_facts(
        self, session: AsyncSession, product_ids: Sequence[str]
    ) -> dict[str, tuple[str, int | None]]:
        """Each product's category and lowest price."""
        found: dict[str, tuple[str, int | None]] = {}
        for chunk in _chunks(list(product_ids)):
            rows = await session.execute(
                select(Product.id, Product.category, func.min(Sku.price_cents))
                .outerjoin(Sku, Sku.product_id == Product.id)
                .where(Product.id.in_(chunk))
                .group_by(Product.id, Product.category)
            )
            for product_id, category, price in rows:
                found[product_id] = (category or "", price)
        return found

    async def count_actions(self, session: AsyncSession, user_id: str | None = None) -> int:
        statement = select(func.count()).select_from(ProductAction)
        if user_id is not None:
            statement = statement.where(ProductAction.user_id == user_id)
        return int((await session.execute(statement)).scalar_one())

    async def fan_club_room_ids(self, session: AsyncSession, user_id: str) -> list[str]:
        rows = await session.scalars(
            select(FanClubMember.room_id)
            .where(FanClubMember.user_id == user_id)
            .order_by(FanClubMember.intimacy.desc(), FanClubMember.room_id)
        )
        return list(rows)

    async def fans_among(self, session: AsyncSession, room_id: str, user_ids: Sequence[str]) -> int:
        total = 0
        for chunk in _chunks(list(user_ids)):
            total += int(
                (
                    await session.execute(
                        select(func.count())
                        .select_from(FanClubMember)
                        .where(FanClubMember.room_id == room_id, FanClubMember.user_id.in_(chunk))
                    )
                ).scalar_one()
            )
        return total

    async def users_of_product(
        self, session: AsyncSession, product_id: str, limit: int
    ) -> list[str]:
        rows = await session.scalars(
            select(ProductAction.user_id)
            .where(ProductAction.product_id == product_id)
            .group_by(ProductAction.user_id)
            .order_by(func.max(ProductAction.id).desc())
            .limit(limit)
        )
        return list(rows)

    async def erase_user(self, session: AsyncSession, user_id: str) -> tuple[int, int, int]:
        """Delete a user's product actions, profile and precomputed lists; their counts."""
        actions = await session.execute(
            delete(ProductAction).where(ProductAction.user_id == user_id)
        )
        profile = await session.execute(delete(UserProfile).where(UserProfile.user_id == user_id))
        lists = await session.execute(
            delete(RecommendList).where(
                RecommendList.subject.in_(("user", "user_rooms")),
                RecommendList.subject_id == user_id,
            )
        )
        return (
            int(actions.rowcount or 0),  # type: ignore[attr-defined]
            int(profile.rowcount or 0),  # type: ignore[attr-defined]
            int(lists.rowcount or 0),  # type: ignore[attr-defined]
        )


profiles_repository = ProfilesRepository()
