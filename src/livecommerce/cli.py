"""The ``livecommerce`` command: serve, demo, db, stock, bench."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from livecommerce.config import InsecureSettings, Settings
from livecommerce.interactions.verify import lottery_app
from livecommerce.media.cli import media_app

app = typer.Typer(
    help="livecommerce: a self-hostable live-stream e-commerce platform.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(lottery_app, name="lottery")
app.add_typer(media_app, name="media")
stock_app = typer.Typer(help="Stock gates in Redis (flash sales).", no_args_is_help=True)
app.add_typer(stock_app, name="stock")
search_app = typer.Typer(help="The search index (rooms, hosts, products).", no_args_is_help=True)
app.add_typer(search_app, name="search")
import_app = typer.Typer(help="Import history from files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
eval_app = typer.Typer(help="Offline evaluations.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.expanduser().resolve()}"


def require_schema(database_url: str, command: str) -> None:
    """Stop with one sentence, creating nothing, unless the database holds the schema."""
    import asyncio

    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    url = make_url(database_url)
    where = url.render_as_string(hide_password=True)
    hint = (
        "point LIVECOMMERCE_DATABASE_URL at the platform's database "
        "(`livecommerce demo` prints its own) or create the schema with `livecommerce db upgrade`"
    )
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "").expanduser()
        if not url.database or url.database == ":memory:" or not path.is_file():
            typer.echo(f"{command}: there is no database at {path.resolve()}: {hint}.", err=True)
            raise typer.Exit(2)
        where = str(path.resolve())

    async def has_schema() -> bool:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                found: bool = await connection.run_sync(
                    lambda sync: inspect(sync).has_table("alembic_version")
                )
                return found
        finally:
            await engine.dispose()

    try:
        ready = asyncio.run(has_schema())
    except Exception as error:  # unreachable server, bad credentials, not a database file
        typer.echo(f"{command}: cannot open the database at {where} ({error}).", err=True)
        raise typer.Exit(2) from None
    if not ready:
        typer.echo(
            f"{command}: the database at {where} has no livecommerce schema: {hint}.", err=True
        )
        raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes sharing the port.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Upgrade the schema before serving.")] = True,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (uvicorn's access log).")
    ] = True,
) -> None:
    """Serve the platform (HTTP, WebSockets, pages)."""
    import uvicorn

    from livecommerce.kit.migrate import upgrade
    from livecommerce.realtime.fanout import UVICORN_WS

    settings = Settings()
    try:
        settings.check_can_serve()
    except InsecureSettings as exc:
        typer.echo(f"livecommerce serve: {exc}", err=True)
        raise typer.Exit(2) from exc
    if migrate:
        upgrade(settings.database_url)
    uvicorn.run(
        "livecommerce.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
        ws_max_size=64 * 1024,
        ws=UVICORN_WS,  # pre-framed fan-out to big rooms: see realtime/fanout.py
        # Off unless configured: see ws_per_message_deflate in docs/operations.md.
        ws_per_message_deflate=settings.ws_per_message_deflate,
        # Live video responses never end by themselves: do not wait for them forever.
        timeout_graceful_shutdown=10,
    )


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="HTTP port on 127.0.0.1.")] = 8000,
    db: Annotated[Path, typer.Option(help="SQLite file for the demo.")] = Path("var/demo.db"),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    viewers: Annotated[int, typer.Option(help="Simulated viewers in the demo room.")] = 6,
) -> None:
    """Seed demo accounts and products, go live, and simulate viewers who chat, like and buy."""
    from livecommerce.demo import run_demo

    os.environ.setdefault("LIVECOMMERCE_MODE", "demo")
    os.environ.setdefault("LIVECOMMERCE_DATABASE_URL", _sqlite_url(db))
    os.environ.setdefault("LIVECOMMERCE_PUBLIC_URL", f"http://{host}:{port}")
    os.environ.setdefault("LIVECOMMERCE_DATA_DIR", str(db.expanduser().resolve().parent))
    run_demo(Settings(), host=host, port=port, simulated_viewers=viewers)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations to LIVECOMMERCE_DATABASE_URL (SQLite or PostgreSQL)."""
    from livecommerce.kit.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {settings.database_url.split('@')[-1]} is at {revision}")


