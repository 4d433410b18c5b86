"""``livecommerce bench traffic --smoke --json``: every policy runs through the real ranking
code and reports the figures the issue names (no timed assertions)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from livecommerce.cli import app

FIGURES = {
    "spearman_quality_exposure",
    "exposure_gini",
    "top10_share",
    "new_room_time_to_1000_exposures_s",
    "long_tail_share",
    "rank_p50_ms",
    "rank_p99_ms",
    "rank_p99_cpu_ms",
}


def test_traffic_benchmark_smoke_run() -> None:
    result = CliRunner().invoke(app, ["bench", "traffic", "--smoke", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["smoke"] is True
    assert set(report["policies"]) == {"pools", "tags", "private", "popular", "random"}
    for name, figures in report["policies"].items():
        assert FIGURES <= set(figures), name
        assert 0 <= figures["exposure_gini"] <= 1
        assert 0 < figures["top10_share"] <= 1
        assert -1 <= figures["spearman_quality_exposure"] <= 1
        assert figures["rank_p99_ms"] > 0
    # Every policy but private fills every page it is asked for.
    pages = report["world"]["simulated_minutes"] * report["world"]["feed_requests_per_minute"]
    for name in ("pools", "tags", "popular", "random"):
        assert report["policies"][name]["exposures"] == pages * report["world"]["page_size"]
    assert report["policies"]["private"]["exposures"] < pages * report["world"]["page_size"]
    assert set(report["targets"]) == {
        "pools_spearman_at_least_0_8",
        "pools_spearman_beats_popular_by_0_2",
        "tags_gini_within_cap",
        "tags_spearman_at_least_0_6",
        "pools_new_room_1000_within_600_s",
        "tags_new_room_1000_within_600_s",
        "rank_p99_ms_at_most_20",
        "rank_p99_cpu_ms_at_most_20",
    }
    # Every figure with a target is printed with it and whether it is met.
    assert set(report["checks"]) == {
        "pools_spearman_quality_exposure",
        "pools_spearman_minus_popular",
        "tags_exposure_gini",
        "tags_spearman_quality_exposure",
        "pools_new_room_time_to_1000_exposures_s",
        "tags_new_room_time_to_1000_exposures_s",
        "rank_p99_ms_worst_policy_wall",
        "rank_p99_ms_worst_policy_cpu",
    }
    for check in report["checks"].values():
        assert set(check) == {"value", "target", "met"}
        assert isinstance(check["met"], bool)


def test_feed_benchmark_smoke_run() -> None:
    from livecommerce.bench import feed

    result = CliRunner().invoke(app, ["bench", "feed", "--smoke", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    before, after = report["per_request_catalog"], report["shared_catalog"]
    for phase in (before, after):
        assert phase["feed"]["items_per_page"] == feed.SMOKE_HOSTS
        for kind in ("healthz", "feed"):
            assert set(phase[kind]) >= {"server_cpu_ms_per_request", "p50_ms", "p99_ms"}
