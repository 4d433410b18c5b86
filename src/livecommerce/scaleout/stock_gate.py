"""The Redis stock gate: one Lua script decides a buy, the database keeps the record.

For flash sales and hot products the database's conditional UPDATE becomes the
bottleneck: every buyer queues on one row. The gate moves the decision into
Redis. One Lua script, run atomically, checks the buyer's limit, checks the
units left and takes them, and remembers the take under a token. The caller
then stores the take (``stock_gate_takes``, the token is its id) in the same
unit of work as the order, so what was sold is durable.

Redis keys of a gate ``NAME`` (prefix ``lc:gate:NAME:``):
``left`` units left; ``bought`` hash buyer id → units held; ``takes`` hash
token → ``buyer|quantity|taken_at_ms``; ``recover_after`` set while a lost gate
is paused; ``checked`` throttles the reconciliations a refused take starts.

Off-by-one: a buyer may take ``q`` units when ``bought + q <= limit`` (refused
when ``bought + q > limit``) and when ``left >= q`` (refused when ``left < q``).

``reconcile`` brings Redis back into agreement with the database after a crash
of either: Redis lost or restored an old snapshot, or an app worker died
between the Redis take and its commit. Units are ``units_total`` minus what the
database holds; a take Redis knows and the database does not is kept while it
is younger than ``grace_s`` (its transaction may still commit) and given back
after that. One script rewrites the keys, so takes running meanwhile are not lost.

When Redis has lost a gate, takes in flight at that moment may still commit
records Redis no longer knows. So the gate first pauses for ``grace_s``
(takes are refused with 409 ``gate_recovering``), and only then is it rebuilt
from the database. ``grace_s`` must exceed the longest buying transaction.

Flash sales go through a gate whenever Redis is configured
(``interactions/flash_sales.py``, gate ``flash:<sale id>``); ``livecommerce stock
reconcile`` reconciles their gates, and ``reconcile_soon`` lets a refused take
start a throttled reconciliation by itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit import pending
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import Conflict, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import runtime_of
from livecommerce.models import StockGate, StockGateTake

DEFAULT_GRACE_S = 30.0

# KEYS: left, bought, takes. ARGV: buyer, quantity, limit, token.
# Returns {status, left}: status 1 taken, 2 already taken (same token), -1 over the
# buyer's limit, -2 not enough units, -3 the gate is not loaded (reconcile first).
_TAKE = """
local existing = redis.call('HGET', KEYS[3], ARGV[4])
local left = redis.call('GET', KEYS[1])
if existing then return {2, tonumber(left or 0)} end
if not left then return {-3, 0} end
left = tonumber(left)
local quantity = tonumber(ARGV[2])
local bought = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or 0)
if bought + quantity > tonumber(ARGV[3]) then return {-1, left} end
if left < quantity then return {-2, left} end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('DECRBY', KEYS[1], quantity)
redis.call('HINCRBY', KEYS[2], ARGV[1], quantity)
redis.call('HSET', KEYS[3], ARGV[4], ARGV[1] .. '|' .. quantity .. '|' .. now_ms)
return {1, left - quantity}
"""

# KEYS: left, bought, takes. ARGV: token. Gives a take's units back (once).
_RELEASE = """
local take = redis.call('HGET', KEYS[3], ARGV[1])
if not take then return 0 end
local buyer, quantity = string.match(take, '^([^|]+)|(%d+)|')
quantity = tonumber(quantity)
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], quantity) end
if redis.call('HINCRBY', KEYS[2], buyer, -quantity) <= 0 then
  redis.call('HDEL', KEYS[2], buyer)
end
return quantity
"""

# KEYS: left, bought, takes, recover_after. ARGV: units_total, grace_ms,
# JSON [[token, buyer, quantity]…] of the database's takes, "1" for a new gate.
# Returns {left, given_back, restored}, or {-1, 0, 0} while a lost gate is paused.
# A grace of 0 (the caller knows no take is in flight) also ends a pause at once.
_RECONCILE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local grace = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 and ARGV[4] ~= '1' then
  local after = redis.call('GET', KEYS[4])
  if not after then
    redis.call('SET', KEYS[4], now_ms + grace, 'PX', grace + 86400000)
    if grace > 0 then return {-1, 0, 0} end
  elseif grace > 0 and now_ms < tonumber(after) then
    return {-1, 0, 0}
  end
end
redis.call('DEL', KEYS[4])
local stored = cjson.decode(ARGV[3])
local takes = {}
local known = {}
for _, take in ipairs(stored) do
  known[take[1]] = true
  takes[take[1]] = take[2] .. '|' .. take[3] .. '|' .. now_ms
end
local restored = 0
local flat = redis.call('HGETALL', KEYS[3])
local in_redis = {}
for i = 1, #flat, 2 do in_redis[flat[i]] = flat[i + 1] end
for _, take in ipairs(stored) do
  if in_redis[take[1]] then takes[take[1]] = in_redis[take[1]] else restored = restored + 1 end
end
local given_back = 0
for token, value in pairs(in_redis) do
  if not known[token] then
    local taken_at = tonumber(string.match(value, '|(%d+)$') or 0)
    if now_ms - taken_at < grace then takes[token] = value else given_back = given_back + 1 end
  end
end
local left = tonumber(ARGV[1])
local bought = {}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
for token, value in pairs(takes) do
  local buyer, quantity = string.match(value, '^([^|]+)|(%d+)|')
  quantity = tonumber(quantity)
  left = left - quantity
  bought[buyer] = (bought[buyer] or 0) + quantity
  redis.call('HSET', KEYS[3], token, value)
end
for buyer, quantity in pairs(bought) do redis.call('HSET', KEYS[2], buyer, quantity) end
redis.call('SET', KEYS[1], left)
return {left, given_back, restored}
"""

