"""Look-ups by many concurrent requests answered by one read.

A ``Coalescer`` takes keys from whoever asks and reads them together: the keys asked
for while no read runs go out at once as one read (``fetch``); those asked for while
a read runs wait for the next one, which then takes all of them. So under load a
read serves many requests, and alone a request waits for nothing but its own read —
there is no timer. A key asked for twice before its read goes out is read once.

The flash-sale buy reads each buyer's token this way (every buyer's first click is a
token the cache does not know, and thousands arrive in the same second): one
statement for the clicks of a moment instead of one unit of work each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[Sequence[K]], Awaitable[Mapping[K, V]]]


class Coalescer(Generic[K, V]):
    def __init__(self, fetch: Fetch[K, V], *, most: int = 256) -> None:
        """``fetch``: reads some keys, answers those it found (a key left out is not
        found: ``get`` answers None); at most ``most`` keys a read."""
        if most < 1:
            raise ValueError("most must be at least 1")
        self._fetch = fetch
        self._most = most
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0  # reads made so far (for the operator's figures and the tests)

    async def get(self, key: K) -> V | None:
        """The value read for ``key`` (None: not found). A failed read raises its error
        to every request whose key it held."""
        answer: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(answer)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all())
        return await answer

    def _take(self) -> dict[K, list[asyncio.Future[V | None]]]:
        keys = list(self._waiting)[: self._most]
        return {key: self._waiting.pop(key) for key in keys}

    async def _read_all(self) -> None:
        while self._waiting:
            taken = self._take()
            # Keys whose every request went away meanwhile are not read.
            wanted = [key for key, answers in taken.items() if any(not a.done() for a in answers)]
            if not wanted:
                continue
            self.reads += 1
            try:
                found = await self._fetch(wanted)
            except Exception as failed:
                for answers in taken.values():
                    for answer in answers:
                        if not answer.done():
                            answer.set_exception(failed)
                continue
            except BaseException:  # cancelled (the app is stopping): nobody is left waiting
                for answers in [*taken.values(), *self._waiting.values()]:
                    for answer in answers:
                        answer.cancel()
                self._waiting.clear()
                raise
            for key, answers in taken.items():
                value = found.get(key)
                for answer in answers:
                    if not answer.done():
                        answer.set_result(value)
        # Nothing awaited since the keys were seen gone: a key asked for from now on
        # finds this task done and starts another.
