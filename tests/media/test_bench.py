"""The video-latency benchmark's smoke run: real processes, the JSON shape the issue asks for."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from livecommerce.cli import app


def test_video_latency_smoke_run() -> None:
    result = CliRunner().invoke(app, ["bench", "video-latency", "--json", "--smoke"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["paths"]) == {"low_latency", "hls", "nginx_hls"}
    for name in ("low_latency", "hls"):
        path = report["paths"][name]
        assert path["frames"] >= 20, path
        assert 0 < path["p50_s"] <= path["p95_s"]
    assert report["paths"]["low_latency"]["p50_s"] <= 1.5
    assert report["paths"]["hls"]["p50_s"] <= 4.0
    assert report["paths"]["nginx_hls"] == {
        "p50_s": None,
        "p95_s": None,
        "frames": 0,
        "skipped": "smoke run",
    }
    assert report["cpu_ms_per_viewer_per_s"] >= 0
    assert report["fan_out"]["viewers"] == 5
