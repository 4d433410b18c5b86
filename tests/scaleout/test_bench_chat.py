"""``livecommerce bench chat --smoke --json``: every configuration runs and reports its figures."""

from __future__ import annotations

import json
import subprocess
import sys

KEYS = {
    "system",
    "backend",
    "workers",
    "viewers",
    "rate_per_s",
    "delivered_per_s",
    "p50_ms",
    "p99_ms",
    "dropped_clients",
}


def test_the_smoke_run_measures_livecommerce_and_its_peers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livecommerce", "bench", "chat", "--smoke", "--json"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    runs = report["runs"]
    assert [(run["system"], run["backend"], run["workers"]) for run in runs] == [
        ("websockets", "memory", 1),
        ("python-socketio", "memory", 1),
        ("livecommerce", "memory", 1),
        ("channels", "memory", 1),
    ]
    for run in runs:
        assert KEYS <= set(run), run
        assert run["viewers"] == 50
        assert run["rate_per_s"] == 10.0
        # 20 messages to 50 viewers, nobody dropped, none lost on an idle machine.
        assert run["deliveries"] == run["deliveries_expected"] == 1000, run
        assert run["delivered_per_s"] == 500.0
        assert run["dropped_clients"] == 0
        assert 0 < run["p50_ms"] <= run["p99_ms"]
        slowest = run["slowest_messages"]
        assert len(slowest) == 5
        assert slowest[0]["latency_ms"] >= run["p99_ms"]
        assert all(0 <= message["sent_at_s"] < 2.0 for message in slowest)
    assert runs[2]["flood_dropped"] == {"chat_sampled_out": 0, "chat_skipped_for_viewers": 0}
    assert [verdict["viewers"] for verdict in report["comparison"]] == [50]
