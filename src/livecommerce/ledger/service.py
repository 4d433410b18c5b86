"""The ledger decides who gets what, posts balanced entries, closes statements.

A paid order is posted on OrderPaid (by the commissions listener, which knows the
terms) and a refunded one reversed on OrderRefunded, each in a unit of work of its
own right after the order's commits. The event is stored with the order change, so
a posting can come late after a crash but is never lost, and it is made only once
(postings are idempotent by reference, and each outbox row runs once).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.ledger.repository import ledger_repository
from livecommerce.ledger.splits import (
    CommissionTerms,
    Split,
    reversal,
    split_conversion,
    split_order,
)
from livecommerce.models import (
    AccountKind,
    EntryKind,
    JobStatus,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Order,
    OrderRefund,
    OrderStatus,
    Role,
    Statement,
    StatementPayout,
    User,
)
from livecommerce.models.ledger import PLATFORM_OWNER
from livecommerce.worker.service import job_service

# Accounts that belong to a party and get statements.
PARTY_KINDS = [
    AccountKind.MERCHANT_PAYABLE.value,
    AccountKind.HOST_PAYABLE.value,
    AccountKind.AGENCY_PAYABLE.value,
]
REFUNDABLE_STATES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
SETTLEMENT_JOB = "ledger.close_period"
# Periods are counted from a Monday, so weekly periods end at 00:00 UTC on Mondays.
PERIOD_ANCHOR = datetime(1970, 1, 5, tzinfo=UTC)


def next_period_end(now: datetime, days: int) -> datetime:
    """The first period boundary after ``now`` for periods of ``days`` days."""
    period = timedelta(days=days)
    return PERIOD_ANCHOR + ((now - PERIOD_ANCHOR) // period + 1) * period


@dataclass(frozen=True)
class Posting:
    kind: str
    owner_id: str
    amount_cents: int  # debit > 0, credit < 0


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    entry_kind: str
    reference: str
    order_id: str | None
    memo: str
    amount_cents: int  # in the party's favour


class LedgerService:
    # ---- posting ------------------------------------------------------------------

    async def _post(
        self,
        session: AsyncSession,
        *,
        kind: EntryKind,
        reference: str,
        currency: str,
        amount_cents: int,
        postings: list[Posting],
        order_id: str | None = None,
        host_id: str | None = None,
        memo: str = "",
    ) -> JournalEntry:
        postings = [posting for posting in postings if posting.amount_cents != 0]
        if sum(posting.amount_cents for posting in postings) != 0:
            raise ValueError(f"unbalanced entry {reference}")
        now = utcnow()
        entry = JournalEntry(
            id=new_id(),
            kind=kind,
            reference=reference,
            order_id=order_id,
            host_id=host_id,
            currency=currency,
            amount_cents=amount_cents,
            memo=memo[:200],
            created_at=now,
        )
        lines: list[JournalLine] = []
        # Accounts in a fixed order, so concurrent postings touch rows in the same order.
        for posting in sorted(postings, key=lambda p: (p.kind, p.owner_id)):
            account = await ledger_repository.ensure_account(
                session, posting.kind, posting.owner_id, currency
            )
            lines.append(
                JournalLine(
                    id=new_id(),
                    entry_id=entry.id,
                    account_id=account.id,
                    amount_cents=posting.amount_cents,
                    created_at=now,
                )
            )
            await ledger_repository.move_balance(session, account.id, posting.amount_cents)
        await ledger_repository.add_entry(session, entry, lines)
        await self.do_ensure_settlement_scheduled(session)
        return entry

    async def do_ensure_settlement_scheduled(
        self, session: AsyncSession, *, exclude_job_id: str | None = None
    ) -> None:
        """Make sure the next automatic close is scheduled (once)."""
        days = runtime_of(session).settings.settlement_period_days
        if days <= 0:
            return
        pending = await job_service.list_jobs(
            session, kind=SETTLEMENT_JOB, status=JobStatus.PENDING
        )
        if any(job.id != exclude_job_id for job in pending):
            return
        end = next_period_end(utcnow(), days)
        job_service.do_schedule(
            session, SETTLEMENT_JOB, run_at=end, payload={"period_end": end.isoformat()}
        )

    def compute_order_split(
        self, session: AsyncSession, order: Order, terms: CommissionTerms
    ) -> tuple[Split, str | None]:
        """The order's split and the agency (if any) that shares the host's commission."""
        split = split_order(
            order.total_cents,
            platform_fee_bp=runtime_of(session).settings.platform_fee_bp,
            commissions=terms.lines,
            agency_share_bp=terms.agency_share_bp,
        )
        return split, terms.agency_id

    async def do_post_order_paid(
        self, session: AsyncSession, order: Order, terms: CommissionTerms
    ) -> JournalEntry | None:
        """Post a paid order: buyer money in, split between platform, host, agency, merchant.

        Idempotent: an order is posted once, however often this is called (None then)."""
        reference = f"order_paid:{order.id}"
        if await ledger_repository.get_entry_by_reference(session, reference) is not None:
            return None
        if order.total_cents <= 0:
            return None
        if order.campaign_id is not None:
            # Pre-sale money is the buyers' until the goods ship: a liability, not earnings.
            return await self._post(
                session,
                kind=EntryKind.ORDER_PAID,
                reference=reference,
                currency=order.currency,
                amount_cents=order.total_cents,
                postings=[
                    Posting(AccountKind.PROVIDER_RECEIVABLE, PLATFORM_OWNER, order.total_cents),
                    Posting(AccountKind.CAMPAIGN_HELD, order.merchant_id, -order.total_cents),
                ],
                order_id=order.id,
                memo=", ".join(item.title for item in order.items),
            )
        split, agency_id = self.compute_order_split(session, order, terms)
        postings = [
            Posting(AccountKind.PROVIDER_RECEIVABLE, PLATFORM_OWNER, split.total_cents),
            Posting(AccountKind.PLATFORM_REVENUE, PLATFORM_OWNER, -split.platform_cents),
            Posting(AccountKind.MERCHANT_PAYABLE, order.merchant_id, -split.merchant_cents),
        ]
        if split.host_cents and order.host_id is not None:
            postings.append(Posting(AccountKind.HOST_PAYABLE, order.host_id, -split.host_cents))
        if split.agency_cents and agency_id is not None:
            postings.append(Posting(AccountKind.AGENCY_PAYABLE, agency_id, -split.agency_cents))
        entry = await self._post(
            session,
            kind=EntryKind.ORDER_PAID,
            reference=reference,
            currency=order.currency,
            amount_cents=order.total_cents,
            postings=postings,
            order_id=order.id,
            host_id=order.host_id,
            memo=", ".join(item.title for item in order.items),
        )
        return entry

    async def do_post_order_refunded(
        self, session: AsyncSession, order: Order, *, by_id: str | None = None
    ) -> JournalEntry | None:
        """The order was refunded in full: reverse whatever is not reversed yet."""
        paid = await ledger_repository.get_entry_by_reference(
            session, f"order_paid:{order.id}", lock=True
        )
        if paid is None:
            return None
        remaining = paid.amount_cents - await ledger_repository.refunded_total(session, order.id)
        if remaining <= 0:
            return None
        return await self._post_refund(
            session, order, paid, remaining, reason="order refunded", by_id=by_id
        )

    async def do_partial_refund(
        self, session: AsyncSession, user: User, order_id: str, amount_cents: int, reason: str
    ) -> tuple[OrderRefund | None, Order]:
        """A merchant (or admin) gives part of the money back. Refunding what is left in
        full goes through the order's own refund, which also returns stock and payment."""
        from livecommerce.orders.service import order_service

        order = await order_service.get_order_for_user(session, user, order_id)
        order_service.check_merchant(user, order, admin_allowed=True)
        if order.status not in REFUNDABLE_STATES:
            raise Conflict(
                f"This order is {order.status.replace('_', ' ')}; it cannot be refunded.",
                code="invalid_order_state",
                details={"status": order.status},
            )
        paid = await ledger_repository.get_entry_by_reference(
            session, f"order_paid:{order.id}", lock=True
        )
        if paid is None:
            raise Conflict("This order has no recorded payment.", code="not_posted")
        remaining = paid.amount_cents - await ledger_repository.refunded_total(session, order.id)
        if amount_cents > remaining:
            raise ValidationFailed(
                f"At most {remaining} can still be refunded.",
                code="refund_too_large",
                details={"refundable_cents": remaining},
            )
        if amount_cents == remaining and order.status in (OrderStatus.PAID, OrderStatus.SHIPPED):
            order = await order_service.do_refund(session, user, order.id)
            # Posted here rather than on OrderRefunded, so the answer can show it.
            await self.do_post_order_refunded(session, order, by_id=user.id)
            refunds = await ledger_repository.list_refunds(session, order.id)
            return (refunds[-1] if refunds else None), order
        await self._post_refund(session, order, paid, amount_cents, reason=reason, by_id=user.id)
        if paid.amount_cents > 0 and order.total_cents > 0:
            # The money itself goes back through the payment's provider.
            from livecommerce.payments.service import payment_service

            await payment_service.do_refund_part(session, order.id, amount_cents)
        refunds = await ledger_repository.list_refunds(session, order.id)
        return refunds[-1], order

    async def _post_refund(
        self,
        session: AsyncSession,
        order: Order,
        paid: JournalEntry,
        amount_cents: int,
        *,
        reason: str,
        by_id: str | None,
    ) -> JournalEntry:
        before = await ledger_repository.refunded_total(session, order.id)
        after = before + amount_cents
        refund = OrderRefund(
            id=new_id(),
            order_id=order.id,
            amount_cents=amount_cents,
            currency=order.currency,
            reason=reason[:200],
            created_by=by_id,
            created_at=utcnow(),
        )
        await ledger_repository.add_refund(session, refund)
        postings: list[Posting] = []
        taken_back = 0
        merchant: Posting | None = None
        # Held pre-sale money that was released to the merchant comes back from the merchant.
        released = (
            order.campaign_id is not None
            and await ledger_repository.get_entry_by_reference(
                session, f"campaign_release:{order.id}"
            )
            is not None
        )
        for line in await ledger_repository.lines_of_entry(session, paid.id):
            account = await ledger_repository.get_account(session, line.account_id)
            assert account is not None
            if account.kind == AccountKind.PROVIDER_RECEIVABLE:
                postings.append(Posting(account.kind, account.owner_id, -amount_cents))
            elif account.kind == AccountKind.CAMPAIGN_HELD and released:
                merchant = Posting(AccountKind.MERCHANT_PAYABLE, account.owner_id, 0)
            elif account.kind == AccountKind.MERCHANT_PAYABLE:
                merchant = Posting(account.kind, account.owner_id, 0)
            else:
                back = reversal(-line.amount_cents, paid.amount_cents, before, after)
                taken_back += back
                postings.append(Posting(account.kind, account.owner_id, back))
        # The merchant gives back the rest, so the refund balances to the cent.
        merchant_owner = order.merchant_id if merchant is None else merchant.owner_id
        postings.append(
            Posting(AccountKind.MERCHANT_PAYABLE, merchant_owner, amount_cents - taken_back)
        )
        return await self._post(
            session,
            kind=EntryKind.ORDER_REFUND,
            reference=f"refund:{refund.id}",
            currency=order.currency,
            amount_cents=amount_cents,
            postings=postings,
            order_id=order.id,
            host_id=order.host_id,
            memo=reason,
        )

    async def do_release_campaign_order(
        self, session: AsyncSession, order: Order, *, memo: str = "pre-sale released"
    ) -> JournalEntry | None:
        """Held pre-sale money of an order becomes earnings (the goods shipped, or a
        deposit was forfeited): the platform's fee and the rest to the merchant.

        Idempotent by reference; None when nothing is held for the order."""
        reference = f"campaign_release:{order.id}"
        if await ledger_repository.get_entry_by_reference(session, reference) is not None:
            return None
        paid = await ledger_repository.get_entry_by_reference(
            session, f"order_paid:{order.id}", lock=True
        )
        if paid is None:
            return None
        held = paid.amount_cents - await ledger_repository.refunded_total(session, order.id)
        if held <= 0:
            return None
        split = split_order(
            held,
            platform_fee_bp=runtime_of(session).settings.platform_fee_bp,
            commissions=[],
            agency_share_bp=0,
        )
        return await self._post(
            session,
            kind=EntryKind.CAMPAIGN_RELEASE,
            reference=reference,
            currency=order.currency,
            amount_cents=held,
            postings=[
                Posting(AccountKind.CAMPAIGN_HELD, order.merchant_id, held),
                Posting(AccountKind.PLATFORM_REVENUE, PLATFORM_OWNER, -split.platform_cents),
                Posting(AccountKind.MERCHANT_PAYABLE, order.merchant_id, -split.merchant_cents),
            ],
            order_id=order.id,
            memo=memo,
        )

    async def is_campaign_order_settled(self, session: AsyncSession, order: Order) -> bool:
        """The order's held money was released, or nothing of it is held any more."""
        if await ledger_repository.get_entry_by_reference(session, f"campaign_release:{order.id}"):
            return True
        paid = await ledger_repository.get_entry_by_reference(session, f"order_paid:{order.id}")
        if paid is None:
            return False
        return paid.amount_cents <= await ledger_repository.refunded_total(session, order.id)

    async def held_for_campaign_orders(self, session: AsyncSession, merchant_id: str) -> int:
        """What the merchant's held pre-sale account owes buyers now (positive)."""
        accounts = await ledger_repository.list_accounts(
            session, owner_ids=[merchant_id], kinds=[AccountKind.CAMPAIGN_HELD.value]
        )
        return -sum(account.balance_cents for account in accounts)

    async def do_post_conversion(
        self,
        session: AsyncSession,
        *,
        conversion_id: str,
        host_id: str,
        agency_id: str | None,
        agency_share_bp: int,
        commission_cents: int,
        currency: str,
        memo: str,
    ) -> JournalEntry | None:
        """An external store's sale: it owes the commission; host and agency earn it."""
        if commission_cents <= 0:
            return None
        host, agency = split_conversion(
            commission_cents, agency_share_bp=agency_share_bp if agency_id else 0
        )
        postings = [
            Posting(AccountKind.AFFILIATE_RECEIVABLE, PLATFORM_OWNER, commission_cents),
            Posting(AccountKind.HOST_PAYABLE, host_id, -host),
        ]
        if agency_id is not None and agency:
            postings.append(Posting(AccountKind.AGENCY_PAYABLE, agency_id, -agency))
        return await self._post(
            session,
            kind=EntryKind.AFFILIATE_CONVERSION,
            reference=f"conversion:{conversion_id}",
            currency=currency,
            amount_cents=commission_cents,
            postings=postings,
            host_id=host_id,
            memo=memo,
        )

    # ---- reading ------------------------------------------------------------------

    async def owner_ids_for(self, session: AsyncSession, user: User) -> list[str]:
        """Whose accounts this user may read: their own, and their agency's."""
        owners = [user.id]
        agency_id = await ledger_repository.agency_id_of_owner(session, user.id)
        if agency_id is not None:
            owners.append(agency_id)
        return owners

    async def list_accounts_of(
        self, session: AsyncSession, owner_ids: list[str]
    ) -> list[LedgerAccount]:
        return await ledger_repository.list_accounts(
            session, owner_ids=owner_ids, kinds=PARTY_KINDS
        )

    async def list_platform_accounts(self, session: AsyncSession) -> list[LedgerAccount]:
        return await ledger_repository.list_accounts(session, owner_ids=[PLATFORM_OWNER])

    async def earnings(
        self, session: AsyncSession, owner_ids: list[str], *, page: PageRequest
    ) -> tuple[
        list[LedgerAccount], dict[str, tuple[int, int]], Page[tuple[JournalLine, JournalEntry]]
    ]:
        accounts = await self.list_accounts_of(session, owner_ids)
        ids = [account.id for account in accounts]
        totals = await ledger_repository.sum_for_accounts(session, ids)
        lines = await ledger_repository.lines_for_accounts(session, ids, page)
        return accounts, totals, lines

    async def earned_by_owner(self, session: AsyncSession, owner_ids: list[str]) -> dict[str, int]:
        """Net amount earned per owner (credits minus clawbacks), over all party accounts."""
        accounts = await self.list_accounts_of(session, owner_ids)
        result: dict[str, int] = dict.fromkeys(owner_ids, 0)
        for account in accounts:
            result[account.owner_id] = result.get(account.owner_id, 0) - account.balance_cents
        return result

    async def agency_share_by_host(self, session: AsyncSession, agency_id: str) -> dict[str, int]:
        """What the agency earned (net of clawbacks) through each of its hosts."""
        return await ledger_repository.agency_share_by_host(session, agency_id)

    # ---- statements ---------------------------------------------------------------

    async def do_close_period(self, session: AsyncSession, period_end: datetime) -> list[Statement]:
        """Close a statement for every party account with lines before ``period_end``."""
        now = utcnow()
        if period_end > now:
            raise ValidationFailed(
                "A period can only be closed once it is over.", code="period_not_over"
            )
        made: list[Statement] = []
        for account_id in await ledger_repository.accounts_with_open_lines(
            session, period_end, PARTY_KINDS
        ):
            account = await ledger_repository.lock_account(session, account_id)
            assert account is not None
            previous = await ledger_repository.last_statement(session, account.id)
            if previous is not None and previous.period_end >= period_end:
                continue  # lines older than a closed period land in the next one
            statement = Statement(
                id=new_id(),
                account_id=account.id,
                owner_id=account.owner_id,
                kind=account.kind,
                currency=account.currency,
                period_start=None if previous is None else previous.period_end,
                period_end=period_end,
                opening_cents=0 if previous is None else previous.closing_cents,
                lines_total_cents=0,
                closing_cents=0,
                lines_count=0,
                payout_status=StatementPayout.PENDING,
                created_at=now,
            )
            await ledger_repository.add_statement(session, statement)
            total, count, earliest = await ledger_repository.claim_lines(
                session, account.id, statement.id, period_end
            )
            if count == 0:  # a concurrent close took these lines first
                await ledger_repository.delete_statement(session, statement)
                continue
            statement.lines_total_cents = -total
            statement.closing_cents = statement.opening_cents - total
            statement.lines_count = count
            if statement.period_start is None:
                statement.period_start = earliest
            await session.flush()
            made.append(statement)
        return made

    def _can_read(self, user: User, owner_ids: list[str], statement: Statement) -> bool:
        return user.role == Role.PLATFORM_ADMIN or statement.owner_id in owner_ids

    async def get_statement_for_user(
        self, session: AsyncSession, user: User, statement_id: str
    ) -> Statement:
        statement = await ledger_repository.get_statement(session, statement_id)
        owner_ids = await self.owner_ids_for(session, user)
        if statement is None or not self._can_read(user, owner_ids, statement):
            raise NotFound("No such statement.", code="statement_not_found")
        return statement

    async def list_statements_for_user(
        self, session: AsyncSession, user: User, *, owner_id: str | None = None, page: PageRequest
    ) -> Page[Statement]:
        if user.role == Role.PLATFORM_ADMIN:
            owners = None if owner_id is None else [owner_id]
        else:
            owners = await self.owner_ids_for(session, user)
            if owner_id is not None:
                owners = [owner for owner in owners if owner == owner_id]
        return await ledger_repository.list_statements(session, owner_ids=owners, page=page)

    async def statement_lines(
        self, session: AsyncSession, statement: Statement
    ) -> list[StatementLine]:
        return [
            StatementLine(
                at=line.created_at,
                entry_kind=entry.kind,
                reference=entry.reference,
                order_id=entry.order_id,
                memo=entry.memo,
                amount_cents=-line.amount_cents,
            )
            for line, entry in await ledger_repository.statement_lines(session, statement.id)
        ]

    async def statement_csv(self, session: AsyncSession, statement: Statement) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["statement", statement.id])
        writer.writerow(["account", statement.kind])
        writer.writerow(["owner", statement.owner_id])
        writer.writerow(["currency", statement.currency])
        start = statement.period_start.isoformat() if statement.period_start else ""
        writer.writerow(["period", start, statement.period_end.isoformat()])
        writer.writerow(["opening_cents", statement.opening_cents])
        writer.writerow([])
        writer.writerow(["at", "kind", "order_id", "reference", "memo", "amount_cents"])
        for line in await self.statement_lines(session, statement):
            writer.writerow(
                [
                    line.at.isoformat(),
                    line.entry_kind,
                    line.order_id or "",
                    line.reference,
                    line.memo,
                    line.amount_cents,
                ]
            )
        writer.writerow([])
        writer.writerow(["lines_total_cents", statement.lines_total_cents])
        writer.writerow(["closing_cents", statement.closing_cents])
        writer.writerow(["payout_status", statement.payout_status])
        return out.getvalue()

    async def do_mark_paid_out(self, session: AsyncSession, statement_id: str) -> Statement:
        statement = await ledger_repository.get_statement(session, statement_id)
        if statement is None:
            raise NotFound("No such statement.", code="statement_not_found")
        if not await ledger_repository.mark_paid_out(session, statement.id, utcnow()):
            raise Conflict("This statement is paid out already.", code="already_paid_out")
        await session.refresh(statement)
        return statement

    async def get_order_for_refunds(
        self, session: AsyncSession, user: User, order_id: str
    ) -> Order:
        """The buyer, the order's merchant or an admin may read its refunds."""
        from livecommerce.orders.service import order_service

        return await order_service.get_order_for_user(session, user, order_id)

    async def refunds_of(self, session: AsyncSession, order_id: str) -> list[OrderRefund]:
        return await ledger_repository.list_refunds(session, order_id)


ledger_service = LedgerService()
