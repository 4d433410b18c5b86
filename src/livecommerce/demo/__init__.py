"""``livecommerce demo``: a working live room within a minute of a fresh install.

It migrates the database, serves the platform, seeds demo accounts, products and a
live session through the public HTTP API (the same calls a merchant and a host make),
then runs simulated viewers that chat, like and buy over the real WebSocket and API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import httpx
import uvicorn

from livecommerce.config import Settings
from livecommerce.demo.c2b import seed_c2b
from livecommerce.demo.mail import mail_sink
from livecommerce.demo.seed import seed_demo
from livecommerce.demo.video import run_demo_video
from livecommerce.demo.viewers import run_simulated_viewers
from livecommerce.demo.world import DEMO_PASSWORD, DemoWorld
from livecommerce.realtime.fanout import UVICORN_WS

log = logging.getLogger(__name__)


def _database_lines(database_url: str) -> list[str]:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    shown = url.render_as_string(hide_password=True)
    lines = []
    if url.get_backend_name() == "sqlite" and url.database:
        lines.append(f"  Database:         {Path(url.database).expanduser().resolve()}")
    else:
        lines.append(f"  Database:         {shown}")
    lines.append(
        f"  Check the ledger: LIVECOMMERCE_DATABASE_URL={shown} livecommerce ledger verify"
    )
    return lines


def _banner(base_url: str, world: DemoWorld, database_url: str, mail: str) -> str:
    lines = [
        "",
        "livecommerce demo is running.",
        f"  Live room:        {base_url}/live/{world.session_id}",
        f"  Upcoming session: {base_url}/live/{world.upcoming_session_id}"
        " (reserved by the demo viewer: reminded 10 min before, and when it goes live)",
        f"  Inbox:            {base_url}/notifications (log in as the viewer)",
        f"  E-mail:           {mail}",
        f"  Home:             {base_url}/",
        f"  Host page:        {base_url}/hosts/{world.room_id}",
        f"  Host console:     {base_url}/console/host",
        f"  Invite viewers:   {base_url}/console/audiences?session={world.upcoming_session_id}"
        " (host: the upcoming session's likeliest viewers, once the recommender has trained"
        " on the simulated viewers' clicks)",
        "  Team:             the 场控 (moderator log-in) runs the host's room: chat, pins, "
        "flash sales; it launched the flash sale on air now (see the team log in the host"
        " console). Team members start at /team (menu: 团队): the 场控's live console, the"
        " 客服's orders, buyer messages and refund requests (service log-in), the 选品's"
        " marketplace, samples and showcase (selection log-in)",
        f"  Share link:       {world.share_url or '-'} (the viewer's; visits and orders counted)",
        f"  Videos:           {base_url}/videos (swipe; the host's video leads into the room)",
        f"  Host's videos:    {base_url}/console/videos (clips of last night's session, figures)",
        f"  Merchant console: {base_url}/console/merchant",
        f"  Factory console:  {base_url}/factory (pre-sales and production orders; log in as"
        " factory@demo.livecommerce.local or the merchant)",
        f"  Session dashboard: {base_url}/dashboards/sessions/{world.session_id}"
        " (log in as the host: it moves with the simulated viewers)",
        f"  Dashboards:       {base_url}/dashboards (reports, selection insight;"
        " the agency sees its hosts' past sessions)",
        f"  Platform (大盘):  {base_url}/dashboards/platform (log in as the admin)",
        *_database_lines(database_url),
        "",
        f"  Log-ins (password for all: {DEMO_PASSWORD})",
    ]
    for role, email in world.logins.items():
        lines.append(f"    {role:<9} {email}")
    lines += ["", "Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


async def _serve_demo(settings: Settings, host: str, port: int, simulated_viewers: int) -> None:
    if settings.smtp_url is not None:  # the operator's own server
        mail = f"sent through {settings.smtp_url.split('@')[-1]}"
        await _serve_demo_with(settings, host, port, simulated_viewers, mail)
        return
    folder = (settings.data_dir / "demo-mail").resolve()
    with mail_sink(folder) as smtp_url:
        mail = f"every message is an .eml file in {folder}/ (a local SMTP sink, {smtp_url})"
        settings = settings.model_copy(update={"smtp_url": smtp_url})
        await _serve_demo_with(settings, host, port, simulated_viewers, mail)


async def _serve_demo_with(
    settings: Settings, host: str, port: int, simulated_viewers: int, mail: str
) -> None:
    from livecommerce.app import create_app

    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            ws_max_size=64 * 1024,
            ws=UVICORN_WS,
            ws_per_message_deflate=settings.ws_per_message_deflate,
            timeout_graceful_shutdown=5,
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # the port is taken or the app failed to start: say why
            return
        await asyncio.sleep(0.05)
    client_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base_url = f"http://{client_host}:{port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        world = await seed_demo(http, app.state.runtime)
        await seed_c2b(http, app.state.runtime, world)
    print(_banner(base_url, world, settings.database_url, mail), flush=True)
    viewers = asyncio.create_task(
        run_simulated_viewers(base_url, app.state.runtime, world, simulated_viewers)
    )
    video = asyncio.create_task(run_demo_video(base_url, app.state.runtime, world))
    # Ctrl+C makes uvicorn stop accepting and wait for open connections: stop our own
    # simulated clients first, or they would keep it waiting.
    while not server.should_exit and not serving.done():  # noqa: ASYNC110 (a plain flag)
        await asyncio.sleep(0.2)
    try:
        viewers.cancel()
        video.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await viewers
        with contextlib.suppress(asyncio.CancelledError):
            await video
    finally:
        await serving


def run_demo(settings: Settings, *, host: str, port: int, simulated_viewers: int) -> None:
    from livecommerce.kit.migrate import upgrade

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Seeding and the simulated viewers make many requests; their lines would bury the banner.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The local SMTP sink logs every connection and command of every message it takes.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    upgrade(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_demo(settings, host, port, simulated_viewers))
