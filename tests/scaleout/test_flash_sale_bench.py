"""The flash-sale benchmark's smoke run deployed for scale-out: two web workers on
PostgreSQL + Redis without the background loop, which a third process runs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from livecommerce.bench.flash_sale import SMOKE_BUYERS, SMOKE_UNITS
from livecommerce.cli import app
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.scaleout.processes import only_with_postgres_and_redis

pytestmark = only_with_postgres_and_redis


def test_two_web_workers_and_a_background_worker_never_oversell() -> None:
    assert TEST_DATABASE_URL
    assert TEST_REDIS_URL
    arguments = ["bench", "flash-sale", "--smoke", "--json", "--workers", "2"]
    arguments += ["--database-url", TEST_DATABASE_URL, "--redis-url", TEST_REDIS_URL]
    outcome = CliRunner().invoke(app, arguments)
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.output)
    assert (result["workers"], result["dedicated_background_worker"]) == (2, True)
    assert (result["buyers"], result["units"]) == (SMOKE_BUYERS, SMOKE_UNITS)
    assert (result["sold"], result["stock_left"]) == (SMOKE_UNITS, 0)
    assert (result["oversold"], result["duplicate_orders"], result["errors"]) == (0, 0, 0)
    assert result["units_accounted"] is True
    assert result["statuses"].get("201") == SMOKE_UNITS
