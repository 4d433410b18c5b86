"""``livecommerce ledger verify``: every invariant the ledger promises, checked from scratch."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.ledger.repository import ledger_repository


@dataclass
class Problem:
    code: str
    subject: str  # the offending entry, account or statement id
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    accounts: int = 0
    statements: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_ledger(session: AsyncSession) -> VerifyReport:
    report = VerifyReport()
    problems = report.problems

    # 1. Every entry balances and has at least two lines.
    entries = await ledger_repository.entry_sums(session)
    report.entries = len(entries)
    for entry_id, reference, total, count in entries:
        if total != 0:
            problems.append(
                Problem("unbalanced_entry", entry_id, f"{reference}: lines sum to {total}")
            )
        if count < 2:
            problems.append(Problem("short_entry", entry_id, f"{reference}: {count} line(s)"))
    for entry_id, line_id in await ledger_repository.currency_mismatches(session):
        problems.append(
            Problem("currency_mismatch", entry_id, f"line {line_id} is in another currency")
        )

    # 2. Every account's balance equals the sum of its lines.
    accounts = await ledger_repository.account_sums(session)
    report.accounts = len(accounts)
    for account, total in accounts:
        if account.balance_cents != total:
            problems.append(
                Problem(
                    "account_balance",
                    account.id,
                    f"{account.kind}/{account.owner_id}: balance {account.balance_cents}, "
                    f"lines {total}",
                )
            )

    # 3. Every statement equals its lines, and each opens where the previous one closed.
    statements = await ledger_repository.statement_sums(session)
    report.statements = len(statements)
    previous_closing: dict[str, int] = {}
    for statement, total, count in statements:
        if statement.lines_total_cents != -total or statement.lines_count != count:
            problems.append(
                Problem(
                    "statement_lines",
                    statement.id,
                    f"says {statement.lines_total_cents} in {statement.lines_count} lines, "
                    f"lines give {-total} in {count}",
                )
            )
        if statement.closing_cents != statement.opening_cents + statement.lines_total_cents:
            problems.append(Problem("statement_closing", statement.id, "closing ≠ opening + lines"))
        expected_opening = previous_closing.get(statement.account_id, 0)
        if statement.opening_cents != expected_opening:
            problems.append(
                Problem(
                    "statement_opening",
                    statement.id,
                    f"opens at {statement.opening_cents}, previous closed at {expected_opening}",
                )
            )
        previous_closing[statement.account_id] = statement.closing_cents
    for line_id in await ledger_repository.orphan_statement_lines(session):
        problems.append(Problem("orphan_line", line_id, "line points at a missing statement"))

    # 4. No order gives back more than was paid; refund rows and refund entries agree.
    paid = await ledger_repository.paid_entries(session)
    for order_id, refunded in await ledger_repository.refund_totals(session):
        entry = paid.get(order_id)
        if entry is None:
            problems.append(Problem("refund_without_payment", order_id, "refund of unpaid order"))
            continue
        if refunded > entry.amount_cents:
            problems.append(
                Problem(
                    "over_refunded",
                    entry.id,
                    f"order {order_id}: refunded {refunded} of {entry.amount_cents}",
                )
            )
        posted = await ledger_repository.refund_entry_total(session, order_id)
        if posted != refunded:
            problems.append(
                Problem(
                    "refund_entries",
                    entry.id,
                    f"order {order_id}: refunds {refunded}, refund entries {posted}",
                )
            )

    # 5. The ledger and the orders agree: every order paid for money is posted at its
    #    total, and a refunded order has given all of it back.
    for order_id in await ledger_repository.unposted_paid_orders(session):
        problems.append(Problem("unposted_order", order_id, "paid order has no ledger entry"))
    for entry_id, order_id, posted, total in await ledger_repository.paid_amount_mismatches(
        session
    ):
        problems.append(
            Problem(
                "paid_amount_mismatch",
                entry_id,
                f"order {order_id}: posted {posted}, order total {total}",
            )
        )
    refunded_by_order = dict(await ledger_repository.refund_totals(session))
    for order_id, total in await ledger_repository.refunded_orders(session):
        entry = paid.get(order_id)
        if entry is not None and refunded_by_order.get(order_id, 0) != entry.amount_cents:
            problems.append(
                Problem(
                    "refund_incomplete",
                    entry.id,
                    f"order {order_id} is refunded but {refunded_by_order.get(order_id, 0)} "
                    f"of {total} went back",
                )
            )
    return report
