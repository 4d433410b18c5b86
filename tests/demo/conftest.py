"""One demo world per module: seeding takes long, and most demo checks only read it.

The world is seeded twice (a second start must add nothing), then every test of the
module reads it. The module's tests run in one pytest-xdist worker (group ``demo``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from livecommerce.app import create_app
from livecommerce.demo.seed import seed_demo
from livecommerce.demo.world import DemoWorld
from livecommerce.kit.runtime import Runtime
from tests.conftest import fresh_settings


@dataclass(frozen=True)
class SeededDemo:
    client: httpx.AsyncClient
    runtime: Runtime
    world: DemoWorld  # what the first start made
    again: DemoWorld  # what the second start answered


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(
    database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SeededDemo]:
    settings = await fresh_settings(database_template, tmp_path_factory.mktemp("demo"))
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            runtime: Runtime = application.state.runtime
            world = await seed_demo(http, runtime)
            again = await seed_demo(http, runtime)
            yield SeededDemo(client=http, runtime=runtime, world=world, again=again)
