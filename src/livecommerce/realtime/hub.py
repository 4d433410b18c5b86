"""The realtime hub: live-session rooms of WebSocket clients fed from the broker."""

from __future__ import annotations

from livecommerce.kit.runtime import Runtime


class LiveHub:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
