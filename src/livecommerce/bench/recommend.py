"""`livecommerce bench recommend`: import throughput against a plain bulk-insert ceiling,
training time, serving latency from the precomputed lists, peak memory.

A UserBehavior file is generated (Zipf-like popularity, sessions of related items), imported
with `import userbehavior` into a fresh database, and the same rows are bulk-inserted into a
bare five-column table of the same database as the ceiling (executemany on SQLite, COPY on
PostgreSQL). Then the recommender is trained (the worker's job) and `products_for_viewer` is
timed for random users, each request its own unit of work, through a Runtime (so the
process's few-second cache of shared candidates is used, as in the app). Two ceilings are
measured in the same run: the least a database-backed answer can do (one primary-key read of
the viewer's precomputed list in its own unit of work) and in-memory scoring without any
database (a numpy dot of a user vector with 32-factor item vectors of the catalog's size,
then argpartition for the top 12).
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, text

from livecommerce.bench.registry import register
from livecommerce.config import Settings
from livecommerce.kit.broker import create_broker
from livecommerce.kit.db import Database
from livecommerce.kit.migrate import upgrade
from livecommerce.kit.runtime import Runtime
from livecommerce.models import RecommendList
from livecommerce.profiles.importer import import_userbehavior
from livecommerce.profiles.service import profile_service
from livecommerce.profiles.userbehavior import Malformed, read_rows
from livecommerce.recommend.service import recommend_service

CEILING_BATCH = 20_000
ACTIONS = ("pv",) * 89 + ("cart",) * 5 + ("fav",) * 3 + ("buy",) * 3  # the data set's mix


def generate(path: Path, rows: int, users: int, items: int, seed: int = 11) -> None:
    """Rows in the UserBehavior format: users browse runs of items of a few categories.

    Categories of 50 items; a category's share of sessions and an item's share of its
    category fall off as a power (a popular head, a long tail that is still visited), so a
    file of ten rows per item touches most of the catalogue."""
    chooser = random.Random(seed)
    categories = max(items // 50, 1)
    start = 1_511_539_200  # 2017-11-25, where the real data begins
    with path.open("w") as handle:
        written = 0
        while written < rows:
            user = chooser.randrange(1, users + 1)
            stamp = start + chooser.randrange(9 * 86_400)
            category = int(categories * chooser.random() ** 2)
            for _ in range(min(chooser.randrange(1, 12), rows - written)):
                item = category * 50 + int(50 * chooser.random() ** 2)
                item = min(item, items - 1)
                stamp += chooser.randrange(5, 300)
                action = chooser.choice(ACTIONS)
                handle.write(f"{user},{item + 1},{category + 1},{action},{stamp}\n")
                written += 1


def _naive_utc(stamp: int, as_text: bool) -> datetime | str:
    moment = datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)
    return moment.isoformat(" ") if as_text else moment


async def _ceiling(db: Database, path: Path) -> float:
    """Seconds to bulk-insert the file's rows into a bare table (no ids, no checks): the file
    is parsed a batch at a time (memory stays bounded) and only the inserts are timed."""
    async with db.transaction() as session:
        await session.execute(text("DROP TABLE IF EXISTS bench_raw_behaviour"))
        await session.execute(
            text(
                "CREATE TABLE bench_raw_behaviour (user_id varchar(20), item_id varchar(20),"
                " category_id varchar(20), action varchar(8), occurred_at timestamp)"
            )
        )
    rows = read_rows(path, Malformed())
    seconds = 0.0
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if db.is_sqlite:
            await driver.execute("BEGIN IMMEDIATE")
        while batch := list(islice(rows, CEILING_BATCH)):
            parsed = [
                (row.user, row.item, row.category, row.action, _naive_utc(row.ts, db.is_sqlite))
                for row in batch
            ]
            started = time.perf_counter()
            if db.is_sqlite:
                await driver.executemany(
                    "INSERT INTO bench_raw_behaviour VALUES (?, ?, ?, ?, ?)", parsed
                )
            else:
                await driver.copy_records_to_table("bench_raw_behaviour", records=parsed)
            seconds += time.perf_counter() - started
        if db.is_sqlite:
            started = time.perf_counter()
            await driver.commit()
            seconds += time.perf_counter() - started
    async with db.transaction() as session:
        await session.execute(text("DROP TABLE bench_raw_behaviour"))
    return seconds


def _progress(stage: str, **figures: Any) -> None:
    """A stage's figures on stderr as it ends (a long run that is stopped keeps them)."""
    rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    moment = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[{moment}] {stage}: {figures} peak_rss_mb={rss_mb}", file=sys.stderr, flush=True)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


async def _list_read_ms(db: Database, person: str) -> float:
    """The database ceiling: one primary-key read of the viewer's list in a unit of work."""
    started = time.perf_counter()
    async with db.transaction() as session:
        await session.scalar(
            select(RecommendList.items).where(
                RecommendList.subject == "user", RecommendList.subject_id == person
            )
        )
    return (time.perf_counter() - started) * 1000


def _in_memory_ms(items: int, requests: int, factors: int = 32, k: int = 12) -> list[float]:
    """The in-memory ceiling: dot + argpartition + sort of the top k over all items."""
    rng = np.random.default_rng(3)
    item_factors = rng.standard_normal((max(items, k + 1), factors), dtype=np.float32)
    users = rng.standard_normal((requests, factors), dtype=np.float32)
    latencies: list[float] = []
    for vector in users:
        started = time.perf_counter()
        scores = item_factors @ vector
        top = np.argpartition(-scores, k)[:k]
        top[np.argsort(-scores[top])].tolist()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _summary(latencies: list[float]) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "p50": round(_p(latencies, 0.5), 3),
        "p99": round(_p(latencies, 0.99), 3),
    }


