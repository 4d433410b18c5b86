"""Double-entry ledger: accounts per party, balanced journal entries, statements.

Amounts are signed integer minor units: a debit is positive, a credit negative,
so every entry's lines sum to zero. A party's payable account is credited when
it earns, so what it is owed is the negated balance.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column

PLATFORM_OWNER = "platform"


class AccountKind(StrEnum):
    PROVIDER_RECEIVABLE = "provider_receivable"  # buyer money held by the payment provider
    AFFILIATE_RECEIVABLE = "affiliate_receivable"  # commission an external store owes
    PLATFORM_REVENUE = "platform_revenue"
    MERCHANT_PAYABLE = "merchant_payable"
    HOST_PAYABLE = "host_payable"
    AGENCY_PAYABLE = "agency_payable"
    # Pre-sale money (deposits, full prices, balances) owed to buyers until the goods ship.
    CAMPAIGN_HELD = "campaign_held"


class EntryKind(StrEnum):
    ORDER_PAID = "order_paid"
    ORDER_REFUND = "order_refund"
    AFFILIATE_CONVERSION = "affiliate_conversion"
    CAMPAIGN_RELEASE = "campaign_release"  # held pre-sale money earned: goods shipped


class StatementPayout(StrEnum):
    PENDING = "pending"
    PAID = "paid"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "owner_id", "currency"),)

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(24))
    # A user id, an agency id, or "platform" for the platform's own accounts.
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(24))
    # Makes posting idempotent: "order_paid:<order id>", "refund:<refund id>" …
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # The host the sale is attributed to (a live room's host, an affiliate link's owner).
    host_id: Mapped[str | None] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # The gross amount the entry is about (order total, refund, conversion commission).
    amount_cents: Mapped[int] = mapped_column(Integer)
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_at_column()


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (Index("ix_journal_lines_account_statement", "account_id", "statement_id"),)

    id: Mapped[str] = id_column()
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)  # debit > 0, credit < 0
    # Set once, when the statement that covers this line is closed.
    statement_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()


class OrderRefund(Base):
    """A full or partial refund of a paid order, as the ledger saw it."""

    __tablename__ = "order_refunds"

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()


class Statement(Base):
    """One party account's statement for a period. Closed when made; never changes."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("account_id", "period_end"),)

    id: Mapped[str] = id_column()
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime]
    # In the party's favour: what the platform owes it (the negated account balance).
    opening_cents: Mapped[int] = mapped_column(Integer)
    lines_total_cents: Mapped[int] = mapped_column(Integer)
    closing_cents: Mapped[int] = mapped_column(Integer)
    lines_count: Mapped[int] = mapped_column(Integer)
    payout_status: Mapped[str] = mapped_column(String(10), default=StatementPayout.PENDING)
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
