"""The command line: every command documents itself, migrations run, benchmarks are listed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from livecommerce.kit.migrate import alembic_config

CLI = [sys.executable, "-m", "livecommerce"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "serve"),
        (("serve",), "--workers"),
        (("demo",), "--db"),
        (("db", "upgrade"), "revision"),
        (("bench",), "--json"),
    ],
)
def test_help(args: tuple[str, ...], expected: str) -> None:
    result = run(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_db_upgrade_creates_schema(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    import os

    env = {**os.environ, "LIVECOMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = run("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    again = run("db", "upgrade", env=env)  # an up-to-date database is left alone
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert {"users", "orders", "live_sessions", "alembic_version"} <= tables
    assert mode == "wal"
    head = ScriptDirectory.from_config(alembic_config(f"sqlite:///{database}")).get_current_head()
    assert head is not None
    assert versions == [(head,)]


def test_unknown_benchmark_is_refused() -> None:
    result = run("bench", "no-such-benchmark")
    assert result.returncode == 2
    assert "unknown benchmark" in result.stderr


@pytest.mark.parametrize("existing", [False, True])
def test_ledger_verify_without_a_schema_says_so_in_one_line_and_creates_nothing(
    tmp_path: Path, existing: bool
) -> None:
    import os

    database = tmp_path / "var" / "livecommerce.db"
    if existing:
        database.parent.mkdir()
        database.touch()  # an empty file, as an earlier run without the schema left it
    env = {**os.environ, "LIVECOMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = run("ledger", "verify", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("ledger verify: ")
    assert str(database) in line
    assert "livecommerce db upgrade" in line
    if existing:
        assert database.stat().st_size == 0
        assert sorted(path.name for path in database.parent.iterdir()) == ["livecommerce.db"]
    else:
        assert not database.parent.exists()


def test_ledger_verify_on_a_migrated_database(tmp_path: Path) -> None:
    import os

    env = {
        **os.environ,
        "LIVECOMMERCE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}",
    }
    assert run("db", "upgrade", env=env).returncode == 0
    result = run("ledger", "verify", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("ledger verify: 0 entries, 0 accounts, 0 statements: ok")


def test_demo_banner_prints_the_database_and_how_to_verify_it() -> None:
    from livecommerce.demo import _banner
    from livecommerce.demo.seed import DemoWorld

    world = DemoWorld(session_id="s" * 32, room_id="r" * 32, upcoming_session_id="u" * 32)
    mail = "every message is an .eml file in /srv/lc/demo-mail/"
    text = _banner("http://127.0.0.1:8000", world, "sqlite+aiosqlite:////srv/lc/demo.db", mail)
    assert f"  Upcoming session: http://127.0.0.1:8000/live/{'u' * 32}" in text
    assert f"  E-mail:           {mail}" in text
    assert "  Database:         /srv/lc/demo.db" in text
    assert (
        "LIVECOMMERCE_DATABASE_URL=sqlite+aiosqlite:////srv/lc/demo.db livecommerce ledger verify"
        in text
    )
