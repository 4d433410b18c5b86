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
    assert result["ceiling_errors"] == 0
    # Every winner's click (and each repeat) answered 201 or 200.
    assert result["statuses"].get("201") == SMOKE_UNITS
    assert result["naive_per_s"] > 0
    assert result["naive_attempts"] >= SMOKE_BUYERS
    assert result["naive_sold"] >= SMOKE_UNITS
    for key in ("attempts_per_s", "winners_p99_ms", "p99_ms", "ratio_to_ceiling", "target_met"):
        assert key in result


def test_request_path_benchmark_smoke_answers_every_request() -> None:
    from livecommerce.bench.request_path import KINDS, SMOKE_CONNECTIONS

    outcome = CliRunner().invoke(app, ["bench", "http", "--smoke", "--json"])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.output)
    assert result["database"] == "sqlite"
    assert result["errors"] == 0
    connections = [str(count) for count in SMOKE_CONNECTIONS]
    assert sorted(result["ceiling"]) == sorted(connections)
    assert sorted(result["routes"]) == sorted(KINDS)
    for kind, points in result["routes"].items():
        assert sorted(points) == sorted(connections), kind
        for point in points.values():
            assert point["errors"] == 0, (kind, point)
            assert point["requests"] >= 1, kind
            assert point["ratio_to_ceiling"] is not None
    # Every order was a new one (fresh keys), every sign-up a new account.
    for point in result["routes"]["order"].values():
        assert point["statuses"] == {"201": point["requests"]}
    for point in result["routes"]["signup"].values():
        assert point["statuses"] == {"201": point["requests"]}


async def test_the_bench_routes_exist_only_when_enabled() -> None:
    import httpx

    from livecommerce.app import create_app
    from livecommerce.config import Settings

    for enabled, status in ((False, 404), (True, 200)):
        app = create_app(Settings(bench_endpoints=enabled))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/api/v1/bench/noop")).status_code == status