@ledger_app.command("verify")
def ledger_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Check every ledger invariant; exit 1 listing the offending entries if any fails."""
    import asyncio

    from livecommerce.kit.broker import create_broker
    from livecommerce.kit.db import Database
    from livecommerce.kit.runtime import Runtime
    from livecommerce.ledger.verify import VerifyReport, verify_ledger

    settings = Settings()
    require_schema(settings.database_url, "ledger verify")

    async def _run() -> VerifyReport:
        db = Database(settings.database_url)
        runtime = Runtime(settings=settings, db=db, broker=create_broker(None))
        try:
            async with runtime.db.transaction() as session:
                return await verify_ledger(session)
        finally:
            await db.dispose()

    report = asyncio.run(_run())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "entries": report.entries,
                    "accounts": report.accounts,
                    "statements": report.statements,
                    "problems": [problem.__dict__ for problem in report.problems],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for problem in report.problems:
            typer.echo(f"{problem.code}\t{problem.subject}\t{problem.message}")
        verdict = "ok" if report.ok else f"FAILED: {len(report.problems)} problem(s)"
        typer.echo(
            f"ledger verify: {report.entries} entries, {report.accounts} accounts, "
            f"{report.statements} statements: {verdict}"
        )
    if not report.ok:
        raise typer.Exit(1)


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the rooms and the products on sale."""
    import asyncio

    from livecommerce.kit.broker import create_broker
    from livecommerce.kit.db import Database
    from livecommerce.kit.runtime import Runtime
    from livecommerce.search.schemas import ReindexResult
    from livecommerce.search.service import search_service

    settings = Settings()
    require_schema(settings.database_url, "search reindex")

    async def _run() -> ReindexResult:
        db = Database(settings.database_url)
        runtime = Runtime(settings=settings, db=db, broker=create_broker(None))
        try:
            await search_service.do_prepare_engine(runtime.db)
            async with runtime.db.transaction() as session:
                return await search_service.do_reindex(session)
        finally:
            await db.dispose()

    result = asyncio.run(_run())
    typer.echo(
        f"search reindex: {result.rooms} rooms, {result.hosts} hosts, {result.products} products"
    )


@stock_app.command("reconcile")
def stock_reconcile(
    sale: Annotated[
        str | None, typer.Option("--sale", help="Only this flash sale's gate (its id).")
    ] = None,
    grace_s: Annotated[
        float | None,
        typer.Option(
            "--grace-s",
            help="Keep Redis takes the database lacks while younger than this (default 30); "
            "0 only when no buy can be in flight.",
        ),
    ] = None,
) -> None:
    """Bring the Redis stock gates of open flash sales back into agreement with the database."""
    import asyncio

    from livecommerce.interactions.flash_sales import GateReport, flash_sale_service
    from livecommerce.kit.broker import create_broker
    from livecommerce.kit.db import Database
    from livecommerce.kit.errors import LiveCommerceError
    from livecommerce.kit.runtime import Runtime

    settings = Settings()
    if not settings.redis_url:
        typer.echo(
            "stock reconcile: no Redis configured (LIVECOMMERCE_REDIS_URL is unset); "
            "flash sales use the database path and have no gate to reconcile",
            err=True,
        )
        raise typer.Exit(2)
    if grace_s is not None and grace_s < 0:
        typer.echo("stock reconcile: --grace-s must be 0 or more", err=True)
        raise typer.Exit(2)
    redis_url = settings.redis_url
    require_schema(settings.database_url, "stock reconcile")

    async def _run() -> list[GateReport]:
        db = Database(settings.database_url)
        broker = create_broker(redis_url)
        runtime = Runtime(settings=settings, db=db, broker=broker)
        try:
            await broker.start()
            async with runtime.db.transaction() as session:
                return await flash_sale_service.reconcile_gates(
                    session, sale_id=sale, grace_s=grace_s
                )
        finally:
            await broker.close()
            await db.dispose()

    try:
        reports = asyncio.run(_run())
    except LiveCommerceError as failed:
        typer.echo(f"stock reconcile: {failed.code}: {failed.message}", err=True)
        raise typer.Exit(1) from None
    for report in reports:
        line = f"{report.gate}\tsale {report.sale_id}\t{report.outcome}"
        if report.result is not None:
            line += (
                f"\tleft={report.result.left} given_back={report.result.given_back} "
                f"restored={report.result.restored} db_units_left={report.units_left_db}"
            )
        elif report.outcome == "paused":
            line += "\tRedis lost this gate: buys wait for the grace; run again after it"
        typer.echo(line)
    typer.echo(f"stock reconcile: {len(reports)} flash sale(s)")


