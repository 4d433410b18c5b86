from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from livecommerce.kit.types import MAX_CENTS, Line, StrictInt, UtcDatetime


class AccountOut(BaseModel):
    id: str
    kind: str
    owner_id: str
    currency: str
    # What the platform owes the party (the negated account balance).
    owed_cents: int
    earned_cents: int  # every credit: commissions, sales, fees
    clawed_back_cents: int  # every debit: refunds taken back


class LineOut(BaseModel):
    at: datetime
    account_kind: str
    owner_id: str
    entry_kind: str
    reference: str
    order_id: str | None
    memo: str
    amount_cents: int  # in the party's favour
    statement_id: str | None


class EarningsOut(BaseModel):
    owner_ids: list[str]
    accounts: list[AccountOut]
    lines: list[LineOut]
    next_cursor: str | None = None


class RefundIn(BaseModel):
    amount_cents: StrictInt = Field(ge=1, le=MAX_CENTS)
    reason: Line = Field(default="", max_length=200)


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    order_id: str
    amount_cents: int
    currency: str
    reason: str
    created_at: datetime


class RefundResult(BaseModel):
    order_id: str
    order_status: str
    refunded_cents: int
    refundable_cents: int
    refunds: list[RefundOut]


class CloseIn(BaseModel):
    period_end: UtcDatetime | None = None


class StatementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    account_id: str
    owner_id: str
    kind: str
    currency: str
    period_start: datetime | None
    period_end: datetime
    opening_cents: int
    lines_total_cents: int
    closing_cents: int
    lines_count: int
    payout_status: str
    paid_at: datetime | None
    created_at: datetime


class StatementLineOut(BaseModel):
    at: datetime
    entry_kind: str
    reference: str
    order_id: str | None
    memo: str
    amount_cents: int


class StatementDetail(StatementOut):
    lines: list[StatementLineOut]


class StatementList(BaseModel):
    items: list[StatementOut]
    next_cursor: str | None = None


class ProblemOut(BaseModel):
    code: str
    subject: str
    message: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    accounts: int
    statements: int
    problems: list[ProblemOut]
