"""The request's unit of work: the route decides whether it reads or writes."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, FastAPI

from livecommerce.kit.db import READ_ONLY
from livecommerce.kit.http import WRITES, DbSession
from livecommerce.kit.runtime import Runtime
from livecommerce.models import StockGate
from tests.factories import sign_up


async def _begins_read_only(session: DbSession) -> dict[str, bool]:
    connection = (await session.connection()).sync_connection
    assert connection is not None
    return {"read_only": bool(connection.get_execution_options().get(READ_ONLY))}


def _probe_app(runtime: Runtime) -> FastAPI:
    router = APIRouter()
    router.add_api_route("/probe", _begins_read_only, methods=["GET", "POST", "DELETE"])
    router.add_api_route("/probe-writes", _begins_read_only, methods=["GET"], dependencies=[WRITES])
    app = FastAPI()
    app.include_router(router)
    app.state.runtime = runtime
    return app


async def test_reads_begin_deferred_and_writes_immediate_by_route(runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=_probe_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/probe")).json() == {"read_only": True}
        assert (await http.post("/probe")).json() == {"read_only": False}
        assert (await http.delete("/probe")).json() == {"read_only": False}
        assert (await http.get("/probe-writes")).json() == {"read_only": False}


async def test_an_authenticated_read_does_not_wait_for_a_writer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    buyer = await sign_up(client)
    async with runtime.db.transaction() as writer:
        writer.add(StockGate(name="held", units_total=1, per_buyer_limit=1))
        await writer.flush()  # on SQLite this transaction now holds the write lock
        # A bound on the wait, so a read that did queue fails here instead of hanging.
        reply = await asyncio.wait_for(client.get("/api/v1/me", headers=buyer.headers), 10)
        assert reply.status_code == 200
        assert reply.json()["id"] == buyer.id
