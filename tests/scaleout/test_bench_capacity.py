"""How ``bench chat`` reads its targets over a ladder of loads."""

from __future__ import annotations

from typing import Any

from livecommerce.bench.chat import capacity


def run(
    system: str, viewers: int, p99_ms: float, *, delivered_share: float = 1.0
) -> dict[str, Any]:
    expected = viewers * 20 * 10
    return {
        "system": system,
        "backend": "memory",
        "workers": 1,
        "viewers": viewers,
        "delivered_per_s": expected * delivered_share / 10,
        "p99_ms": p99_ms,
        "deliveries": int(expected * delivered_share),
        "deliveries_expected": expected,
    }


def test_capacity_is_the_largest_load_within_each_bound() -> None:
    runs = [
        run("python-socketio", 500, 120.0),
        run("python-socketio", 1000, 240.0),
        run("python-socketio", 2000, 800.0),
        run("livecommerce", 1000, 20.0),
        run("livecommerce", 3000, 60.0),
        run("livecommerce", 4000, 140.0),  # past livecommerce's 100 ms bound
        run("websockets", 4000, 50.0),
        run("websockets", 5000, 90.0, delivered_share=0.9),  # lost messages: not within
    ]
    summary = capacity(runs)
    assert summary["memory_1"] == {
        "livecommerce_within_100ms": {"viewers": 3000, "delivered_per_s": 60000.0, "p99_ms": 60.0},
        "python_socketio_within_250ms": {
            "viewers": 1000,
            "delivered_per_s": 20000.0,
            "p99_ms": 240.0,
        },
        "websockets_within_100ms": {"viewers": 4000, "delivered_per_s": 80000.0, "p99_ms": 50.0},
        "x_python_socketio": 3.0,
        "share_of_websockets": 0.75,
    }


def test_a_system_never_within_its_bound_has_no_capacity_and_no_ratio() -> None:
    summary = capacity([run("livecommerce", 1000, 20.0), run("python-socketio", 1000, 900.0)])
    entry = summary["memory_1"]
    assert entry["python_socketio_within_250ms"] is None
    assert entry["websockets_within_100ms"] is None
    assert "x_python_socketio" not in entry
    assert "share_of_websockets" not in entry
