"""The command line: every command documents itself, migrations run, benchmarks are listed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert versions == [("0001",)]


def test_unknown_benchmark_is_refused() -> None:
    result = run("bench", "no-such-benchmark")
    assert result.returncode == 2
    assert "unknown benchmark" in result.stderr
