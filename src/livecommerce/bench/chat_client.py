"""The viewers and the chatter of ``livecommerce bench chat``, run in their own process.

``python -m livecommerce.bench.chat_client CONFIG_JSON`` connects ``viewers``
WebSockets to one room, then one sender chats at ``rate_per_s`` for
``duration_s``; each message carries its send time, so every viewer measures its
delivery latency. Prints one JSON object. The same client drives every system
(livecommerce, python-socketio, bare websockets), so the load is identical.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from typing import Any

_TEXT = re.compile(r'"text":"(\d+\.\d+)"')


class Viewers:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.system: str = config["system"]
        self.window: tuple[float, float] = (float("inf"), float("inf"))
        self.latencies: list[float] = []
        self.late = 0  # deliveries of measured messages after the drain ended
        self.dropped = 0
        self.connected = 0
        self.stopping = False

    async def open(self, url: str) -> Any:
        from websockets.asyncio.client import connect

        socket = await connect(url, open_timeout=120, max_size=2**20, compression=None)
        if self.system == "python-socketio":
            await socket.recv()  # engine.io open packet
            await socket.send("40")  # join the default namespace
            while not str(await socket.recv()).startswith("40"):
                pass
        return socket

    async def watch(self, socket: Any) -> None:
        latencies = self.latencies
        socketio = self.system == "python-socketio"
        try:
            async for message in socket:
                now = time.time()
                if socketio and message == "2":
                    await socket.send("3")
                    continue
                match = _TEXT.search(message)
                if match is None:
                    continue
                sent = float(match.group(1))
                window = self.window  # set once the viewers are all in
                if window[0] <= sent < window[1]:
                    latencies.append(now - sent)
        except Exception:
            pass
        if not self.stopping:
            self.dropped += 1

    async def chat(self, socket: Any, text: str) -> None:
        if self.system == "python-socketio":
            await socket.send("42" + json.dumps(["chat", {"text": text}], separators=(",", ":")))
        else:
            await socket.send(json.dumps({"type": "chat", "text": text}, separators=(",", ":")))

    async def run(self) -> dict[str, Any]:
        config = self.config
        limit = asyncio.Semaphore(int(config.get("connect_concurrency", 100)))
        watchers: list[asyncio.Task[None]] = []
        sockets: list[Any] = []

        async def one() -> None:
            async with limit:
                socket = await self.open(config["viewer_url"])
            sockets.append(socket)
            self.connected += 1
            watchers.append(asyncio.create_task(self.watch(socket)))

        started = time.monotonic()
        results = await asyncio.gather(
            *(one() for _ in range(config["viewers"])), return_exceptions=True
        )
        failed_to_connect = sum(1 for result in results if isinstance(result, BaseException))
        connect_s = time.monotonic() - started
        # Several chatters take turns (a real room has many, each well under the
        # per-user rate limit); one socket would serialise every message it sends.
        senders = [await self.open(url) for url in config["sender_urls"]]
        sender_readers = [asyncio.create_task(self._drain(sender)) for sender in senders]
        await asyncio.sleep(float(config.get("settle_s", 1.0)))

        rate = float(config["rate_per_s"])
        duration = float(config["duration_s"])
        begin = time.time() + 0.2
        self.window = (begin, begin + duration)
        count = int(rate * duration)
        for number in range(count):
            due = begin + number / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.chat(senders[number % len(senders)], f"{time.time():.6f}")
        await asyncio.sleep(float(config.get("drain_s", 2.0)))
        self.stopping = True
        delivered = len(self.latencies)

        async def close(socket: Any) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(), 5)

        await asyncio.gather(*(close(socket) for socket in [*sockets, *senders]))
        for task in [*watchers, *sender_readers]:
            task.cancel()
        await asyncio.gather(*watchers, *sender_readers, return_exceptions=True)
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

        expected = count * self.connected
        return {
            "viewers_connected": self.connected,
            "failed_to_connect": failed_to_connect,
            "connect_s": round(connect_s, 1),
            "messages_sent": count,
            "deliveries_expected": expected,
            "deliveries": delivered,
            "delivered_per_s": round(delivered / duration, 1),
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "dropped_clients": self.dropped,
        }

    async def _drain(self, socket: Any) -> None:
        with contextlib.suppress(Exception):
            async for message in socket:
                if self.system == "python-socketio" and message == "2":
                    await socket.send("3")


def main() -> None:
    config = json.loads(sys.argv[1])
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(Viewers(config).run())
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
