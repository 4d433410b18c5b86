"""The import contracts (pyproject.toml, ``[tool.importlinter]``) hold, and they catch a
back-import between domains. The back-import is made in a copy of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "src" / "livecommerce",
        tree / "src" / "livecommerce",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_its_contracts(tmp_path: Path) -> None:
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_back_import_from_payments_to_the_ledger_breaks_them(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    (tree / "src" / "livecommerce" / "payments" / "back.py").write_text(
        "from livecommerce.ledger.service import ledger_service\n\n__all__ = ['ledger_service']\n"
    )
    result = _lint(tree)
    assert result.returncode == 1
    assert "Domains depend on each other only along the declared one-way edges BROKEN" in (
        result.stdout
    )
    assert "livecommerce.payments.back -> livecommerce.ledger.service" in result.stdout
    assert "No import cycles between the modules or packages of one package BROKEN" in (
        result.stdout
    )


def test_a_cycle_inside_one_domain_breaks_them(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    service = tree / "src" / "livecommerce" / "media" / "service.py"
    service.write_text(service.read_text() + "\nfrom livecommerce.media import streams  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert "Domains depend on each other only along the declared one-way edges KEPT" in (
        result.stdout
    )
    assert "No import cycles between the modules or packages of one package BROKEN" in (
        result.stdout
    )
