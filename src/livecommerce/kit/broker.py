"""Message broker: fan-out of realtime events and shared counters.

The in-process broker is the embedded default. The Redis broker lets several
app workers share one room: every worker subscribes to the rooms its own
viewers watch, and counters (likes, online viewers) live in Redis.
Channel names: ``live:{session_id}`` for a live session's room events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Listener = Callable[[str], None]  # receives the JSON text of one message


def live_channel(session_id: str) -> str:
    return f"live:{session_id}"


class Broker(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    async def subscribe(self, channel: str, listener: Listener) -> None: ...

    async def unsubscribe(self, channel: str, listener: Listener) -> None: ...

    async def incr(self, key: str, amount: int = 1, *, expire_s: int | None = None) -> int:
        """Add ``amount`` to a shared counter; ``expire_s`` (re)sets its time to live."""
        ...

    async def get_int(self, key: str) -> int | None: ...

    async def set_int_if_missing(self, key: str, value: int) -> None: ...


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class _Listeners:
    def __init__(self) -> None:
        self.by_channel: dict[str, list[Listener]] = {}

    def add(self, channel: str, listener: Listener) -> bool:
        """Returns True when this is the channel's first listener."""
        listeners = self.by_channel.setdefault(channel, [])
        listeners.append(listener)
        return len(listeners) == 1

    def remove(self, channel: str, listener: Listener) -> bool:
        """Returns True when the channel has no listener left."""
        listeners = self.by_channel.get(channel, [])
        with contextlib.suppress(ValueError):
            listeners.remove(listener)
        if not listeners:
            self.by_channel.pop(channel, None)
            return True
        return False

    def deliver(self, channel: str, text: str) -> None:
        for listener in list(self.by_channel.get(channel, ())):
            try:
                listener(text)
            except Exception:
                log.exception("listener failed on %s", channel)


class InMemoryBroker:
    def __init__(self) -> None:
        self._listeners = _Listeners()
        self._counters: dict[str, int] = {}
        self._expiry: dict[str, float] = {}  # key -> monotonic deadline

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.by_channel.clear()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._listeners.deliver(channel, encode(message))

    async def subscribe(self, channel: str, listener: Listener) -> None:
        self._listeners.add(channel, listener)

    async def unsubscribe(self, channel: str, listener: Listener) -> None:
        self._listeners.remove(channel, listener)

    async def incr(self, key: str, amount: int = 1, *, expire_s: int | None = None) -> int:
        self._drop_expired()
        self._counters[key] = self._counters.get(key, 0) + amount
        if expire_s is not None:
            self._expiry[key] = time.monotonic() + expire_s
        return self._counters[key]

    async def get_int(self, key: str) -> int | None:
        self._drop_expired()
        return self._counters.get(key)

    def _drop_expired(self) -> None:
        if not self._expiry:
            return
        now = time.monotonic()
        for key in [key for key, deadline in self._expiry.items() if deadline <= now]:
            del self._expiry[key]
            self._counters.pop(key, None)

    async def set_int_if_missing(self, key: str, value: int) -> None:
        self._counters.setdefault(key, value)


class RedisBroker:
    """Redis pub/sub for events, plain keys for counters (prefix ``lc:``)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis_asyncio

        self._redis = redis_asyncio.Redis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub()
        self._listeners = _Listeners()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish("lc:" + channel, encode(message))

    async def subscribe(self, channel: str, listener: Listener) -> None:
        if self._listeners.add(channel, listener):
            await self._pubsub.subscribe("lc:" + channel)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_forever())

    async def unsubscribe(self, channel: str, listener: Listener) -> None:
        if self._listeners.remove(channel, listener):
            await self._pubsub.unsubscribe("lc:" + channel)

    async def _read_forever(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except Exception:
                log.exception("redis pub/sub read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                continue
            channel = str(message["channel"]).removeprefix("lc:")
            self._listeners.deliver(channel, str(message["data"]))

    async def incr(self, key: str, amount: int = 1, *, expire_s: int | None = None) -> int:
        if expire_s is None:
            return int(await self._redis.incrby("lc:" + key, amount))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby("lc:" + key, amount)
            pipe.expire("lc:" + key, expire_s)
            value, _ = await pipe.execute()
        return int(value)

    async def get_int(self, key: str) -> int | None:
        value = await self._redis.get("lc:" + key)
        return None if value is None else int(value)

    async def set_int_if_missing(self, key: str, value: int) -> None:
        await self._redis.set("lc:" + key, value, nx=True)


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InMemoryBroker()
