"""Message broker: fan-out of realtime events and shared counters.

The in-process broker is the embedded default. The Redis broker lets several
app workers share one room: every worker subscribes to the rooms its own
viewers watch, and counters (likes, online viewers) live in Redis.
Names in Redis (all prefixed ``lc:``): pub/sub channel ``lc:live:{session_id}``
for a live session's room events, ``lc:user:{user_id}`` for one user's own
(the unread count of the bell); counters ``lc:likes:{session_id}``,
``lc:chat-rate:…``, ``lc:flood:…``; the hash ``lc:online:{session_id}`` of
per-worker viewer counts (field = worker id, value = ``count:expiry_ms``).

Shares (``report_share`` / ``sum_shares``) make per-worker figures crash-safe:
each worker reports its own count with a time to live and re-reports it every
tick; a worker that dies stops reporting and its share expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Listener = Callable[[str], None]  # receives the JSON text of one message


def live_channel(session_id: str) -> str:
    return f"live:{session_id}"


def user_channel(user_id: str) -> str:
    """One signed-in user's own events (the notification bell), on every page."""
    return f"user:{user_id}"


class Broker(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def warm(self, connections: int) -> None:
        """Open this many connections to the broker's server now (none in process)."""
        ...

    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    async def subscribe(self, channel: str, listener: Listener) -> None: ...

    async def unsubscribe(self, channel: str, listener: Listener) -> None: ...

    async def incr(self, key: str, amount: int = 1, *, expire_s: int | None = None) -> int:
        """Add ``amount`` to a shared counter; ``expire_s`` (re)sets its time to live."""
        ...

    async def incr_many(self, keys: list[str], *, expire_s: int) -> None:
        """``incr`` of each key by one, with this time to live, in one round trip."""
        ...

    async def get_int(self, key: str) -> int | None: ...

    async def get_ints(self, keys: list[str]) -> list[int | None]:
        """Several counters in one round trip (``get_int`` of each)."""
        ...

    async def set_int_if_missing(self, key: str, value: int) -> None: ...

    async def report_share(self, key: str, member: str, value: int, ttl_s: float) -> None:
        """Set ``member``'s share of ``key`` (0 removes it); it expires after ``ttl_s``."""
        ...

    async def sum_shares(self, key: str) -> int:
        """The sum of the unexpired shares of ``key``."""
        ...


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
        self._deadlines: list[tuple[float, str]] = []  # a heap: expiring costs O(log n)
        self._shares: dict[str, dict[str, tuple[int, float]]] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.by_channel.clear()

    async def warm(self, connections: int) -> None:
        return None

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
            deadline = time.monotonic() + expire_s
            self._expiry[key] = deadline
            heapq.heappush(self._deadlines, (deadline, key))
        return self._counters[key]

    async def incr_many(self, keys: list[str], *, expire_s: int) -> None:
        for key in keys:
            await self.incr(key, 1, expire_s=expire_s)

    async def get_int(self, key: str) -> int | None:
        self._drop_expired()
        return self._counters.get(key)

    async def get_ints(self, keys: list[str]) -> list[int | None]:
        self._drop_expired()
        return [self._counters.get(key) for key in keys]

    def _drop_expired(self) -> None:
        if not self._expiry:
            return
        now = time.monotonic()
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, key = heapq.heappop(self._deadlines)
            if self._expiry.get(key) != deadline:
                continue  # the key's expiry was set again later
            del self._expiry[key]
            self._counters.pop(key, None)

    async def set_int_if_missing(self, key: str, value: int) -> None:
        self._counters.setdefault(key, value)

    async def report_share(self, key: str, member: str, value: int, ttl_s: float) -> None:
        shares = self._shares.setdefault(key, {})
        if value == 0:
            shares.pop(member, None)
            if not shares:
                del self._shares[key]
        else:
            shares[member] = (value, time.monotonic() + ttl_s)

    async def sum_shares(self, key: str) -> int:
        now = time.monotonic()
        shares = self._shares.get(key, {})
        for member in [m for m, (_, deadline) in shares.items() if deadline <= now]:
            del shares[member]
        return sum(value for value, _ in shares.values())


# KEYS[1] the hash; ARGV[1] member, ARGV[2] value, ARGV[3] ttl in ms.
_REPORT_SHARE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[3])
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now_ms + ttl))
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1
"""

# KEYS[1] the hash; sums unexpired shares and removes expired ones.
_SUM_SHARES = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local flat = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #flat, 2 do
  local value, expiry = string.match(flat[i + 1], '^(-?%d+):(%d+)$')
  if value == nil or tonumber(expiry) <= now_ms then
    redis.call('HDEL', KEYS[1], flat[i])
  else
    total = total + tonumber(value)
  end
end
return total
"""


class RedisBroker:
    """Redis pub/sub for events, plain keys for counters (prefix ``lc:``)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis_asyncio

        self._redis = redis_asyncio.Redis.from_url(url, decode_responses=True)
        self._pubsub = self._redis.pubsub()
        self._listeners = _Listeners()
        self._reader: asyncio.Task[None] | None = None
        self._report_share = self._redis.register_script(_REPORT_SHARE)
        self._sum_shares = self._redis.register_script(_SUM_SHARES)

    async def start(self) -> None:
        await self._redis.ping()

    async def warm(self, connections: int) -> None:
        """Open ``connections`` connections to Redis and keep them in the client's pool:
        the pool otherwise grows with the requests in flight, opening connections during
        the first burst (the stock gate's takes, the won keys, the sold-out hint)."""
        pool = self._redis.connection_pool
        opened = []
        try:
            for _ in range(connections):
                opened.append(await pool.get_connection())  # type: ignore[no-untyped-call]
        finally:
            for connection in opened:
                await pool.release(connection)

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

    async def incr_many(self, keys: list[str], *, expire_s: int) -> None:
        if not keys:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.incrby("lc:" + key, 1)
                pipe.expire("lc:" + key, expire_s)
            await pipe.execute()

    async def get_int(self, key: str) -> int | None:
        value = await self._redis.get("lc:" + key)
        return None if value is None else int(value)

    async def get_ints(self, keys: list[str]) -> list[int | None]:
        values = await self._redis.mget(["lc:" + key for key in keys])
        return [None if value is None else int(value) for value in values]

    async def set_int_if_missing(self, key: str, value: int) -> None:
        await self._redis.set("lc:" + key, value, nx=True)

    async def report_share(self, key: str, member: str, value: int, ttl_s: float) -> None:
        await self._report_share(keys=["lc:" + key], args=[member, value, int(ttl_s * 1000)])

    async def sum_shares(self, key: str) -> int:
        return int(await self._sum_shares(keys=["lc:" + key]))

    @property
    def redis(self) -> Any:
        """The client, for Redis-only features (the stock gate)."""
        return self._redis


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InMemoryBroker()
