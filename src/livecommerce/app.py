"""create_app(settings) → the FastAPI application with every domain's routes."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Route
from starlette.types import ASGIApp

from livecommerce import __version__
from livecommerce.accounts.endpoints import router as accounts_router
from livecommerce.c2b.endpoints import router as c2b_router
from livecommerce.catalog.endpoints import media_router
from livecommerce.catalog.endpoints import router as catalog_router
from livecommerce.config import Settings, get_settings
from livecommerce.coupons.endpoints import router as coupons_router
from livecommerce.dashboards.endpoints import router as dashboards_router
from livecommerce.dashboards.endpoints import socket_router as dashboards_socket_router
from livecommerce.dashboards.rollup import RollupRunner
from livecommerce.fans.endpoints import router as fans_router
from livecommerce.fans.endpoints import share_router
from livecommerce.insights.endpoints import router as insights_router
from livecommerce.interactions.endpoints import router as interactions_router
from livecommerce.interactions.fast_path import CALLER_READS_MOST, BuyFastPath
from livecommerce.kit.asgi import FixedReply, RequestGuard
from livecommerce.kit.broker import create_broker
from livecommerce.kit.db import Database
from livecommerce.kit.events import load_listeners
from livecommerce.kit.http import install_error_handlers
from livecommerce.kit.runtime import Runtime
from livecommerce.ledger.endpoints import router as ledger_router
from livecommerce.live.endpoints import router as live_router
from livecommerce.live.team_endpoints import router as team_router
from livecommerce.mcn.endpoints import go_router as mcn_go_router
from livecommerce.mcn.endpoints import router as mcn_router
from livecommerce.media.endpoints import router as media_video_router
from livecommerce.media.streams import MediaRuntime
from livecommerce.notifications.endpoints import buyer_messages_router, fan_messages_router
from livecommerce.notifications.endpoints import router as notifications_router
from livecommerce.orders.endpoints import pay_router as orders_pay_router
from livecommerce.orders.endpoints import router as orders_router
from livecommerce.orders.service import order_service
from livecommerce.payments.endpoints import router as payments_router
from livecommerce.profiles.endpoints import router as profiles_router
from livecommerce.realtime.endpoints import router as realtime_router
from livecommerce.realtime.hub import LiveHub
from livecommerce.recommend.endpoints import router as recommend_router
from livecommerce.search.endpoints import router as search_router
from livecommerce.search.service import search_service
from livecommerce.traffic.endpoints import router as traffic_router
from livecommerce.videos.endpoints import router as videos_router
from livecommerce.web.c2b_pages import router as c2b_pages_router
from livecommerce.web.dashboard_pages import router as dashboard_pages_router
from livecommerce.web.pages import router as pages_router
from livecommerce.web.partner_pages import router as partner_pages_router
from livecommerce.web.profile_pages import router as profile_pages_router
from livecommerce.web.team_pages import router as team_pages_router
from livecommerce.web.traffic_pages import router as traffic_pages_router
from livecommerce.web.video_pages import router as video_pages_router
from livecommerce.worker.loop import WorkerLoop, load_job_modules

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "web" / "static"


HEALTHZ_BODY = json.dumps({"status": "ok", "version": __version__}).encode()


def answer_healthz_first(app: FastAPI) -> ASGIApp:
    """``app`` with ``GET /healthz`` answered in front of its middleware and routing: the
    route's own reply (the same body and headers, ``nosniff`` included), sent as two
    pre-built messages."""
    return FixedReply(app, "/healthz", HEALTHZ_BODY, "application/json")


# Allocations between two collections of the youngest generation in the server process.
GC_YOUNG_THRESHOLD = 50_000


# Connections to Redis a served process opens at start (``warm_up``): about as many as
# the requests a process has in flight in a burst (the flash sale's 64 connections).
BROKER_WARM_CONNECTIONS = 64


async def _prime_token_read(session: AsyncSession) -> None:
    """The buyer's token-and-address read, with a token nobody holds: prepared on the
    connection (every click of a flash sale reads it)."""
    await order_service.read_caller_with_default_address(session, "warm-up")
    # The same read for the clicks of a moment together: each of its forms (the tokens
    # are padded to a power of two, up to the most a read takes).
    size = 1
    while size <= CALLER_READS_MOST:
        await order_service.read_callers_with_default_address(
            session, [f"warm-up-{n}" for n in range(size)]
        )
        size *= 2


async def _prime_retry_read(session: AsyncSession) -> None:
    """A retried flash-sale click's look-up of its order by key, prepared on the
    connection too."""
    await order_service.get_order_by_idempotency_key(session, "warm-up", "warm-up")


def create_app(
    settings: Settings | None = None, *, freeze_heap: bool = False, warm_up: bool = False
) -> FastAPI:
    """The platform's ASGI app. ``freeze_heap``: once started, what start-up made (modules,
    routes, models, templates: about a million objects) is left out of the garbage
    collector's full passes for good (``gc.freeze``) — the server process (``asgi.py``)
    asks for it; a full pass over that heap stopped every request for 0.3–0.5 s, several
    times a minute under load. Tests, which build many apps in one process, do not.
    ``warm_up``: before serving, open ``db_warm_connections`` of the database pool's
    connections (with the hot statements prepared on each) and the broker's
    (``Database.warm``, ``Broker.warm``),
    so that the first burst a fresh process meets — a flash sale's first seconds — does
    not pay for them; the server process asks for it, tests do not."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        # Every domain's listeners and job handlers, registered before the first request:
        # imported on the first event instead, they stalled the request that published
        # it (a flash sale's first batch) while the modules loaded.
        load_listeners()
        load_job_modules()
        db = Database(settings.database_url)
        broker = create_broker(settings.redis_url)
        await broker.start()
        runtime = Runtime(settings=settings, db=db, broker=broker)
        if warm_up:
            await db.warm([_prime_token_read, _prime_retry_read], settings.db_warm_connections)
            await broker.warm(BROKER_WARM_CONNECTIONS)
        hub = LiveHub(runtime)
        runtime.extras["hub"] = hub
        app.state.runtime = runtime
        await search_service.do_prepare_engine(db)
        await hub.start()
        media = MediaRuntime(runtime)
        runtime.extras["media"] = media
        await media.start()
        worker = WorkerLoop(runtime) if settings.worker_enabled else None
        rollups = RollupRunner(runtime) if settings.worker_enabled else None
        runtime.extras["rollups"] = rollups
        if worker is not None:
            await worker.start()
        if rollups is not None:
            await rollups.start()
        if freeze_heap:
            gc.collect()
            gc.freeze()
            # A request makes thousands of short-lived objects (ORM states, rows, dicts):
            # at the default threshold (700) the collector ran a hundred times a second
            # under load, each pass scanning every young object that survived.
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            if rollups is not None:
                await rollups.stop()
            if worker is not None:
                await worker.stop()
            videos = runtime.extras.get("videos")
            if videos is not None:
                await videos.stop()  # processing resumes after a restart (its lease runs out)
            await media.stop()
            await hub.stop()
            await broker.close()
            await db.dispose()

    app = FastAPI(
        title="livecommerce",
        version=__version__,
        summary="Live rooms, chat, showcase and orders: a self-hosted live-shopping platform.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # Added first, so it runs inside the guard (its answers carry the same headers).
    app.add_middleware(BuyFastPath)
    app.add_middleware(RequestGuard, max_body_bytes=settings.request_body_max_bytes)

    # A plain route, first in the table: load balancers poll it, so it skips request
    # parsing, dependencies and serialization (the reply never changes). The server
    # process answers it even before the middleware (``answer_healthz_first``).
    async def healthz(_request: Request) -> Response:
        return Response(HEALTHZ_BODY, media_type="application/json")

    app.router.routes.insert(0, Route("/healthz", healthz, methods=["GET"], name="healthz"))

    for router in (
        accounts_router,
        catalog_router,
        media_router,
        live_router,
        team_router,
        realtime_router,
        orders_router,
        orders_pay_router,
        payments_router,
        insights_router,
        interactions_router,
        coupons_router,
        fans_router,
        share_router,
        mcn_router,
        mcn_go_router,
        ledger_router,
        media_video_router,
        search_router,
        traffic_router,
        notifications_router,
        buyer_messages_router,
        fan_messages_router,
        pages_router,
        partner_pages_router,
        team_pages_router,
        c2b_router,
        c2b_pages_router,
        traffic_pages_router,
        videos_router,
        video_pages_router,
        dashboards_router,
        dashboards_socket_router,
        dashboard_pages_router,
        profiles_router,
        recommend_router,
        profile_pages_router,
    ):
        app.include_router(router)
    if settings.bench_endpoints:  # only in `livecommerce bench`'s own server
        from livecommerce.bench.flash_sale_server import router as bench_router

        app.include_router(bench_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
