"""``Broker.warm``: the Redis client's pool is opened to the size asked before serving."""

from __future__ import annotations

from typing import Any

import pytest

from livecommerce.kit.broker import InMemoryBroker, RedisBroker
from tests.conftest import TEST_REDIS_URL


async def test_warming_opens_the_redis_connections_asked_for() -> None:
    if not TEST_REDIS_URL:
        pytest.skip("needs Redis")
    broker = RedisBroker(TEST_REDIS_URL)
    await broker.start()
    try:
        await broker.warm(6)
        pool: Any = broker.redis.connection_pool
        available = list(pool._available_connections)
        assert (len(available), len(pool._in_use_connections)) == (6, 0)
        assert all(connection.is_connected for connection in available)
        await broker.warm(3)  # already open: none more
        assert len(pool._available_connections) == 6
    finally:
        await broker.close()


async def test_warming_the_in_process_broker_does_nothing() -> None:
    broker = InMemoryBroker()
    await broker.warm(6)
    assert await broker.get_int("anything") is None
