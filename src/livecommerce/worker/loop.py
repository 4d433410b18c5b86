"""The worker loop: runs stored timers (payment expiry, …) when they fall due."""

from __future__ import annotations

from livecommerce.kit.runtime import Runtime


class WorkerLoop:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
