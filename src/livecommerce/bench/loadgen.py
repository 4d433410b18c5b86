"""A minimal HTTP/1.1 load generator for the HTTP benchmarks.

A general-purpose client (httpx) costs more per request than the server under test,
so a benchmark driven by it measures the client. This one keeps one request in flight
per keep-alive connection, writes pre-built request bytes and parses only the status
line, ``Content-Length`` (or a chunked body) and ``Connection: close``: it saturates a
bare ASGI app under uvicorn on the machine it runs on, which is what makes that app a
ceiling. Every HTTP benchmark (``bench http``, ``bench flash-sale``) uses it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast


class HttpError(Exception):
    """The connection failed or the reply could not be parsed."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def build_request(
    method: str,
    path: str,
    *,
    host: str,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
) -> bytes:
    """The bytes of one HTTP/1.1 request (keep-alive)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    body = b""
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        lines.append("Content-Type: application/json")
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Reply] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HttpError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        try:
            reply = self._parse()
        except HttpError as exc:
            self.waiter.set_exception(exc)
            return
        if reply is not None:
            self.waiter.set_result(reply)

    def _parse(self) -> Reply | None:
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buffer[:end]).split(b"\r\n")
        try:
            status = int(head[0].split(b" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise HttpError(f"bad status line {head[0]!r}") from exc
        length = -1
        chunked = False
        close = False
        for line in head[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lowered == b"connection":
                close = value.strip().lower() == b"close"
        start = end + 4
        if chunked:
            body = bytearray()
            position = start
            while True:
                line_end = buffer.find(b"\r\n", position)
                if line_end < 0:
                    return None
                size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
                chunk_start = line_end + 2
                if len(buffer) < chunk_start + size + 2:
                    return None
                if size == 0:
                    trailer_end = buffer.find(b"\r\n", chunk_start)
                    if trailer_end < 0:
                        return None
                    consumed = trailer_end + 2
                    break
                body += buffer[chunk_start : chunk_start + size]
                position = chunk_start + size + 2
            reply = Reply(status, bytes(body))
        else:
            length = max(length, 0)
            if len(buffer) < start + length:
                return None
            consumed = start + length
            reply = Reply(status, bytes(buffer[start:consumed]))
        del buffer[:consumed]
        if close:
            self.closed = True
        return reply


class Connection:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._protocol: _Protocol | None = None

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _transport, protocol = await loop.create_connection(_Protocol, self.host, self.port)
        return protocol

    async def request(self, raw: bytes, *, within_s: float = 300.0) -> Reply:
        protocol = self._protocol
        if protocol is None or protocol.closed:
            try:
                protocol = self._protocol = await self._connect()
            except OSError as exc:
                raise HttpError(f"cannot connect: {exc}") from exc
        assert protocol.transport is not None
        waiter = asyncio.get_running_loop().create_future()
        protocol.waiter = waiter
        protocol.transport.write(raw)
        try:
            reply: Reply = await asyncio.wait_for(waiter, within_s)
        except TimeoutError as exc:
            self.close()
            raise HttpError("timed out") from exc
        except HttpError:
            self.close()
            raise
        finally:
            protocol.waiter = None
        if protocol.closed:
            self.close()
        return reply

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None


@dataclass
class LoadResult:
    """What one load run saw: every reply's latency and status, and the failures."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_s(self) -> float:
        return round(self.requests / self.elapsed, 1) if self.elapsed > 0 else 0.0

    def record(self, started: float, status: int) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
        return round(ordered[index] * 1000, 2)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "per_s": self.per_s,
            "p50_ms": self.percentile_ms(0.50),
            "p99_ms": self.percentile_ms(0.99),
            "errors": self.errors,
            "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
        }


RequestMaker = Callable[[int, int], bytes]  # (connection number, request number) → bytes


async def hammer(
    host: str,
    port: int,
    *,
    connections: int,
    make_request: RequestMaker,
    duration_s: float | None = None,
    total: int | None = None,
    expect: Iterable[int] = (200,),
) -> LoadResult:
    """Send requests on ``connections`` keep-alive connections, one in flight on each,
    for ``duration_s`` seconds or ``total`` requests. A reply with a status outside
    ``expect``, or a failed connection, counts as an error."""
    if (duration_s is None) == (total is None):
        raise ValueError("give either duration_s or total")
    expected = frozenset(expect)
    result = LoadResult()
    counter = iter(range(total if total is not None else 1 << 62))
    deadline = 0.0

    async def worker(number: int) -> None:
        connection = Connection(host, port)
        try:
            for sequence in counter:
                if duration_s is not None and time.perf_counter() >= deadline:
                    return
                raw = make_request(number, sequence)
                started = time.perf_counter()
                try:
                    reply = await connection.request(raw)
                except HttpError:
                    result.errors += 1
                    continue
                result.record(started, reply.status)
                if reply.status not in expected:
                    result.errors += 1
        finally:
            connection.close()

    started = time.perf_counter()
    deadline = started + (duration_s or 0.0)
    await asyncio.gather(*(worker(number) for number in range(connections)))
    result.elapsed = time.perf_counter() - started
    return result


async def run_workers(
    connections: int, worker: Callable[[Connection], Awaitable[None]], host: str, port: int
) -> float:
    """Run ``worker`` once per connection, concurrently; returns the elapsed seconds."""

    async def one() -> None:
        connection = Connection(host, port)
        try:
            await worker(connection)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    return time.perf_counter() - started
