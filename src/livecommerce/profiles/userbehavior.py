"""The Taobao UserBehavior format: ``user_id,item_id,category_id,behavior_type,timestamp``.

One parser for the importer and the evaluation, so both accept and refuse the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

ACTIONS = ("pv", "fav", "cart", "buy")
# How much one action says about interest; a purchase says most.
ACTION_WEIGHT = {"pv": 1.0, "fav": 2.0, "cart": 3.0, "buy": 4.0}
MAX_ID = 2**62  # external ids are stored as text, but must be plain non-negative integers
MAX_REPORTED = 100  # line numbers listed per import; the count covers them all


class Row(NamedTuple):
    """One well-formed line (a tuple: made by the million in an import)."""

    line: int
    user: str
    item: str
    category: str
    action: str
    ts: int


@dataclass
class Malformed:
    count: int = 0
    lines: list[int] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        if len(self.lines) < MAX_REPORTED:
            self.lines.append(line)
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def _plain_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < MAX_ID


# The common well-formed line; anything else goes through the field-by-field checks below
# (which accept everything this accepts, with the same values, and say why a line is bad).
_PLAIN = re.compile(
    r"[ \t\r\n\f\v]*(\d{1,19})[ \t]*,[ \t]*(\d{1,19})[ \t]*,[ \t]*(\d{1,19})[ \t]*,"
    r"[ \t]*(pv|fav|cart|buy)[ \t]*,[ \t]*(\d{1,12})[ \t\r\n\f\v]*",
    re.ASCII,
)


def _canonical(digits: str) -> str | None:
    """An id's canonical text (no leading zeros), or None past ``MAX_ID``."""
    if len(digits) < 19 and (digits[0] != "0" or len(digits) == 1):
        return digits  # below 10**18 < MAX_ID, and already canonical
    value = int(digits)
    return str(value) if value < MAX_ID else None


def parse_line(number: int, text: str) -> Row | str:
    """A row, or the reason the line is malformed."""
    plain = _PLAIN.fullmatch(text)
    if plain is not None:
        user, item, category, action, stamp = plain.groups()
        ts = int(stamp)
        if ts < 4_102_444_800:
            user, item, category = _canonical(user), _canonical(item), _canonical(category)
            if user is not None and item is not None and category is not None:
                return Row(number, user, item, category, action, ts)
    return _parse_fields(number, text)


def _parse_fields(number: int, text: str) -> Row | str:
    parts = text.strip().split(",")
    if len(parts) != 5:
        return "fields"
    user, item, category, action, stamp = (part.strip() for part in parts)
    if not (_plain_id(user) and _plain_id(item) and _plain_id(category)):
        return "id"
    if action not in ACTION_WEIGHT:
        return "behavior_type"
    if not (stamp.isascii() and stamp.lstrip("-").isdigit()) or len(stamp) > 12:
        return "timestamp"
    ts = int(stamp)
    # Up to 2100-01-01: anything later (or negative) is a broken clock or a broken line.
    if not 0 <= ts < 4_102_444_800:
        return "timestamp"
    return Row(number, str(int(user)), str(int(item)), str(int(category)), action, ts)


_ACTION_OF = {action.encode(): action for action in ACTIONS}


def read_rows(path: Path, malformed: Malformed) -> Iterator[Row]:
    """Stream the file's rows; malformed lines are counted (with their numbers), never raised."""
    action_of = _ACTION_OF.get
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            # The common line, read from its bytes: five fields, plain ASCII digits with
            # no leading zero (so canonical and below ``MAX_ID``), no spaces. Any other
            # line goes through ``parse_line``, which accepts this one with the same values.
            parts = raw.split(b",")
            if len(parts) == 5:
                user, item, category, behavior, stamp = parts
                stamp = stamp.rstrip(b"\r\n")
                action = action_of(behavior)
                if (
                    action is not None
                    and 0 < len(user) < 19
                    and 0 < len(item) < 19
                    and 0 < len(category) < 19
                    and len(stamp) <= 10
                    and user.isdigit()
                    and item.isdigit()
                    and category.isdigit()
                    and stamp.isdigit()
                    and user[0] != 48  # b"0"
                    and item[0] != 48
                    and category[0] != 48
                ):
                    ts = int(stamp)
                    if ts < 4_102_444_800:
                        yield Row(
                            number, user.decode(), item.decode(), category.decode(), action, ts
                        )
                        continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                malformed.add(number, "encoding")
                continue
            if not text.strip():
                continue
            parsed = parse_line(number, text)
            if isinstance(parsed, str):
                malformed.add(number, parsed)
            else:
                yield parsed
