"""The flash-sale benchmark in its few-second smoke mode: a real server process, real HTTP."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from livecommerce.bench.flash_sale import SMOKE_BUYERS, SMOKE_UNITS
from livecommerce.cli import app


def test_flash_sale_benchmark_smoke_never_oversells() -> None:
    outcome = CliRunner().invoke(app, ["bench", "flash-sale", "--smoke", "--json"])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.output)
    assert (result["buyers"], result["units"]) == (SMOKE_BUYERS, SMOKE_UNITS)
    assert (result["sold"], result["stock_left"]) == (SMOKE_UNITS, 0)
    assert (result["oversold"], result["duplicate_orders"], result["errors"]) == (0, 0, 0)
    assert result["units_accounted"] is True
    # Every buyer tried at least once; one winner in ten repeated its request.
    assert result["attempts"] >= SMOKE_BUYERS + SMOKE_UNITS // 10
    assert result["ceiling_per_s"] > 0
    assert result["naive_per_s"] > 0
    assert result["naive_attempts"] >= SMOKE_BUYERS
    assert result["naive_sold"] >= SMOKE_UNITS
    for key in ("attempts_per_s", "p50_ms", "p99_ms", "ratio_to_ceiling", "target_met"):
        assert key in result


async def test_the_bench_routes_exist_only_when_enabled() -> None:
    import httpx

    from livecommerce.app import create_app
    from livecommerce.config import Settings

    for enabled, status in ((False, 404), (True, 200)):
        app = create_app(Settings(bench_endpoints=enabled))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/api/v1/bench/noop")).status_code == status
