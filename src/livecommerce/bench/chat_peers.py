"""The peers of ``livecommerce bench chat``: the same room on python-socketio, and a bare
``websockets`` broadcast server as the ceiling. Each runs in its own process:

``python -m livecommerce.bench.chat_peers websockets PORT``
``python -m livecommerce.bench.chat_peers python-socketio PORT [WORKERS] [REDIS_URL]``
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from typing import Any


def socketio_app() -> Any:
    """The python-socketio room: everyone joins ``live``; a chat is emitted to the room.
    With ``BENCH_SIO_REDIS_URL`` the workers share rooms through Redis."""
    socketio = importlib.import_module("socketio")  # the bench extra; untyped
    redis_url = os.environ.get("BENCH_SIO_REDIS_URL")
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    sio = socketio.AsyncServer(
        async_mode="asgi", client_manager=manager, transports=["websocket"], cors_allowed_origins=[]
    )

    async def connect(sid: str, environ: dict[str, Any]) -> None:
        await sio.enter_room(sid, "live")

    async def chat(sid: str, data: dict[str, Any]) -> None:
        await sio.emit("chat", {"text": str(data.get("text", ""))[:200]}, room="live")

    sio.on("connect", connect)
    sio.on("chat", chat)
    return socketio.ASGIApp(sio)


async def websockets_server(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    clients: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        clients.add(connection)
        try:
            async for message in connection:
                broadcast(clients, message)
        finally:
            clients.discard(connection)

    async with serve(handler, "127.0.0.1", port, compression=None, max_size=65536):
        await asyncio.Future()


def main() -> None:
    system, port = sys.argv[1], int(sys.argv[2])
    if system == "websockets":
        with contextlib.suppress(ImportError):
            import uvloop

            uvloop.install()
        asyncio.run(websockets_server(port))
        return
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    if len(sys.argv) > 4:
        os.environ["BENCH_SIO_REDIS_URL"] = sys.argv[4]
    serve_peer("livecommerce.bench.chat_peers:socketio_app", port, workers)


def serve_peer(app_factory: str, port: int, workers: int) -> None:
    """An ASGI peer under uvicorn, as the benchmark runs every peer: no compression."""
    import uvicorn

    uvicorn.run(
        app_factory,
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    main()
