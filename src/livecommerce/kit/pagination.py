"""Cursor (keyset) pagination shared by every list endpoint.

A list is read in a stable order that ends in a unique column (usually ``(created_at, id)``).
A page carries ``next_cursor``: the sort key of its last row, JSON-encoded, base64url'd and
sealed with a short checksum, so a cursor is opaque to clients and an edited or truncated one
is refused with 422 ``bad_cursor`` instead of reaching the database. ``next_cursor`` is null
on the last page. The checksum catches edits and truncation, not a deliberate forger: a forged
cursor of the right shape only moves the starting point inside the caller's own filtered list,
never widens it, and its values are type- and range-checked before they are bound.

Endpoints take :data:`PageQuery` (``limit`` and ``cursor`` query parameters); repositories
hand their filtered query to :func:`fetch_page` with the order's columns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Select, TypeDecorator, and_, literal, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from livecommerce.kit.clock import as_utc
from livecommerce.kit.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 512

_SEAL = b"livecommerce-cursor-v1"
_CHECK_BYTES = 6


class BadCursor(ValidationFailed):
    code = "bad_cursor"

    def __init__(self) -> None:
        super().__init__(
            "The cursor is not valid: pass back the next_cursor of the previous page unchanged,"
            " or leave it out to start from the first page."
        )


def _check(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, key=_SEAL, digest_size=_CHECK_BYTES).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


def encode_cursor(key: Sequence[Any]) -> str:
    """The opaque cursor for a row whose sort key is ``key``."""
    payload = json.dumps([_plain(value) for value in key], separators=(",", ":")).encode()
    return _b64(payload + _check(payload))


def decode_cursor(cursor: str) -> list[Any]:
    """The sort key inside ``cursor``; :class:`BadCursor` if it was not made by us."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor()
    try:
        raw = _unb64(cursor)
    except (binascii.Error, ValueError) as exc:
        raise BadCursor() from exc
    payload, check = raw[:-_CHECK_BYTES], raw[-_CHECK_BYTES:]
    if len(raw) <= _CHECK_BYTES or check != _check(payload):
        raise BadCursor()
    try:
        key = json.loads(payload)
    except ValueError as exc:
        raise BadCursor() from exc
    if not isinstance(key, list) or not key:
        raise BadCursor()
    return key


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What the client asked for: at most ``limit`` rows after the row ``after`` names.

    ``limit`` is None when the client sent none; the list's own default applies
    (:meth:`or_default`), else :data:`DEFAULT_LIMIT`.
    """

    limit: int | None = None
    after: list[Any] | None = None

    @property
    def size(self) -> int:
        return DEFAULT_LIMIT if self.limit is None else self.limit

    def or_default(self, default: int) -> PageRequest:
        return self if self.limit is not None else PageRequest(default, self.after)


def page_request(
    limit: Annotated[
        int | None,
        Query(
            ge=1, le=MAX_LIMIT, description="Rows per page, 1 to 100 (default 50 unless stated)."
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="The next_cursor of the previous page; omit for the first page.",
        ),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=None if cursor is None else decode_cursor(cursor))


PageQuery = Annotated[PageRequest, Depends(page_request)]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Order:
    """One sort column of a keyset: a mapped attribute (or a non-null SQL expression, with
    ``fetch_page``'s ``key``) and its direction."""

    column: InstrumentedAttribute[Any] | ColumnElement[Any]
    descending: bool = True


def desc(column: InstrumentedAttribute[Any] | ColumnElement[Any]) -> Order:
    return Order(column, descending=True)


def asc(column: InstrumentedAttribute[Any] | ColumnElement[Any]) -> Order:
    return Order(column, descending=False)


def _coerce(order: Order, value: Any) -> Any:
    """A cursor value back to the column's Python type; BadCursor if it cannot be."""
    column_type = order.column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:  # pragma: no cover - every keyset column has one
        python_type = object
    if python_type is datetime:
        if not isinstance(value, str):
            raise BadCursor()
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise BadCursor() from exc
        if parsed.tzinfo is None:
            raise BadCursor()
        return as_utc(parsed)
    if python_type is bool:
        if not isinstance(value, bool):
            raise BadCursor()
        return value
    if python_type is int:
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
            raise BadCursor()
        return value
    if python_type is str:
        if not isinstance(value, str):
            raise BadCursor()
        return value
    if value is not None and not isinstance(value, str | int | float):
        raise BadCursor()
    return value


def _after(orders: Sequence[Order], key: list[Any]) -> Any:
    if len(key) != len(orders):
        raise BadCursor()
    values = [_coerce(order, value) for order, value in zip(orders, key, strict=True)]
    if any(value is None for value in values):
        raise BadCursor()
    bound = [literal(value, o.column.type) for o, value in zip(orders, values, strict=True)]
    if all(order.descending for order in orders):
        return tuple_(*(o.column for o in orders)) < tuple_(*bound)
    if not any(order.descending for order in orders):
        return tuple_(*(o.column for o in orders)) > tuple_(*bound)
    # Mixed directions: (a after x) or (a = x and (b after y)) ...
    clauses = []
    for index, order in enumerate(orders):
        equal = [orders[i].column == bound[i] for i in range(index)]
        step = order.column < bound[index] if order.descending else order.column > bound[index]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def order_by(query: Select[Any], orders: Sequence[Order]) -> Select[Any]:
    return query.order_by(*(o.column.desc() if o.descending else o.column.asc() for o in orders))


async def fetch_page(
    session: AsyncSession,
    query: Select[T],
    orders: Sequence[Order],
    page: PageRequest,
    *,
    key: Callable[[T], Sequence[Any]] | None = None,
    whole_rows: bool = False,
) -> Page[T]:
    """One page of ``query`` in ``orders``' order: its first entity per row, or with
    ``whole_rows`` each row as a tuple (then ``key`` is required).

    The last column of ``orders`` must be unique so the order is total. ``key`` gives a
    row's sort values; by default they are read from the row's attributes.
    """
    if page.after is not None:
        query = query.where(_after(orders, page.after))
    query = order_by(query, orders).limit(page.size + 1)
    result = await session.execute(query)
    rows: list[Any] = list(result.scalars()) if not whole_rows else [tuple(row) for row in result]
    if len(rows) <= page.size:
        return Page(items=rows, next_cursor=None)
    rows = rows[: page.size]
    last = rows[-1]
    values = key(last) if key is not None else [getattr(last, str(o.column.key)) for o in orders]
    return Page(items=rows, next_cursor=encode_cursor(values))
