"""`livecommerce bench recommend --smoke`: every figure is there (no timing is asserted)."""

from __future__ import annotations

from livecommerce.bench.recommend import run


def test_the_smoke_run_reports_import_ceiling_training_serving_and_memory() -> None:
    result = run(smoke=True, rows=2_000)
    assert result["generated"] == {"rows": 2_000, "users": 200, "items": 200}
    assert (result["import"]["rows"], result["import"]["malformed"]) == (2_000, 0)
    assert result["training"]["actions"] <= 2_000
    assert result["ceiling_bulk_insert"]["rows_per_s"] > 0
    assert result["serving_ms"]["requests"] == 50
    # Both ceilings are measured in the same run: one read of a precomputed list, and
    # in-memory top-k scoring over the catalog.
    assert result["ceiling_list_read_ms"]["requests"] == 50
    assert result["ceiling_in_memory_ms"]["requests"] == 50
    assert result["serving_p50_vs_list_read"] > 0
    assert result["peak_rss_mb"] > 0
