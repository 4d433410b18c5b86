"""Field types shared by request schemas: bounded strict integers, UTC datetimes, clean text.

Every integer a client sends is a JSON integer (``"1"`` and ``true`` are refused) within
bounds that fit the columns it lands in; every datetime carries its offset (naive input is
refused, a year outside 1970-2200 too) and is normalised to UTC; every user-visible name,
title or text refuses control characters, bidirectional overrides and strings that show
nothing (only blanks or zero-width characters).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, Strict

INT32_MAX = 2_147_483_647
# Money in cents sits in 64-bit columns; this bound leaves room to add and multiply.
MAX_CENTS = 10**15
MIN_YEAR = 1970
MAX_YEAR = 2200

# A JSON integer only: "1", 1.0 and true are refused.
StrictInt = Annotated[int, Strict()]
# Any integer that lands in a 32-bit column.
Int32 = Annotated[int, Strict(), Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
# A non-negative count or amount for a 32-bit column.
Count = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
# Cents for a 64-bit column.
Cents = Annotated[int, Strict(), Field(ge=0, le=MAX_CENTS)]


def _utc(value: datetime) -> datetime:
    # Check the year before converting: 9999-12-31T23:00-05:00 would overflow.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value.astimezone(UTC)


# A datetime with its offset ("2026-05-01T20:00:00+08:00" or "...Z"), kept in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]

# Bidirectional embeddings, overrides and isolates: they reorder what readers see.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MULTILINE_ALLOWED = frozenset("\n\t")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is not acceptable user-visible text, or None when it is."""
    visible = False
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in _MULTILINE_ALLOWED):
            return "must not contain control characters"
        if char in _BIDI_CONTROLS:
            return "must not contain bidirectional override characters"
        if category == "Cs":
            return "must not contain unpaired surrogates"
        if not visible and not char.isspace() and category != "Cf":
            visible = True
    if value and not visible:
        return "must not be blank"
    return None


def _single_line(value: str) -> str:
    value = value.strip()
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _multiline(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    problem = text_problem(value, multiline=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def _required(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


# One line a person reads (names, titles, tags): may be empty only where the field allows.
Line = Annotated[str, AfterValidator(_single_line)]
# A line that must show something.
Name = Annotated[str, AfterValidator(_single_line), AfterValidator(_required)]
# Several lines (descriptions, notes, answers): new lines and tabs allowed.
Paragraph = Annotated[str, AfterValidator(_multiline)]
# Several lines that must show something.
RequiredParagraph = Annotated[str, AfterValidator(_multiline), AfterValidator(_required)]
