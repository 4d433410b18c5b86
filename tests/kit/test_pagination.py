"""The opaque cursor: it round-trips a sort key and refuses anything it did not make."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from livecommerce.kit.pagination import BadCursor, decode_cursor, encode_cursor


def test_a_cursor_round_trips_its_key() -> None:
    at = datetime(2026, 11, 29, 12, 30, 1, 123456, tzinfo=UTC)
    cursor = encode_cursor([at, "abc123", 7])
    assert decode_cursor(cursor) == ["2026-11-29T12:30:01.123456+00:00", "abc123", 7]
    assert "=" not in cursor
    assert base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x",
        "not base64 !!",
        "%%%%",
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00","a"]').decode(),
        "A" * 600,
    ],
)
def test_a_foreign_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursor) as caught:
        decode_cursor(cursor)
    assert caught.value.status == 422
    assert caught.value.code == "bad_cursor"
    assert caught.value.message.endswith(".")


def test_an_edited_cursor_is_refused() -> None:
    cursor = encode_cursor(["2026-01-01T00:00:00+00:00", "abc"])
    edited = cursor[:5] + ("B" if cursor[5] != "B" else "C") + cursor[6:]
    with pytest.raises(BadCursor):
        decode_cursor(edited)
    with pytest.raises(BadCursor):
        decode_cursor(cursor[:-2])
