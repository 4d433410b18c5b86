"""The import contracts (pyproject.toml, ``[tool.importlinter]``) hold, and they catch a
back-import between domains. The back-import is made in a copy of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "Contracts: 3 kept, 0 broken." in result.stdout


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
    assert "Payments import neither orders, the ledger nor insights BROKEN" in result.stdout
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


@pytest.mark.parametrize(
    ("target", "makes_a_cycle"),
    [
        ("livecommerce.orders.service", True),
        ("livecommerce.orders.checkout", True),
        ("livecommerce.ledger.repository", True),
        ("livecommerce.insights.service", False),
    ],
)
def test_payments_may_not_import_orders_the_ledger_or_insights(
    tmp_path: Path, target: str, makes_a_cycle: bool
) -> None:
    tree = _copy_tree(tmp_path)
    module, name = target.rsplit(".", 1)
    service = tree / "src" / "livecommerce" / "payments" / "service.py"
    service.write_text(service.read_text() + f"\nfrom {module} import {name}  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert "Payments import neither orders, the ledger nor insights BROKEN" in result.stdout
    assert f"livecommerce.payments.service -> {target}" in result.stdout
    assert "Domains depend on each other only along the declared one-way edges BROKEN" in (
        result.stdout
    )
    cycles = "No import cycles between the modules or packages of one package"
    assert f"{cycles} {'BROKEN' if makes_a_cycle else 'KEPT'}" in result.stdout


def test_a_payments_listener_may_hear_orders_but_not_call_them(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    listeners = tree / "src" / "livecommerce" / "payments" / "listeners.py"
    assert "from livecommerce.orders.events import OrderRefunded" in listeners.read_text()
    assert "Contracts: 3 kept, 0 broken." in _lint(tree).stdout
    listeners.write_text(
        listeners.read_text() + "\nfrom livecommerce.orders.service import order_service  # noqa\n"
    )
    result = _lint(tree)
    assert result.returncode == 1
    assert "Payments import neither orders, the ledger nor insights BROKEN" in result.stdout
    assert "livecommerce.payments.listeners -> livecommerce.orders.service" in result.stdout


@pytest.mark.parametrize(
    ("module", "back_import", "package", "pair", "across_domains"),
    [
        # orders ↔ flash sales
        (
            "orders/service.py",
            "livecommerce.interactions.flash_sales",
            "livecommerce",
            ("orders", "interactions"),
            True,
        ),
        # insights ↔ realtime (activity)
        (
            "insights/service.py",
            "livecommerce.realtime.activity",
            "livecommerce",
            ("insights", "realtime"),
            True,
        ),
        # media service ↔ streams
        (
            "media/service.py",
            "livecommerce.media.streams",
            "livecommerce.media",
            ("service", "streams"),
            False,
        ),
        # demo seed ↔ partners
        (
            "demo/partners.py",
            "livecommerce.demo.seed",
            "livecommerce.demo",
            ("seed", "partners"),
            False,
        ),
    ],
)
def test_the_old_circles_cannot_come_back(
    tmp_path: Path,
    module: str,
    back_import: str,
    package: str,
    pair: tuple[str, str],
    across_domains: bool,
) -> None:
    tree = _copy_tree(tmp_path)
    path = tree / "src" / "livecommerce" / module
    parent, name = back_import.rsplit(".", 1)
    path.write_text(path.read_text() + f"\nfrom {parent} import {name}  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert "No import cycles between the modules or packages of one package BROKEN" in (
        result.stdout
    )
    assert f"No cycles are allowed in {package}." in result.stdout
    a, b = pair
    assert f".{a} -> .{b}" in result.stdout or f".{b} -> .{a}" in result.stdout
    layers = "Domains depend on each other only along the declared one-way edges"
    assert f"{layers} {'BROKEN' if across_domains else 'KEPT'}" in result.stdout
