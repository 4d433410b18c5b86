from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    Agency,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Order,
    OrderRefund,
    Statement,
)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class LedgerRepository:
    async def agency_id_of_owner(self, session: AsyncSession, owner_id: str) -> str | None:
        result = await session.execute(select(Agency.id).where(Agency.owner_id == owner_id))
        return result.scalar_one_or_none()

    # ---- accounts -----------------------------------------------------------------

    async def ensure_account(
        self, session: AsyncSession, kind: str, owner_id: str, currency: str
    ) -> LedgerAccount:
        """The party's account, created on first use (concurrent creators agree)."""
        found = await self.find_account(session, kind, owner_id, currency)
        if found is not None:
            return found
        values: dict[str, Any] = {
            "id": new_id(),
            "kind": kind,
            "owner_id": owner_id,
            "currency": currency,
            "balance_cents": 0,
        }
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            statement: Any = postgresql_insert(LedgerAccount).values(values)
            statement = statement.on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite_insert(LedgerAccount).values(values).on_conflict_do_nothing()
        else:  # pragma: no cover - the supported databases are above
            statement = insert(LedgerAccount).values(values)
        await session.execute(statement)
        account = await self.find_account(session, kind, owner_id, currency)
        assert account is not None
        return account

    async def find_account(
        self, session: AsyncSession, kind: str, owner_id: str, currency: str
    ) -> LedgerAccount | None:
        result = await session.execute(
            select(LedgerAccount).where(
                LedgerAccount.kind == kind,
                LedgerAccount.owner_id == owner_id,
                LedgerAccount.currency == currency,
            )
        )
        return result.scalar_one_or_none()

    async def get_account(self, session: AsyncSession, account_id: str) -> LedgerAccount | None:
        return await session.get(LedgerAccount, account_id)

    async def lock_account(self, session: AsyncSession, account_id: str) -> LedgerAccount | None:
        result = await session.execute(
            select(LedgerAccount)
            .where(LedgerAccount.id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def list_accounts(
        self,
        session: AsyncSession,
        *,
        owner_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[LedgerAccount]:
        query = select(LedgerAccount).order_by(LedgerAccount.kind, LedgerAccount.currency)
        if owner_ids is not None:
            query = query.where(LedgerAccount.owner_id.in_(list(owner_ids)))
        if kinds is not None:
            query = query.where(LedgerAccount.kind.in_(list(kinds)))
        result = await session.execute(query.execution_options(populate_existing=True))
        return list(result.scalars())

    async def move_balance(self, session: AsyncSession, account_id: str, delta: int) -> None:
        await session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == account_id)
            .values(balance_cents=LedgerAccount.balance_cents + delta)
        )

    # ---- entries ------------------------------------------------------------------

    async def get_entry_by_reference(
        self, session: AsyncSession, reference: str, *, lock: bool = False
    ) -> JournalEntry | None:
        query = select(JournalEntry).where(JournalEntry.reference == reference)
        if lock:
            query = query.with_for_update()
        result = await session.execute(query)
        return result.scalar_one_or_none()

    async def add_entry(
        self, session: AsyncSession, entry: JournalEntry, lines: list[JournalLine]
    ) -> None:
        session.add(entry)
        await session.flush()
        session.add_all(lines)
        await session.flush()

    async def lines_of_entry(self, session: AsyncSession, entry_id: str) -> list[JournalLine]:
        result = await session.execute(
            select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.id)
        )
        return list(result.scalars())

    async def lines_for_accounts(
        self, session: AsyncSession, account_ids: list[str], page: PageRequest
    ) -> Page[tuple[JournalLine, JournalEntry]]:
        """Newest first by ``(created_at, id)``."""
        if not account_ids:
            return Page(items=[], next_cursor=None)
        query = (
            select(JournalLine, JournalEntry)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalLine.account_id.in_(account_ids))
        )
        rows = cast("Select[tuple[JournalLine, JournalEntry]]", query)  # whole rows, below
        return await fetch_page(
            session,
            rows,
            (desc(JournalLine.created_at), asc(JournalLine.id)),
            page,
            key=lambda row: (row[0].created_at, row[0].id),
            whole_rows=True,
        )

    async def sum_for_accounts(
        self, session: AsyncSession, account_ids: list[str], *, since: datetime | None = None
    ) -> dict[str, tuple[int, int]]:
        """Per account: (credits as a positive number, debits)."""
        if not account_ids:
            return {}
        query = select(JournalLine.account_id, JournalLine.amount_cents).where(
            JournalLine.account_id.in_(account_ids)
        )
        if since is not None:
            query = query.where(JournalLine.created_at >= since)
        totals: dict[str, tuple[int, int]] = {}
        for account_id, amount in (await session.execute(query)).all():
            credits, debits = totals.get(account_id, (0, 0))
            if amount < 0:
                credits -= amount
            else:
                debits += amount
            totals[account_id] = (credits, debits)
        return totals

    async def agency_share_by_host(self, session: AsyncSession, agency_id: str) -> dict[str, int]:
        result = await session.execute(
            select(JournalEntry.host_id, func.coalesce(func.sum(JournalLine.amount_cents), 0))
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(
                LedgerAccount.kind == "agency_payable",
                LedgerAccount.owner_id == agency_id,
                JournalEntry.host_id.is_not(None),
            )
            .group_by(JournalEntry.host_id)
        )
        return {str(row[0]): -int(row[1]) for row in result}

    # ---- refunds ------------------------------------------------------------------

    async def refunded_total(self, session: AsyncSession, order_id: str) -> int:
        result = await session.execute(
            select(func.coalesce(func.sum(OrderRefund.amount_cents), 0)).where(
                OrderRefund.order_id == order_id
            )
        )
        return int(result.scalar_one())

    async def list_refunds(self, session: AsyncSession, order_id: str) -> list[OrderRefund]:
        result = await session.execute(
            select(OrderRefund)
            .where(OrderRefund.order_id == order_id)
            .order_by(OrderRefund.created_at, OrderRefund.id)
        )
        return list(result.scalars())

    async def add_refund(self, session: AsyncSession, refund: OrderRefund) -> None:
        session.add(refund)
        await session.flush()

    # ---- statements ---------------------------------------------------------------

    async def last_statement(self, session: AsyncSession, account_id: str) -> Statement | None:
        result = await session.execute(
            select(Statement)
            .where(Statement.account_id == account_id)
            .order_by(Statement.period_end.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def accounts_with_open_lines(
        self, session: AsyncSession, before: datetime, kinds: list[str]
    ) -> list[str]:
        result = await session.execute(
            select(JournalLine.account_id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(
                JournalLine.statement_id.is_(None),
                JournalLine.created_at < before,
                LedgerAccount.kind.in_(kinds),
            )
            .group_by(JournalLine.account_id)
            .order_by(JournalLine.account_id)
        )
        return [row[0] for row in result]

    async def claim_lines(
        self, session: AsyncSession, account_id: str, statement_id: str, before: datetime
    ) -> tuple[int, int, datetime | None]:
        """Give every open line of the account before ``before`` to the statement.

        Returns (sum of the claimed lines, how many, the earliest one's time)."""
        await session.execute(
            update(JournalLine)
            .where(
                JournalLine.account_id == account_id,
                JournalLine.statement_id.is_(None),
                JournalLine.created_at < before,
            )
            .values(statement_id=statement_id)
        )
        result = await session.execute(
            select(
                func.coalesce(func.sum(JournalLine.amount_cents), 0),
                func.count(),
                func.min(JournalLine.created_at),
            ).where(JournalLine.statement_id == statement_id)
        )
        total, count, earliest = result.one()
        return int(total), int(count), earliest

    async def add_statement(self, session: AsyncSession, statement: Statement) -> None:
        session.add(statement)
        await session.flush()

    async def delete_statement(self, session: AsyncSession, statement: Statement) -> None:
        await session.delete(statement)
        await session.flush()

    async def get_statement(self, session: AsyncSession, statement_id: str) -> Statement | None:
        return await session.get(Statement, statement_id)

    async def list_statements(
        self, session: AsyncSession, *, owner_ids: list[str] | None, page: PageRequest
    ) -> Page[Statement]:
        """The latest period first; ``(period_end, kind, id)`` is the keyset."""
        query = select(Statement)
        if owner_ids is not None:
            query = query.where(Statement.owner_id.in_(owner_ids))
        keyset = (desc(Statement.period_end), asc(Statement.kind), asc(Statement.id))
        return await fetch_page(session, query, keyset, page)

    async def statement_lines(
        self, session: AsyncSession, statement_id: str
    ) -> list[tuple[JournalLine, JournalEntry]]:
        result = await session.execute(
            select(JournalLine, JournalEntry)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalLine.statement_id == statement_id)
            .order_by(JournalLine.created_at, JournalLine.id)
        )
        return [(row[0], row[1]) for row in result]

    async def mark_paid_out(self, session: AsyncSession, statement_id: str, at: datetime) -> bool:
        result = await session.execute(
            update(Statement)
            .where(Statement.id == statement_id, Statement.payout_status == "pending")
            .values(payout_status="paid", paid_at=at)
        )
        return _rowcount(result) == 1

    # ---- verification -------------------------------------------------------------

    async def entry_sums(self, session: AsyncSession) -> list[tuple[str, str, int, int]]:
        """(entry id, reference, sum of lines, number of lines) for every entry."""
        result = await session.execute(
            select(
                JournalEntry.id,
                JournalEntry.reference,
                func.coalesce(func.sum(JournalLine.amount_cents), 0),
                func.count(JournalLine.id),
            )
            .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .group_by(JournalEntry.id, JournalEntry.reference)
            .order_by(JournalEntry.id)
        )
        return [(row[0], row[1], int(row[2]), int(row[3])) for row in result]

    async def currency_mismatches(self, session: AsyncSession) -> list[tuple[str, str]]:
        result = await session.execute(
            select(JournalEntry.id, JournalLine.id)
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(LedgerAccount.currency != JournalEntry.currency)
        )
        return [(row[0], row[1]) for row in result]

    async def account_sums(self, session: AsyncSession) -> list[tuple[LedgerAccount, int]]:
        sums = (
            select(
                JournalLine.account_id.label("account_id"),
                func.sum(JournalLine.amount_cents).label("total"),
            )
            .group_by(JournalLine.account_id)
            .subquery()
        )
        result = await session.execute(
            select(LedgerAccount, func.coalesce(sums.c.total, 0))
            .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
            .order_by(LedgerAccount.id)
        )
        return [(row[0], int(row[1])) for row in result]

    async def statement_sums(self, session: AsyncSession) -> list[tuple[Statement, int, int]]:
        sums = (
            select(
                JournalLine.statement_id.label("statement_id"),
                func.sum(JournalLine.amount_cents).label("total"),
                func.count().label("n"),
            )
            .where(JournalLine.statement_id.is_not(None))
            .group_by(JournalLine.statement_id)
            .subquery()
        )
        result = await session.execute(
            select(Statement, func.coalesce(sums.c.total, 0), func.coalesce(sums.c.n, 0))
            .outerjoin(sums, sums.c.statement_id == Statement.id)
            .order_by(Statement.account_id, Statement.period_end)
        )
        return [(row[0], int(row[1]), int(row[2])) for row in result]

    async def orphan_statement_lines(self, session: AsyncSession) -> list[str]:
        result = await session.execute(
            select(JournalLine.id)
            .outerjoin(Statement, Statement.id == JournalLine.statement_id)
            .where(JournalLine.statement_id.is_not(None), Statement.id.is_(None))
        )
        return [row[0] for row in result]

    async def refund_totals(self, session: AsyncSession) -> list[tuple[str, int]]:
        result = await session.execute(
            select(OrderRefund.order_id, func.sum(OrderRefund.amount_cents)).group_by(
                OrderRefund.order_id
            )
        )
        return [(row[0], int(row[1])) for row in result]

    async def paid_entries(self, session: AsyncSession) -> dict[str, JournalEntry]:
        result = await session.execute(
            select(JournalEntry).where(JournalEntry.kind == "order_paid")
        )
        return {entry.order_id or "": entry for entry in result.scalars()}

    async def unposted_paid_orders(self, session: AsyncSession) -> list[str]:
        """Orders that were paid for money but have no ``order_paid`` entry."""
        result = await session.execute(
            select(Order.id)
            .outerjoin(
                JournalEntry,
                and_(JournalEntry.order_id == Order.id, JournalEntry.kind == "order_paid"),
            )
            .where(Order.paid_at.is_not(None), Order.total_cents > 0, JournalEntry.id.is_(None))
            .order_by(Order.id)
        )
        return [row[0] for row in result]

    async def paid_amount_mismatches(
        self, session: AsyncSession
    ) -> list[tuple[str, str, int, int]]:
        result = await session.execute(
            select(JournalEntry.id, Order.id, JournalEntry.amount_cents, Order.total_cents)
            .join(Order, Order.id == JournalEntry.order_id)
            .where(
                JournalEntry.kind == "order_paid",
                JournalEntry.amount_cents != Order.total_cents,
            )
        )
        return [(row[0], row[1], int(row[2]), int(row[3])) for row in result]

    async def refunded_orders(self, session: AsyncSession) -> list[tuple[str, int]]:
        """(order id, total) of every order in the refunded state."""
        result = await session.execute(
            select(Order.id, Order.total_cents).where(Order.status == "refunded")
        )
        return [(row[0], int(row[1])) for row in result]

    async def refund_entry_total(self, session: AsyncSession, order_id: str) -> int:
        result = await session.execute(
            select(func.coalesce(func.sum(JournalEntry.amount_cents), 0)).where(
                JournalEntry.kind == "order_refund", JournalEntry.order_id == order_id
            )
        )
        return int(result.scalar_one())


ledger_repository = LedgerRepository()
