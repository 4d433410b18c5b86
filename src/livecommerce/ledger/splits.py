"""How an amount is split between the parties. Pure integer arithmetic, no I/O.

Rules (see docs/ledger.md): every share that is a rate is floored; the merchant
takes what is left, so the parts always add up to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BP = 10_000


@dataclass(frozen=True)
class CommissionLine:
    """One order item's commission terms: the amount it sold for and the offer's rate."""

    base_cents: int
    commission_bp: int
    fixed_fee_cents: int = 0


@dataclass(frozen=True)
class CommissionTerms:
    """What an order pays its host in commission, and the agency (if any) that shares it."""

    lines: list[CommissionLine] = field(default_factory=list)
    agency_id: str | None = None
    agency_share_bp: int = 0


@dataclass(frozen=True)
class Split:
    total_cents: int
    platform_cents: int
    host_cents: int
    agency_cents: int
    merchant_cents: int

    @property
    def commission_cents(self) -> int:
        return self.host_cents + self.agency_cents

    def parts(self) -> tuple[int, int, int, int]:
        return (self.platform_cents, self.host_cents, self.agency_cents, self.merchant_cents)


def rate(amount_cents: int, bp: int) -> int:
    """``amount × bp / 10000``, floored (amounts and rates are never negative here)."""
    return amount_cents * bp // BP


def allocate_bases(total_cents: int, line_totals: list[int]) -> list[int]:
    """Spread an order's total (after discounts) over its items, in proportion to their
    line totals; floor each, the last item takes the remainder."""
    subtotal = sum(line_totals)
    if not line_totals:
        return []
    if subtotal <= 0:
        return [0] * (len(line_totals) - 1) + [total_cents]
    bases = [line * total_cents // subtotal for line in line_totals[:-1]]
    return [*bases, total_cents - sum(bases)]


def split_order(
    total_cents: int,
    *,
    platform_fee_bp: int,
    commissions: list[CommissionLine],
    agency_share_bp: int = 0,
) -> Split:
    """Split a paid order: platform fee, host commission, agency share, merchant rest."""
    if total_cents < 0:
        raise ValueError("total must not be negative")
    platform = rate(total_cents, platform_fee_bp)
    commission = sum(
        rate(line.base_cents, line.commission_bp) + line.fixed_fee_cents for line in commissions
    )
    # The merchant's part never goes below zero: commission is capped by what is left.
    commission = max(0, min(commission, total_cents - platform))
    agency = rate(commission, agency_share_bp)
    host = commission - agency
    merchant = total_cents - platform - commission
    return Split(total_cents, platform, host, agency, merchant)


def split_conversion(commission_cents: int, *, agency_share_bp: int) -> tuple[int, int]:
    """An external store's commission: (host, agency); the agency's share floored."""
    agency = rate(commission_cents, agency_share_bp)
    return commission_cents - agency, agency


def reversal(
    original_cents: int, total_cents: int, refunded_before: int, refunded_after: int
) -> int:
    """How much of one party's ``original_cents`` a refund takes back.

    Cumulative: after refunds totalling R the party has given back
    ``floor(original × R / total)``; this refund moves it from the old R to the new R.
    A full refund therefore gives back exactly the original, whatever the steps were.
    """
    if total_cents <= 0:
        return 0
    return (original_cents * refunded_after // total_cents) - (
        original_cents * refunded_before // total_cents
    )
