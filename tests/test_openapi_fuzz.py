"""Generated input for every operation of ``/openapi.json``: no request gets a 5xx.

Schemathesis generates a few requests per operation (valid ones and, separately, ones
that break the schema) with a fixed derandomised seed, sent to a real server signed in
as a merchant or, for rooms and sessions, as a host. Any 5xx fails the run; so does an
answer with a status the operation's OpenAPI entry does not list.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import LiveServer
from tests.factories import sign_up

# Valid requests per operation; half as many that break the schema.
EXAMPLES_PER_OPERATION = 3
# The operations are split into this many tests (each with its own server), so parallel
# test processes share the run.
SHARDS = 4
# Operations that end the session they are called with run without the token.
_UNAUTHENTICATED = {("POST", "/api/v1/auth/logout")}


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
    problems: list[str],
) -> None:
    method = operation.method.upper()
    documented = set(operation.definition.raw.get("responses", {}))

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION if mode is GenerationMode.POSITIVE else 2,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        where = f"{method} {case.formatted_path} ({mode.value})"
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code} {response.text[:300]}")
        elif str(response.status_code) not in documented:
            problems.append(f"{where}: undocumented status {response.status_code}")

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can break its schema (no parameters, or only free text).
        if mode is not GenerationMode.NEGATIVE:
            raise


# Operations of hosts' rooms and sessions run as the host, the others as the merchant.
_HOST_PATHS = ("/rooms", "/live-sessions", "/media", "/affiliate", "/contracts", "/questions")


def _fuzz(
    schema_dict: dict[str, Any], base_url: str, merchant: str, host: str, shard: int
) -> tuple[int, list[str]]:
    """Fuzz every SHARDS-th operation from `shard` on; the count fuzzed and the problems."""
    schema = schemathesis.openapi.from_dict(schema_dict)
    session = requests.Session()
    problems: list[str] = []
    fuzzed = 0
    for number, result in enumerate(schema.get_all_operations()):
        if number % SHARDS != shard:
            continue
        fuzzed += 1
        operation = result.ok()
        method, path = operation.method.upper(), operation.path
        token = host if any(part in path for part in _HOST_PATHS) else merchant
        headers = {} if (method, path) in _UNAUTHENTICATED else {"Authorization": f"Bearer {token}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, base_url, headers, session, problems)
    session.close()
    return fuzzed, problems


@pytest.mark.parametrize("shard", range(SHARDS))
async def test_no_operation_answers_generated_input_with_a_server_error(
    live_server: LiveServer, shard: int
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        merchant = await sign_up(client, "merchant")
        host = await sign_up(client, "host")
        schema_dict = (await client.get("/openapi.json")).json()

    fuzzed, problems = await asyncio.to_thread(
        _fuzz, schema_dict, live_server.url, merchant.token, host.token, shard
    )

    assert fuzzed >= len(schema_dict["paths"]) // SHARDS  # every shard has its share
    assert not problems, "\n".join(problems)
