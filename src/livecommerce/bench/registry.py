"""Benchmarks reachable as ``livecommerce bench NAME``. Each returns a JSON-able dict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Benchmark:
    description: str
    run: Callable[..., dict[str, Any]]


BENCHMARKS: dict[str, Benchmark] = {}
BenchFunction = Callable[..., dict[str, Any]]


def register(name: str, description: str) -> Callable[[BenchFunction], BenchFunction]:
    def _decorate(function: BenchFunction) -> BenchFunction:
        BENCHMARKS[name] = Benchmark(description=description, run=function)
        return function

    return _decorate


def _discover() -> None:
    """Import every module of this package so its ``@register`` calls run."""
    import importlib
    import pkgutil

    import livecommerce.bench as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name != "registry":
            importlib.import_module(f"livecommerce.bench.{module.name}")


_discover()
