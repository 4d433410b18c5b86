"""Exit 0 when the PostgreSQL and Redis URLs given answer, 1 otherwise (with a reason)."""

from __future__ import annotations

import asyncio
import sys


async def _check(pg_url: str, redis_url: str) -> None:
    import redis.asyncio as redis_asyncio
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(pg_url)
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    await engine.dispose()
    client = redis_asyncio.Redis.from_url(redis_url)
    await client.ping()
    await client.aclose()


def main() -> int:
    try:
        asyncio.run(asyncio.wait_for(_check(sys.argv[1], sys.argv[2]), timeout=10))
    except Exception as exc:
        print(f"service check failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
