"""Writes kept back from the database, to be stored later by one statement.

A unit of work normally writes as it goes: ``session.flush()`` stores the objects
added to the session, and a repository's ``insert_rows`` executes its INSERT at once.
Once ``keep_back(session)`` is called, both are kept instead: the objects stay new
in the session and the rows are collected in it. ``kept_rows(session)`` then gives
every kept row, table by table, complete as a flush would store it (the columns'
Python defaults applied, the foreign keys of related objects filled in), and
``mark_stored`` makes the new objects look loaded from the database once the
statement that stored those rows has succeeded.

The flash sale's batch of buys is written so on PostgreSQL: its orders, their items,
timers, events and counters all go to the database in one statement, one round trip,
instead of one statement per table (see ``FlashSaleService.do_place_many_at_once``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import Column, MetaData, Table, insert, inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, RelationshipDirection, make_transient_to_detached

_KEPT = "livecommerce.kept_back"


@dataclass
class KeptRows:
    """The rows of one table kept back; ``ignore_conflicts``: a row that collides with
    a stored one is skipped, not an error (``ON CONFLICT DO NOTHING``)."""

    table: Table
    rows: list[dict[str, Any]] = field(default_factory=list)
    ignore_conflicts: bool = False


@dataclass
class _Kept:
    tables: dict[str, KeptRows] = field(default_factory=dict)


def keep_back(session: AsyncSession) -> None:
    """From now on, keep this session's flushes and ``insert_rows`` back."""
    session.info[_KEPT] = _Kept()


def is_kept_back(session: AsyncSession) -> bool:
    return _KEPT in session.info


async def flush(session: AsyncSession) -> None:
    """``session.flush()``, unless the session keeps its writes back."""
    if not is_kept_back(session):
        await session.flush()


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT ``rows`` (dicts of column names) into ``table`` in one statement, or keep
    them back. ``ignore_conflicts``: rows that collide with stored ones are skipped."""
    if not rows:
        return
    kept = session.info.get(_KEPT)
    if isinstance(kept, _Kept):
        entry = kept.tables.setdefault(
            table.name, KeptRows(table, ignore_conflicts=ignore_conflicts)
        )
        if entry.ignore_conflicts != ignore_conflicts:
            raise ValueError(f"rows for {table.name} kept back with and without conflicts")
        entry.rows.extend(rows)
        return
    statement: Any = insert(table)
    if ignore_conflicts:
        dialect = session.get_bind().dialect.name
        statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
        statement = statement.on_conflict_do_nothing()
    await session.execute(statement, rows)


def _default(column: Column[Any]) -> Any:
    """The value a flush gives ``column`` when nothing was set: its Python default, or
    None. A column whose value only the database makes is refused."""
    default = column.default
    if default is None:
        return None
    if getattr(default, "is_scalar", False):
        return getattr(default, "arg", None)
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[attr-defined]  # wrapped: takes a context
    raise ValueError(f"{column.table.name}.{column.name}: a SQL default")


def _generated(column: Column[Any]) -> bool:
    """A key the database numbers (an integer primary key without a default)."""
    return (
        column.primary_key
        and column.default is None
        and column.autoincrement in (True, "auto")
        and column.type.python_type is int
    )


def _made_by_database(column: Column[Any]) -> bool:
    return column.default is None and column.server_default is not None


def _filled(column: Column[Any]) -> bool:
    """Whether a flush gives this column a value of its own when none was set."""
    return not _generated(column) and not _made_by_database(column)


@functools.cache
def _table_plan(table: Table) -> tuple[tuple[str, Column[Any], bool], ...]:
    """Each column of ``table``: its name, itself, and whether ``_complete`` fills it
    (worked out once per table: the schema does not change while the process runs)."""
    return tuple((column.name, column, _filled(column)) for column in table.columns)


def _complete(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with every column a flush or an INSERT would store."""
    whole: dict[str, Any] = {}
    for name, column, filled in _table_plan(table):
        if name in row:
            whole[name] = row[name]
        elif filled:
            whole[name] = _default(column)
    return whole


@dataclass(frozen=True)
class _MapperPlan:
    """What ``kept_rows`` needs of a mapped class, worked out once per class."""

    table: Table
    # (attribute, column name, whether a flush fills it when unset, the column) of each
    # mapped column
    columns: tuple[tuple[str, str, bool, Any], ...]
    # (attribute, one-to-many?, [(attribute here, the column it pairs with there)])
    relationships: tuple[tuple[str, bool, tuple[tuple[str, Any], ...]], ...]


