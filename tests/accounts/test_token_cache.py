"""The token cache: bounded in time, forgotten on every worker sharing a broker."""

from __future__ import annotations

from datetime import timedelta

from livecommerce.accounts.token_cache import TTL_S, TokenCache, forget, token_cache
from livecommerce.config import Settings
from livecommerce.kit.broker import InMemoryBroker
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.db import Database
from livecommerce.kit.runtime import Runtime
from livecommerce.models import User


def _user(user_id: str) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        display_name=user_id,
        password_hash="x",
        role="viewer",
        locale="zh",
        is_active=True,
        created_at=utcnow(),
    )


def test_an_entry_lives_the_ttl_and_never_past_its_session() -> None:
    clock.freeze(utcnow())
    cache = TokenCache()
    cache.put("long", _user("u1"), utcnow() + timedelta(days=1))
    cache.put("short", _user("u2"), utcnow() + timedelta(seconds=1))
    assert cache.get("long") is not None
    assert cache.get("short") is not None
    clock.advance(timedelta(seconds=1))
    assert cache.get("short") is None
    assert cache.get("long") is not None
    clock.advance(timedelta(seconds=TTL_S))
    assert cache.get("long") is None


async def test_a_forget_reaches_every_worker_on_the_broker(settings: Settings) -> None:
    broker = InMemoryBroker()
    await broker.start()
    database = Database(settings.database_url)
    workers = [Runtime(settings=settings, db=database, broker=broker) for _ in range(2)]
    try:
        caches = [await token_cache(worker) for worker in workers]
        for cache in caches:
            cache.put("token-a", _user("u1"), utcnow() + timedelta(days=1))
            cache.put("token-b", _user("u1"), utcnow() + timedelta(days=1))
            cache.put("token-c", _user("u2"), utcnow() + timedelta(days=1))
        await forget(workers[0], token_hash="token-a")
        assert [cache.get("token-a") for cache in caches] == [None, None]
        await forget(workers[1], user_id="u1")
        assert [cache.get("token-b") for cache in caches] == [None, None]
        assert all(cache.get("token-c") is not None for cache in caches)
    finally:
        await broker.close()
        await database.dispose()
