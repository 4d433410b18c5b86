"""Money is integer minor units plus an ISO currency. Never floats."""

from __future__ import annotations

_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£"}
_ZERO_DECIMAL = {"JPY", "KRW"}


def format_money(amount_cents: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency, currency + " ")
    if currency in _ZERO_DECIMAL:
        return f"{symbol}{amount_cents}"
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{symbol}{whole}.{cents:02d}"
