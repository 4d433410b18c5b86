"""The dashboard benchmark's smoke run: the JSON the issue asks for, results equal."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from livecommerce.cli import app


def test_dashboard_bench_smoke_run() -> None:
    result = CliRunner().invoke(app, ["bench", "dashboard", "--json", "--smoke"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["events"], report["sessions"]) == (20_000, 4)
    assert report["results_equal"] is True
    assert report["mismatches"] == []
    assert report["ingest_events_per_s"] > 0
    for key in ("session_dashboard", "session_dashboard_naive", "platform_dashboard"):
        assert 0 < report[key]["p50_ms"] <= report[key]["p99_ms"]
    assert isinstance(report["target_met"], bool)
