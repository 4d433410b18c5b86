"""The demo's own SMTP server: every e-mail the platform sends lands as an .eml file."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from livecommerce.kit.clock import utcnow


@dataclass
class MailFolder:
    """An aiosmtpd handler that writes each message it accepts to ``folder``."""

    folder: Path

    def __post_init__(self) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            number = next(self._numbers)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{number:04d}.eml"
        path.write_bytes(envelope.content)
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def mail_sink(folder: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Run a local SMTP server writing into ``folder``; yields its smtp:// URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port(host)
    controller = Controller(MailFolder(folder), hostname=host, port=port)
    controller.start()
    try:
        yield f"smtp://{host}:{port}?tls=off"
    finally:
        controller.stop()