TakeStatus = Literal["taken", "already_taken", "over_limit", "sold_out"]
# A closed gate's keys stay this long, so a take racing the close still finds them.
CLOSED_GATE_KEEP_S = 3600


@dataclass(frozen=True)
class Reconciled:
    left: int
    given_back: int  # takes Redis had, the database did not, older than the grace
    restored: int  # takes the database had, Redis did not


class StockGateUnavailable(RuntimeError):
    """The gate needs Redis (``LIVECOMMERCE_REDIS_URL``)."""


def gate_keys(name: str) -> list[str]:
    """left, bought, takes, recover_after (set while a lost gate is paused)."""
    prefix = f"lc:gate:{name}:"
    return [prefix + "left", prefix + "bought", prefix + "takes", prefix + "recover_after"]


class StockGateService:
    def __init__(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        self.grace_s = grace_s
        self._scripts: dict[int, tuple[Any, Any, Any]] = {}

    def enabled(self, session: AsyncSession) -> bool:
        """True when the runtime's broker is Redis (the gate can be used)."""
        return getattr(runtime_of(session).broker, "redis", None) is not None

    def _redis(self, session: AsyncSession) -> tuple[Any, tuple[Any, Any, Any]]:
        redis = getattr(runtime_of(session).broker, "redis", None)
        if redis is None:
            raise StockGateUnavailable("the stock gate needs LIVECOMMERCE_REDIS_URL")
        scripts = self._scripts.get(id(redis))
        if scripts is None:
            scripts = (
                redis.register_script(_TAKE),
                redis.register_script(_RELEASE),
                redis.register_script(_RECONCILE),
            )
            self._scripts[id(redis)] = scripts
        return redis, scripts

    async def do_open(
        self, session: AsyncSession, name: str, *, units: int, per_buyer_limit: int
    ) -> StockGate:
        """Create a gate and load it into Redis once the transaction commits."""
        if units < 0 or per_buyer_limit < 1 or not name or len(name) > 80:
            raise ValidationFailed("A gate needs a name, units ≥ 0 and a limit ≥ 1.")
        gate = StockGate(name=name, units_total=units, per_buyer_limit=per_buyer_limit)
        session.add(gate)
        await session.flush()
        runtime = runtime_of(session)

        async def _load() -> None:
            async with runtime.db.transaction() as own:
                await self.reconcile(own, name, new_gate=True)

        after_commit(session, _load)
        return gate

    async def get_gate(self, session: AsyncSession, name: str) -> StockGate:
        gate = await session.get(StockGate, name)
        if gate is None:
            raise NotFound("No such stock gate.", code="stock_gate_not_found")
        return gate

    async def do_take(
        self,
        session: AsyncSession,
        name: str,
        buyer_id: str,
        quantity: int = 1,
        *,
        token: str | None = None,
    ) -> StockGateTake:
        """Take units in Redis, record them in this unit of work; 409 when refused.

        Pass the same ``token`` to retry a take: it is not taken twice. If the unit
        of work rolls back, the Redis take is given back by the next ``reconcile``
        (after the grace) or at once by ``do_release`` / ``give_back``.
        """
        token = token or new_id()
        await self.take_units(session, name, buyer_id, quantity, token=token)
        return await self.record_take(session, name, buyer_id, quantity, token=token)

    async def take_units(
        self,
        session: AsyncSession,
        name: str,
        buyer_id: str,
        quantity: int,
        *,
        token: str,
        per_buyer_limit: int | None = None,
    ) -> bool:
        """The Redis half of a take: True when this call took the units, False when
        the token already held them (a retry). Refusals are 409s: ``buyer_limit_reached``,
        ``out_of_stock`` (``details.left``: what the gate has), ``gate_recovering``.
        ``per_buyer_limit``: the gate's, when the caller knows it (it never changes),
        which saves reading the gate's row."""
        if quantity < 1:
            raise ValidationFailed("Take at least one unit.", code="bad_quantity")
        limit = (
            per_buyer_limit
            if per_buyer_limit is not None
            else (await self.get_gate(session, name)).per_buyer_limit
        )
        _, (take, _release, _reconcile) = self._redis(session)
        keys = gate_keys(name)[:3]
        args = [buyer_id, quantity, limit, token]
        status, left = await take(keys=keys, args=args)
        if status == -3:  # Redis lost the gate: rebuild it from the database, then retry
            if await self.reconcile(session, name) is None:
                raise Conflict(
                    "The sale is recovering from an outage; try again in a moment.",
                    code="gate_recovering",
                )
            status, left = await take(keys=keys, args=args)
        if status == -1:
            raise Conflict(f"At most {limit} per buyer.", code="buyer_limit_reached")
        if status == -2:
            raise Conflict("Sold out.", code="out_of_stock", details={"left": int(left)})
        return bool(status == 1)

    async def record_take(
        self, session: AsyncSession, name: str, buyer_id: str, quantity: int, *, token: str
    ) -> StockGateTake:
        """The durable half: the take's row, in the caller's unit of work."""
        existing = await session.get(StockGateTake, token)
        if existing is not None:
            return existing
        record = StockGateTake(id=token, gate_name=name, buyer_id=buyer_id, quantity=quantity)
        session.add(record)
        await session.flush()
        return record

    async def record_takes(
        self, session: AsyncSession, name: str, takes: list[tuple[str, str, int]]
    ) -> None:
        """``record_take`` for a batch of ``(token, buyer_id, quantity)``: one statement;
        a take recorded before is kept as it is."""
        if not takes:
            return
        rows = [
            {"id": token, "gate_name": name, "buyer_id": buyer_id, "quantity": quantity}
            for token, buyer_id, quantity in takes
        ]
        table = cast(Table, StockGateTake.__table__)
        await pending.insert_rows(session, table, rows, ignore_conflicts=True)

    async def give_back(self, session: AsyncSession, name: str, token: str) -> int:
        """Undo a Redis take at once (its unit of work failed); the units given back."""
        _, (_take, release, _reconcile) = self._redis(session)
        return int(await release(keys=gate_keys(name)[:3], args=[token]))

    async def do_release(self, session: AsyncSession, name: str, token: str) -> bool:
        """Give a take back (an order cancelled or expired); True if there was one."""
        _, (_take, release, _reconcile) = self._redis(session)
        deleted = await session.execute(
            delete(StockGateTake).where(StockGateTake.id == token, StockGateTake.gate_name == name)
        )
        found = bool(getattr(deleted, "rowcount", 0))

        async def _release() -> None:
            await release(keys=gate_keys(name)[:3], args=[token])

        after_commit(session, _release)
        return found

    def do_close(self, session: AsyncSession, name: str) -> None:
        """The gate's sale is over: once this commits its Redis keys expire (after
        ``CLOSED_GATE_KEEP_S``, so a take racing the close still finds them). Its
        stored takes stay as the record of what was sold."""
        redis, _ = self._redis(session)
        left, bought, takes, recover_after = gate_keys(name)

        async def _expire() -> None:
            async with redis.pipeline(transaction=True) as pipe:
                for key in (left, bought, takes):
                    pipe.expire(key, CLOSED_GATE_KEEP_S)
                pipe.delete(recover_after)
                await pipe.execute()

        after_commit(session, _expire)

    async def reconcile_soon(self, session: AsyncSession, name: str) -> Reconciled | None:
        """Reconcile in a unit of work of its own, at most once per ``grace_s`` per gate
        across all workers: cheap enough to call whenever Redis and the database are
        seen to disagree. None when it did not run (or the gate is paused)."""
        runtime = runtime_of(session)
        redis, _ = self._redis(session)
        checked = f"lc:gate:{name}:checked"
        if not await redis.set(checked, 1, nx=True, px=max(int(self.grace_s * 1000), 1)):
            return None
        async with runtime.db.transaction() as own:
            return await self.reconcile(own, name)

    async def reconcile(
        self,
        session: AsyncSession,
        name: str,
        *,
        grace_s: float | None = None,
        new_gate: bool = False,
    ) -> Reconciled | None:
        """Rebuild the gate's Redis keys from the database (see the module notes);
        None while a gate Redis lost is paused for the grace."""
        grace_s = self.grace_s if grace_s is None else grace_s
        gate = await self.get_gate(session, name)
        _, (_take, _release, reconcile) = self._redis(session)
        rows = await session.execute(
            select(StockGateTake.id, StockGateTake.buyer_id, StockGateTake.quantity).where(
                StockGateTake.gate_name == name
            )
        )
        stored = [[token, buyer, quantity] for token, buyer, quantity in rows.all()]
        left, given_back, restored = await reconcile(
            keys=gate_keys(name),
            args=[gate.units_total, int(grace_s * 1000), json.dumps(stored), int(new_gate)],
        )
        if left == -1 and not new_gate:
            return None
        return Reconciled(left=int(left), given_back=int(given_back), restored=int(restored))

    async def units_left(self, session: AsyncSession, name: str) -> int | None:
        """What Redis says is left (None: not loaded)."""
        redis, _ = self._redis(session)
        value = await redis.get(gate_keys(name)[0])
        return None if value is None else int(value)

    async def held_by(self, session: AsyncSession, name: str) -> dict[str, int]:
        """Units per buyer according to Redis."""
        redis, _ = self._redis(session)
        raw: dict[str, str] = await redis.hgetall(gate_keys(name)[1])
        return {buyer: int(units) for buyer, units in raw.items()}


stock_gate_service = StockGateService()
