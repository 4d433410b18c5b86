"""Benchmark data written straight into the database, and the fresh database itself."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

BENCH_PASSWORD = "bench password"


@dataclass(frozen=True)
class Buyer:
    user_id: str
    email: str
    token: str
    address_id: str


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    data_dir: Path
    is_sqlite: bool


@asynccontextmanager
async def bench_database(database_url: str | None) -> AsyncIterator[BenchDatabase]:
    """A migrated database: a fresh SQLite file in a scratch directory, or the given URL
    (PostgreSQL), upgraded to the current schema. The scratch directory is removed after."""
    from livecommerce.kit.db import is_sqlite_url
    from livecommerce.kit.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="lc-bench-"))
    url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield BenchDatabase(url=url, data_dir=workdir, is_sqlite=is_sqlite_url(url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def seed_buyers(database_url: str, count: int, *, tag: str) -> list[Buyer]:
    """Buyers with an API token and a default address, written straight into the database
    (signing thousands of people up through argon2 would measure the password hasher).
    Every buyer's password is ``BENCH_PASSWORD``; ``tag`` keeps e-mails unique per run."""
    from livecommerce.accounts.security import hash_password, hash_token
    from livecommerce.kit.clock import utcnow
    from livecommerce.kit.db import Database
    from livecommerce.kit.ids import new_id, new_token
    from livecommerce.models import Address, AuthSession, User

    password_hash = hash_password(BENCH_PASSWORD)
    now = utcnow()
    users: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    buyers: list[Buyer] = []
    for number in range(count):
        user_id = new_id()
        token = new_token()
        address_id = new_id()
        email = f"buyer{number}.{tag}@bench.invalid"
        buyers.append(Buyer(user_id=user_id, email=email, token=token, address_id=address_id))
        users.append(
            {
                "id": user_id,
                "email": email,
                "display_name": f"买家{number}",
                "password_hash": password_hash,
                "role": "viewer",
                "locale": "zh",
                "is_active": True,
                "created_at": now,
            }
        )
        sessions.append(
            {
                "id": new_id(),
                "user_id": user_id,
                "token_hash": hash_token(token),
                "kind": "api",
                "created_at": now,
                "expires_at": now + timedelta(days=1),
            }
        )
        addresses.append(
            {
                "id": address_id,
                "user_id": user_id,
                "recipient": f"买家{number}",
                "phone": "13800000000",
                "region": "浙江省 杭州市",
                "line1": "文一西路 1 号",
                "postal_code": "310000",
                "is_default": True,
                "created_at": now,
            }
        )
    db = Database(database_url)
    try:
        for start in range(0, count, 2000):
            async with db.transaction() as session:
                await session.execute(insert(User), users[start : start + 2000])
                await session.execute(insert(AuthSession), sessions[start : start + 2000])
                await session.execute(insert(Address), addresses[start : start + 2000])
    finally:
        await db.dispose()
    return buyers


async def set_role(database_url: str, user_id: str, role: str) -> None:
    from sqlalchemy import update

    from livecommerce.kit.db import Database
    from livecommerce.models import Role, User

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            await session.execute(update(User).where(User.id == user_id).values(role=Role(role)))
    finally:
        await db.dispose()