# What serving reads, just written in bulk by the import and the training.
_SERVED_TABLES = ("recommend_lists", "user_profiles", "products", "skus", "product_images")


async def _settle(db: Database) -> None:
    """Serve from tables as the database keeps them between bulk writes: on PostgreSQL
    ``VACUUM ANALYZE`` (what autovacuum does within minutes of such writes: statistics
    for the planner, hint bits and the visibility map), on SQLite ``ANALYZE``. Serving
    is measured in the steady state, not while that maintenance runs beside it."""
    async with db.engine.connect() as connection:
        settled = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in _SERVED_TABLES:
            verb = "ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"
            await settled.execute(text(f"{verb} {table}"))
    _progress("settled", tables=list(_SERVED_TABLES))


async def _run(database_url: str, path: Path, requests: int) -> dict[str, Any]:
    db = Database(database_url)
    broker = create_broker(None)
    await broker.start()
    Runtime(
        settings=Settings(database_url=database_url, worker_enabled=False), db=db, broker=broker
    )
    try:
        report = await import_userbehavior(db, path)
        rss_after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _progress("import", **(report.as_dict() | {"malformed_lines": None}))
        ceiling_s = await _ceiling(db, path)
        _progress("ceiling", seconds=round(ceiling_s, 3))
        async with db.transaction() as session:  # serve them: imported goods start off sale
            await session.execute(text("UPDATE products SET status = 'on_sale'"))
        async with db.transaction() as session:  # the planner sees the goods now on sale
            await session.execute(text("ANALYZE products"))
        async with db.transaction() as session:
            trained = await recommend_service.do_train(session)
        rss_after_training = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _progress("training", **vars(trained))
        await _settle(db)
        async with db.transaction() as session:
            externals = [str(n) for n in range(1, 1 + max(trained.users, 1))]
            internal = await profile_service.internal_ids(
                session, "userbehavior", "user", externals
            )
        people = sorted(internal.values())
        chooser = random.Random(5)
        latencies: list[float] = []
        list_read: list[float] = []
        # Served and ceiling requests alternate, so both meet the same load of the machine.
        for _ in range(requests):
            person = chooser.choice(people) if people else None
            started = time.perf_counter()
            async with db.transaction() as session:
                await recommend_service.products_for_viewer(session, person, 12)
            latencies.append((time.perf_counter() - started) * 1000)
            if person is not None:
                list_read.append(await _list_read_ms(db, person))
        _progress("serving", **_summary(latencies))
        in_memory = _in_memory_ms(trained.items, requests)
        rows_per_s = report.rows / report.seconds if report.seconds else 0.0
        ceiling_rows_per_s = report.rows / ceiling_s if ceiling_s else 0.0
        return {
            "import": {
                "rows": report.rows,
                "seconds": round(report.seconds, 3),
                "rows_per_s": round(rows_per_s),
                "fold_seconds": round(report.fold_seconds, 3),
                "malformed": report.malformed.count,
            },
            "ceiling_bulk_insert": {
                "seconds": round(ceiling_s, 3),
                "rows_per_s": round(ceiling_rows_per_s),
            },
            "import_vs_ceiling": round(rows_per_s / ceiling_rows_per_s, 3)
            if ceiling_rows_per_s
            else None,
            "training": {
                "actions": trained.actions,
                "users": trained.users,
                "items": trained.items,
                "seconds": round(trained.seconds, 3),
            },
            "serving_ms": _summary(latencies),
            "ceiling_list_read_ms": _summary(list_read) if list_read else None,
            "ceiling_in_memory_ms": _summary(in_memory),
            "serving_p50_vs_list_read": round(_p(latencies, 0.5) / _p(list_read, 0.5), 2)
            if list_read
            else None,
            "peak_rss_mb_after_import": round(rss_after_import / 1024, 1),
            "peak_rss_mb_after_training": round(rss_after_training / 1024, 1),
        }
    finally:
        await broker.close()
        await db.dispose()


@register("recommend", "UserBehavior import vs bulk insert, training, serving p99, peak RSS")
def run(
    smoke: bool = False,
    database_url: str | None = None,
    rows: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    # LIVECOMMERCE_BENCH_RECOMMEND_ROWS: a stated reduced (or larger) size.
    rows = rows or int(
        os.environ.get("LIVECOMMERCE_BENCH_RECOMMEND_ROWS", "5000" if smoke else "10000000")
    )
    # Ten rows per user and per item: 10,000,000 rows are 1,000,000 users and items.
    users = max(rows // 10, 10)
    items = max(rows // 10, 50)
    with tempfile.TemporaryDirectory(prefix="lc-bench-recommend-") as folder:
        path = Path(folder) / "userbehavior.csv"
        generate(path, rows, users, items)
        _progress("generated", rows=rows, bytes=path.stat().st_size)
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        figures = asyncio.run(_run(url, path, 50 if smoke else 1_000))
    return {
        "benchmark": "recommend",
        "smoke": smoke,
        "generated": {"rows": rows, "users": users, "items": items},
        "database": "sqlite" if database_url is None else database_url.split("@")[-1],
        **figures,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
