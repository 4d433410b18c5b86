"""Serving the public with the well-known default secret key is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livecommerce.cli import app
from livecommerce.config import DEFAULT_SECRET_KEY, InsecureSettings, Settings


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVECOMMERCE_")}
    env["LIVECOMMERCE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    env["LIVECOMMERCE_DATA_DIR"] = str(tmp_path)
    env.update(extra)
    return env


def test_production_refuses_the_default_key() -> None:
    settings = Settings(secret_key=DEFAULT_SECRET_KEY, mode="production")
    with pytest.raises(InsecureSettings) as refused:
        settings.check_can_serve()
    message = str(refused.value)
    assert "Set LIVECOMMERCE_SECRET_KEY" in message
    assert "LIVECOMMERCE_MODE=development" in message


@pytest.mark.parametrize(
    ("secret_key", "mode"),
    [
        (DEFAULT_SECRET_KEY, "development"),
        (DEFAULT_SECRET_KEY, "demo"),
        ("a-long-random-production-secret", "production"),
    ],
)
def test_allowed_settings_serve(secret_key: str, mode: str) -> None:
    Settings(secret_key=secret_key, mode=mode).check_can_serve()  # type: ignore[arg-type]


def test_serve_command_refuses_before_touching_the_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livecommerce", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(tmp_path),
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Set LIVECOMMERCE_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "serve.db").exists()


def test_the_asgi_entry_point_refuses_too(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import livecommerce.asgi"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(tmp_path),
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert "Set LIVECOMMERCE_SECRET_KEY" in result.stderr
    allowed = subprocess.run(
        [sys.executable, "-c", "import livecommerce.asgi"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(tmp_path, LIVECOMMERCE_MODE="development"),
        cwd=tmp_path,
        check=False,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_the_demo_runs_in_demo_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import livecommerce.demo

    seen: list[Settings] = []
    monkeypatch.setattr(livecommerce.demo, "run_demo", lambda settings, **_: seen.append(settings))
    names = {key for key in os.environ if key.startswith("LIVECOMMERCE_")}
    # What the demo command sets, so that it is undone after the test.
    names |= {f"LIVECOMMERCE_{name}" for name in ("MODE", "DATABASE_URL", "PUBLIC_URL", "DATA_DIR")}
    for key in names:
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    [settings] = seen
    assert (settings.mode, settings.secret_key) == ("demo", DEFAULT_SECRET_KEY)
    settings.check_can_serve()
