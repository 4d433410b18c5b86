"""A served process prepares its hot statements on each pooled connection before it
serves (``create_app(warm_up=True)``); a primer that fails is only logged there, so
each is run here, where a failure fails."""

from __future__ import annotations

from livecommerce.app import _prime_retry_read, _prime_token_read
from livecommerce.kit.runtime import Runtime


async def test_the_primers_run_on_the_database(runtime: Runtime) -> None:
    async with runtime.db.reading() as session:
        await _prime_token_read(session)
        await _prime_retry_read(session)
    async with runtime.db.transaction() as session:  # the writers' pool is primed too
        await _prime_token_read(session)
        await _prime_retry_read(session)
