"""A viewer that stops reading is dropped; the others keep receiving."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import websockets

from livecommerce.config import Settings
from livecommerce.kit.broker import live_channel
from livecommerce.realtime.fanout import UVICORN_WS
from livecommerce.realtime.hub import LiveHub
from tests.conftest import LiveServer
from tests.factories import sign_up
from tests.realtime.helpers import (
    close_code,
    eventually,
    http_client,
    start_live_session,
    watch,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Chat is published faster than the per-viewer cap allows; this test is about queues.
    return settings.model_copy(
        update={"ws_send_queue": 8, "ws_send_buffer_kb": 256, "flood_viewer_chat_per_s": 10_000}
    )


def tiny_receive_buffer_socket(port: int) -> socket.socket:
    """A TCP connection whose receive window fills after a few kilobytes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def big_chat(number: int, text: str) -> dict[str, Any]:
    return {
        "type": "chat",
        "id": f"m{number}",
        "user_id": "u",
        "display_name": "系统",
        "text": text,
        "at": "2026-01-01T00:00:00Z",
    }


# Frames written straight to the connection (`livecommerce serve`), and the ASGI send
# path with one queue per viewer (any other ASGI server).
@pytest.mark.parametrize("uvicorn_ws", [UVICORN_WS, "auto"])
async def test_a_client_that_never_reads_is_dropped_and_the_room_goes_on(
    live_server: LiveServer, uvicorn_ws: str
) -> None:
    runtime = live_server.app.state.runtime
    hub: LiveHub = runtime.extras["hub"]
    async with http_client(live_server) as http:
        live = await start_live_session(http)
        reader_account = await sign_up(http)
    channel = live_channel(live.session_id)
    async with (
        watch(live_server, live.session_id, reader_account) as reader,
        websockets.connect(
            f"{live_server.ws_url}/ws/live/{live.session_id}",
            sock=tiny_receive_buffer_socket(live_server.port),
            max_queue=1,  # stop reading from the network after one unread message
            compression=None,  # so the bytes really pile up
            open_timeout=5,
        ) as sleeper,
    ):
        # The sleeper reads no hello, so wait until the server has counted it in.
        async def both_counted() -> bool:
            return await hub.current_online(live.session_id) == 2

        await eventually(both_counted)
        filler = "满" * 20_000  # 60 KB once encoded
        sent = 0
        # Each message is read by the reader before the next is published, so only
        # the sleeper can fall behind; its 8-message queue (or 256 KB of unsent frames,
        # once the kernel's buffers are full) overflows within a few dozen.
        while hub.online_count(live.session_id) == 2:
            sent += 1
            assert sent <= 200, "the sleeper was never dropped"
            await runtime.broker.publish(channel, big_chat(sent, filler))
            assert (await reader.next("chat"))["id"] == f"m{sent}"
        assert hub.online_count(live.session_id) == 1
        await runtime.broker.publish(channel, big_chat(0, "还在吗"))
        assert (await reader.next("chat"))["text"] == "还在吗"
        await reader.send({"type": "ping"})
        assert (await reader.next("pong")) == {"type": "pong"}
        # When the sleeper finally reads, the last thing it finds is the close frame 4008.
        assert await close_code(sleeper) == 4008
