"""Ids that grow with time: one at a time and many at once."""

from __future__ import annotations

from livecommerce.kit.ids import ordered_id, ordered_ids


def test_ids_made_at_once_grow_with_those_made_one_by_one() -> None:
    before = ordered_id()
    many = ordered_ids(1_000)
    after = ordered_id()
    assert [before, *many, after] == sorted({before, *many, after})
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in many)
    assert ordered_ids(0) == []