@import_app.command("userbehavior")
def import_userbehavior(
    file: Annotated[Path, typer.Argument(help="A Taobao UserBehavior CSV (no header).")],
    batch_rows: Annotated[
        int,
        typer.Option(
            help=(
                "Rows per batch: each is stored whole or not at all (batches of about"
                " 200,000 rows share a transaction)."
            )
        ),
    ] = 20_000,  # the importer's BATCH_ROWS, the size `bench recommend` measures
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Import behaviour history (user_id,item_id,category_id,behavior_type,timestamp)."""
    import asyncio

    from livecommerce.kit.db import Database
    from livecommerce.profiles.importer import ImportReport, import_userbehavior

    if not file.is_file():
        typer.echo(f"import userbehavior: there is no file at {file}", err=True)
        raise typer.Exit(2)
    if batch_rows < 1:
        typer.echo("import userbehavior: --batch-rows must be 1 or more", err=True)
        raise typer.Exit(2)
    settings = Settings()
    require_schema(settings.database_url, "import userbehavior")

    async def _run() -> ImportReport:
        db = Database(settings.database_url)
        try:
            return await import_userbehavior(db, file, batch_rows)
        finally:
            await db.dispose()

    report = asyncio.run(_run()).as_dict()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(
        f"import userbehavior: {report['rows']} rows, {report['stored']} stored, "
        f"{report['already_stored']} already stored, {report['users_created']} users, "
        f"{report['products_created']} products, {report['categories_created']} categories "
        f"created, {report['malformed']} malformed line(s)"
    )
    if report["malformed"]:
        lines = ", ".join(str(line) for line in report["malformed_lines"])
        more = "" if len(report["malformed_lines"]) == report["malformed"] else ", ..."
        typer.echo(f"malformed lines: {lines}{more}")


@eval_app.command("recommend")
def eval_recommend(
    data: Annotated[Path, typer.Option("--data", help="A UserBehavior CSV.")],
    k: Annotated[int, typer.Option("--k", help="List length.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    tune: Annotated[
        bool,
        typer.Option(
            "--tune",
            help="Also choose the blend's settings on validation targets cut from the "
            "training events (never the test targets) and report their readings too.",
        ),
    ] = False,
) -> None:
    """Leave-last-out HR@K and NDCG@K of the recommender against pop, repeat, recent, als."""
    from livecommerce.recommend.evaluate import evaluate, load

    if not data.is_file():
        typer.echo(f"eval recommend: there is no file at {data}", err=True)
        raise typer.Exit(2)
    if not 1 <= k <= 1000:
        typer.echo("eval recommend: --k must be between 1 and 1000", err=True)
        raise typer.Exit(2)
    result = evaluate(load(data), k, tune=tune)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for name, reading in result["readings"].items():
        for metric in (f"hr@{k}", f"ndcg@{k}"):
            row = reading[metric]
            scores = " ".join(
                f"{m}={row[m]}" for m in ("product", "pop", "repeat", "recent", "als")
            )
            verdict = "meets" if row["meets_target"] else "misses"
            typer.echo(
                f"{name:17} {metric:8} n={reading['tested']:<6} {scores} "
                f"(x{row['ratio']} of {row['best_baseline']}: {verdict} 1.2x)"
            )


@app.command()
def recommend(
    users: Annotated[Path, typer.Option("--users", help="External user ids, one a line.")],
    k: Annotated[int, typer.Option("--k", help="Items per user.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Top-K external item ids for imported users (after `livecommerce import userbehavior`)."""
    import asyncio

    from livecommerce.kit.db import Database
    from livecommerce.recommend.offline import recommend_external

    if not users.is_file():
        typer.echo(f"recommend: there is no file at {users}", err=True)
        raise typer.Exit(2)
    if not 1 <= k <= 1000:
        typer.echo("recommend: --k must be between 1 and 1000", err=True)
        raise typer.Exit(2)
    wanted = [line.strip() for line in users.read_text().splitlines() if line.strip()]
    settings = Settings()
    require_schema(settings.database_url, "recommend")

    async def _run() -> dict[str, list[str]]:
        db = Database(settings.database_url)
        try:
            return await recommend_external(db, wanted, k)
        finally:
            await db.dispose()

    result = asyncio.run(_run())
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for user, items in result.items():
        typer.echo(f"{user}\t{' '.join(items)}")


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="Benchmark name; 'list' shows them.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
    smoke: Annotated[bool, typer.Option(help="A small, fast run (used by the tests).")] = False,
    database_url: Annotated[
        str | None, typer.Option(help="HTTP benchmarks: this database instead of a fresh SQLite.")
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="HTTP benchmarks: with this Redis.")] = None,
    workers: Annotated[
        int, typer.Option(help="HTTP benchmarks: server processes (and the ceiling's).")
    ] = 1,
    seed: Annotated[
        int | None,
        typer.Option(help="Simulated benchmarks (traffic): the simulation's seed."),
    ] = None,
) -> None:
    """Run a benchmark; it prints figures and a baseline measured in the same run."""
    from livecommerce.bench.registry import BENCHMARKS

    if name == "list":
        for bench_name, entry in sorted(BENCHMARKS.items()):
            typer.echo(f"{bench_name}\t{entry.description}")
        return
    chosen = BENCHMARKS.get(name)
    if chosen is None:
        typer.echo(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}", err=True)
        raise typer.Exit(2)
    extra = {"database_url": database_url, "redis_url": redis_url, "workers": workers - 1}
    given = {key: value for key, value in extra.items() if value}
    if "workers" in given:
        given["workers"] = workers
    if seed is not None:
        given["seed"] = seed
    result = chosen.run(smoke=smoke, **given)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for key, value in result.items():
            typer.echo(f"{key}: {value}")


def main() -> None:
    app()
