"""Look-ups of concurrent requests read together (``kit/coalesce.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from livecommerce.kit.coalesce import Coalescer


async def settle() -> None:
    """Let every task that can run, run (a request queues, a read goes out)."""
    for _ in range(5):
        await asyncio.sleep(0)


class Store:
    """A fetch that records what each read asked for; a read may be held open."""

    def __init__(self, values: dict[str, int]) -> None:
        self.values = values
        self.reads: list[list[str]] = []
        self.gate: asyncio.Event | None = None
        self.fail_next: Exception | None = None

    async def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        self.reads.append(list(keys))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next is not None:
            failed, self.fail_next = self.fail_next, None
            raise failed
        return {key: self.values[key] for key in keys if key in self.values}


async def test_requests_of_the_same_moment_are_one_read() -> None:
    store = Store({"a": 1, "b": 2, "c": 3})
    reads = Coalescer(store.fetch)
    found = await asyncio.gather(*(reads.get(key) for key in ["a", "b", "x", "a", "c"]))
    assert found == [1, 2, None, 1, 3]
    assert store.reads == [["a", "b", "x", "c"]]  # "a" asked twice, read once
    assert reads.reads == 1


async def test_keys_asked_during_a_read_go_together_in_the_next() -> None:
    store = Store({str(n): n for n in range(10)})
    store.gate = asyncio.Event()
    reads = Coalescer(store.fetch)
    first = asyncio.ensure_future(reads.get("0"))
    await settle()  # the first read is out, held open
    assert store.reads == [["0"]]
    later = [asyncio.ensure_future(reads.get(str(n))) for n in range(1, 6)]
    await settle()
    assert store.reads == [["0"]]  # they wait for the read in flight
    store.gate.set()
    assert await first == 0
    assert await asyncio.gather(*later) == [1, 2, 3, 4, 5]
    assert store.reads == [["0"], ["1", "2", "3", "4", "5"]]


async def test_a_read_takes_at_most_its_share_of_keys() -> None:
    store = Store({str(n): n for n in range(7)})
    reads = Coalescer(store.fetch, most=3)
    found = await asyncio.gather(*(reads.get(str(n)) for n in range(7)))
    assert found == list(range(7))
    assert store.reads == [["0", "1", "2"], ["3", "4", "5"], ["6"]]


async def test_a_failed_read_fails_its_own_requests_only() -> None:
    store = Store({"a": 1, "b": 2})
    store.gate = asyncio.Event()
    store.fail_next = RuntimeError("the database went away")
    reads = Coalescer(store.fetch)
    failing = asyncio.ensure_future(reads.get("a"))
    await settle()
    after = asyncio.ensure_future(reads.get("b"))
    await settle()
    store.gate.set()
    with pytest.raises(RuntimeError, match="went away"):
        await failing
    assert await after == 2
    assert await reads.get("a") == 1  # and the next request for it reads again
    assert store.reads == [["a"], ["b"], ["a"]]


async def test_a_request_that_went_away_is_not_read_for() -> None:
    store = Store({"a": 1, "b": 2})
    store.gate = asyncio.Event()
    reads = Coalescer(store.fetch)
    first = asyncio.ensure_future(reads.get("a"))
    await settle()
    gone = asyncio.ensure_future(reads.get("b"))
    staying = asyncio.ensure_future(reads.get("a"))
    await settle()
    gone.cancel()
    store.gate.set()
    assert await first == 1
    assert await staying == 1
    assert gone.cancelled()
    assert store.reads == [["a"], ["a"]]


def test_most_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Coalescer(Store({}).fetch, most=0)