@functools.cache
def _mapper_plan(mapper: Mapper[Any]) -> _MapperPlan:
    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        filled = isinstance(column, Column) and _filled(column)
        columns.append((prop.key, str(column.name), filled, column))
    relationships = []
    for relationship in mapper.relationships:
        if relationship.direction is RelationshipDirection.ONETOMANY:
            pairs = tuple(
                (mapper.get_property_by_column(local).key, remote)
                for local, remote in relationship.local_remote_pairs or []
            )
            relationships.append((relationship.key, True, pairs))
        elif relationship.direction is RelationshipDirection.MANYTOONE:
            pairs = tuple(
                (mapper.get_property_by_column(local).key, remote)
                for local, remote in relationship.local_remote_pairs or []
            )
            relationships.append((relationship.key, False, pairs))
    return _MapperPlan(cast(Table, mapper.local_table), tuple(columns), tuple(relationships))


@functools.cache
def _key_of(mapper: Mapper[Any], column: Column[Any]) -> str:
    """The attribute of ``mapper``'s class mapped to ``column``."""
    return str(mapper.get_property_by_column(column).key)


def kept_rows(session: AsyncSession) -> list[KeptRows]:
    """Every row kept back in ``session`` (the new objects' and ``insert_rows``'),
    table by table in the metadata's dependency order, and stop keeping back. The new
    objects get the values their rows hold (defaults, foreign keys), as a flush would
    give them."""
    kept = session.info.pop(_KEPT, None)
    tables = dict(kept.tables) if isinstance(kept, _Kept) else {}
    new = [(obj, inspect(obj)) for obj in session.new]
    plans = [_mapper_plan(state.mapper) for _, state in new]
    # Defaults first: a child's foreign key may be its parent's default id.
    for (obj, state), plan in zip(new, plans, strict=True):
        values = state.dict
        for key, _name, filled, column in plan.columns:
            if filled and key not in values:
                setattr(obj, key, _default(column))
    for (obj, state), plan in zip(new, plans, strict=True):
        for key, one_to_many, pairs in plan.relationships:
            related = state.dict.get(key)
            if related is None:
                continue
            if one_to_many:
                for child in cast(list[Any], related):
                    child_mapper = inspect(child).mapper
                    for here, remote in pairs:
                        setattr(child, _key_of(child_mapper, remote), getattr(obj, here))
            else:
                there = inspect(related).mapper
                for here, remote in pairs:
                    setattr(obj, here, getattr(related, _key_of(there, remote)))
    for (_obj, state), plan in zip(new, plans, strict=True):
        values = state.dict
        row = {name: values[key] for key, name, _filled, _column in plan.columns if key in values}
        tables.setdefault(plan.table.name, KeptRows(plan.table)).rows.append(row)
    order = {table.name: n for n, table in enumerate(_sorted_tables(tables))}
    entries = sorted(tables.values(), key=lambda entry: order[entry.table.name])
    for entry in entries:
        entry.rows = [_complete(entry.table, row) for row in entry.rows]
    return entries


def _sorted_tables(tables: dict[str, KeptRows]) -> list[Table]:
    if not tables:
        return []
    metadata = next(iter(tables.values())).table.metadata
    return [table for table in _table_order(metadata) if table.name in tables]


@functools.cache
def _table_order(metadata: MetaData) -> tuple[Table, ...]:
    """The metadata's tables, each after the tables it refers to (a topological sort,
    worked out once: the schema does not change while the process runs)."""
    return tuple(metadata.sorted_tables)


def mark_stored(session: AsyncSession) -> None:
    """The session's new objects were stored (by a statement of their rows): they leave
    the session as if loaded from the database, so nothing stores them again."""
    new = list(session.new)
    for obj in new:
        if obj in session:  # expunging a parent expunges its children with it
            session.expunge(obj)
    for obj in new:
        make_transient_to_detached(obj)


def populate_insert(entry: KeptRows, parameter: str) -> str:
    """PostgreSQL: an INSERT of ``entry``'s rows given as one JSON array in the bound
    parameter ``parameter`` (``rows_as_json``). Its text depends on the table and its
    columns only, never on how many rows: prepared once per connection."""
    columns = list(entry.rows[0]) if entry.rows else []
    if any(list(row) != columns for row in entry.rows):
        raise ValueError(f"rows for {entry.table.name} differ in their columns")
    names = ", ".join(f'"{name}"' for name in columns)
    conflicts = " ON CONFLICT DO NOTHING" if entry.ignore_conflicts else ""
    return (
        f'INSERT INTO "{entry.table.name}" ({names}) SELECT {names} '
        f'FROM jsonb_populate_recordset(NULL::"{entry.table.name}", '
        f"CAST(CAST(:{parameter} AS text) AS jsonb)){conflicts}"
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot store {type(value).__name__} as a kept-back value")


def rows_as_json(rows: list[dict[str, Any]]) -> str:
    """Rows as one JSON array, for ``jsonb_populate_recordset`` (PostgreSQL parses each
    value with its column's type: datetimes go as ISO 8601 with their offset)."""
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))
