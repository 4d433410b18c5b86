"""The Django Channels peer of ``livecommerce bench chat`` serves the same room as the others."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import free_port

TEXTS = ["1764041000.000001", "hello room", 'quotes " and \\ slashes', "直播 ünïcode", "x" * 200]


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            raise AssertionError(f"chat_channels exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"chat_channels did not start: {log.read_text()}") from None
            time.sleep(0.05)


async def test_every_member_of_the_group_receives_every_chat_in_order(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "chat_channels.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, then polled
            [sys.executable, "-m", "livecommerce.bench.chat_channels", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    clients: list[ClientConnection] = []
    try:
        wait_for_port(port, process, log)
        clients = [await connect(f"ws://127.0.0.1:{port}/", compression=None) for _ in range(20)]
        # connect() returns once accept() ran, and the consumer joins the group before it.
        sender = clients[0]
        for text in TEXTS:
            await sender.send(json.dumps({"type": "chat", "text": text}))

        async def received(client: ClientConnection) -> list[str]:
            frames = [str(await asyncio.wait_for(client.recv(), 10)) for _ in TEXTS]
            try:
                extra = await asyncio.wait_for(client.recv(), 0.3)
            except TimeoutError:
                return frames
            return [*frames, str(extra)]

        results = await asyncio.gather(*(received(client) for client in clients))
        expected = [
            json.dumps({"type": "chat", "text": text}, separators=(",", ":"), ensure_ascii=False)
            for text in TEXTS
        ]
        assert results == [expected] * 20
    finally:
        for client in clients:
            await client.close()
        process.terminate()
        process.wait(15)
    assert "Traceback" not in log.read_text()
