from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import Address, Order, User


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


# The user's first address in the order of ``list_for_user``, correlated to ``User``:
# built once, as building an alias's column proxies costs more than the statement's
# execution (every buyer's first click reads it).
_RANKED = aliased(Address, name="ranked")
_IS_FIRST_ADDRESS = Address.id == (
    select(_RANKED.id)
    .where(_RANKED.user_id == User.id)
    .order_by(_RANKED.is_default.desc(), _RANKED.created_at.desc(), _RANKED.id)
    .limit(1)
    .correlate(User)
    .scalar_subquery()
)


class AddressRepository:
    def __init__(self) -> None:
        # The statements of ``with_default_address(es)``, by the query each extends.
        self._with_address: dict[int, tuple[object, Executable]] = {}

    def _with_first_address(self, query: Select[*tuple[Any, ...]]) -> Executable:
        """``query`` (which selects a ``User``) with that user's first address in the
        order of ``list_for_user`` (or None) as one more column: built once per query."""
        built = self._with_address.get(id(query))
        if built is None or built[0] is not query:
            if len(self._with_address) > 8:
                self._with_address.clear()
            extended = query.add_columns(Address).outerjoin(Address, _IS_FIRST_ADDRESS)
            built = self._with_address[id(query)] = (query, extended)
        return built[1]

    async def list_for_user(self, session: AsyncSession, user_id: str) -> list[Address]:
        result = await session.execute(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.id)
        )
        return list(result.scalars())

    async def default_for_user(self, session: AsyncSession, user_id: str) -> Address | None:
        """The first of ``list_for_user``: the default, else the newest."""
        result = await session.execute(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.id)
            .limit(1)
        )
        return result.scalar()

    async def page_for_user(
        self, session: AsyncSession, user_id: str, page: PageRequest
    ) -> Page[Address]:
        """The default first, then newest first."""
        keyset = (desc(Address.is_default), desc(Address.created_at), asc(Address.id))
        query = select(Address).where(Address.user_id == user_id)
        return await fetch_page(session, query, keyset, page)

    async def with_default_address(
        self, session: AsyncSession, query: Select[datetime, User], params: dict[str, Any]
    ) -> tuple[datetime, User, Address | None] | None:
        """The first row of ``query`` (which selects a ``User``; executed with
        ``params``) with that user's first address in the order of ``list_for_user``
        (or None) as one more column: one statement, built once per ``query``."""
        result = await session.execute(self._with_first_address(query), params)
        row = result.first()
        return None if row is None else (row[0], row[1], row[2])

    async def with_default_addresses(
        self, session: AsyncSession, query: Select[str, datetime, User], params: dict[str, Any]
    ) -> list[tuple[str, datetime, User, Address | None]]:
        """``with_default_address`` for a query of many rows, each ``(key, expires_at,
        User)``: every row with its user's first address (or None)."""
        result = await session.execute(self._with_first_address(query), params)
        return [(row[0], row[1], row[2], row[3]) for row in result]

    async def get(self, session: AsyncSession, address_id: str) -> Address | None:
        return await session.get(Address, address_id)

    async def has_default(self, session: AsyncSession, user_id: str) -> bool:
        result = await session.execute(
            select(func.count())
            .select_from(Address)
            .where(Address.user_id == user_id, Address.is_default.is_(True))
        )
        return int(result.scalar_one()) > 0

    async def newest(self, session: AsyncSession, user_id: str) -> Address | None:
        result = await session.execute(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.created_at.desc(), Address.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def add(self, session: AsyncSession, address: Address) -> None:
        session.add(address)
        await session.flush()

    async def make_only_default(self, session: AsyncSession, user_id: str, address_id: str) -> None:
        """One statement: this address becomes the default, every other one stops being it."""
        await session.execute(
            update(Address)
            .where(Address.user_id == user_id)
            .values(is_default=Address.id == address_id)
            .execution_options(synchronize_session=False)
        )

    async def delete(self, session: AsyncSession, address_id: str) -> None:
        await session.execute(delete(Address).where(Address.id == address_id))


class OrderRepository:
    async def get(self, session: AsyncSession, order_id: str) -> Order | None:
        return await session.get(Order, order_id)

    async def refresh(self, session: AsyncSession, order: Order) -> None:
        await session.refresh(order)

    async def get_by_idempotency_key(
        self, session: AsyncSession, buyer_id: str, key: str
    ) -> Order | None:
        result = await session.execute(
            select(Order).where(Order.buyer_id == buyer_id, Order.idempotency_key == key)
        )
        return result.scalar_one_or_none()

    async def add(self, session: AsyncSession, order: Order) -> None:
        session.add(order)
        await session.flush()

    def add_all(self, session: AsyncSession, orders: list[Order]) -> None:
        session.add_all(orders)

    async def ids_by_idempotency_keys(
        self, session: AsyncSession, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        if not keys:
            return {}
        result = await session.execute(
            select(Order.buyer_id, Order.idempotency_key, Order.id).where(
                tuple_(Order.buyer_id, Order.idempotency_key).in_(keys)
            )
        )
        return {
            (buyer_id, key): order_id for buyer_id, key, order_id in result.all() if key is not None
        }

    async def list_orders(
        self,
        session: AsyncSession,
        *,
        buyer_id: str | None = None,
        merchant_id: str | None = None,
        room_id: str | None = None,
        status: str | None = None,
        page: PageRequest,
    ) -> Page[Order]:
        """Newest first; ``(created_at, id)`` is the keyset."""
        query = select(Order)
        if room_id is not None:
            query = query.where(Order.room_id == room_id)
        if buyer_id is not None:
            query = query.where(Order.buyer_id == buyer_id)
        if merchant_id is not None:
            query = query.where(Order.merchant_id == merchant_id)
        if status is not None:
            query = query.where(Order.status == status)
        return await fetch_page(session, query, (desc(Order.created_at), desc(Order.id)), page)

    async def transition(
        self,
        session: AsyncSession,
        order_id: str,
        *,
        from_statuses: Iterable[str],
        to_status: str,
        extra_where: Iterable[Any] = (),
        **values: Any,
    ) -> bool:
        """``UPDATE orders SET status = :to … WHERE id = :id AND status IN (:from)``.

        True when this call moved the order; False when it was not in a ``from``
        state any more (another transition won the race)."""
        result = await session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status.in_(list(from_statuses)), *extra_where)
            .values(status=to_status, **values)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


address_repository = AddressRepository()
order_repository = OrderRepository()
