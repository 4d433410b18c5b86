"""Throttled ``presale_progress`` broadcasts: a burst of pledges gives the room at most
one progress message per campaign per interval (a second by default), and the last
state is always delivered.

The first change after a quiet interval goes out at once. Changes inside the interval
are folded into one trailing message sent when the interval ends; it carries the
campaign as it stands then, read again from the database (another worker process may
have moved it meanwhile), so the room never ends on a stale figure. Each app process
throttles its own broadcasts (``runtime.extras["c2b.progress"]``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from livecommerce.kit.broker import live_channel
from livecommerce.kit.runtime import Runtime

log = logging.getLogger(__name__)

INTERVAL_S = 1.0
EXTRA_KEY = "c2b.progress"

# Reads the campaign's current progress message (None: no longer there).
Reader = Callable[[Runtime, str], Awaitable[dict[str, Any] | None]]


@dataclass
class _State:
    sent_at: float
    channel: str
    latest: dict[str, Any]
    trailing: asyncio.Task[None] | None = None


class ProgressThrottle:
    def __init__(
        self,
        runtime: Runtime,
        reader: Reader,
        interval_s: float = INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.reader = reader
        self.interval_s = interval_s
        self.clock = clock
        self._states: dict[str, _State] = {}

    async def offer(self, session_id: str, message: dict[str, Any]) -> None:
        """A campaign changed (after its commit): broadcast now, or fold into the trailing
        message of the current interval."""
        campaign_id = str(message["campaign_id"])
        now = self.clock()
        self._forget_quiet(now)
        state = self._states.get(campaign_id)
        channel = live_channel(session_id)
        if state is None or (state.trailing is None and now - state.sent_at >= self.interval_s):
            self._states[campaign_id] = _State(sent_at=now, channel=channel, latest=message)
            await self.runtime.broker.publish(channel, message)
            return
        state.latest = message
        state.channel = channel
        if state.trailing is None:
            delay = max(0.0, self.interval_s - (now - state.sent_at))
            state.trailing = asyncio.create_task(self._trail(campaign_id, delay))

    async def _trail(self, campaign_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        state = self._states[campaign_id]
        message = state.latest
        try:
            fresh = await self.reader(self.runtime, campaign_id)
        except Exception:  # the database is going away (shutdown): send what we have
            log.debug("pre-sale %s: progress read failed", campaign_id, exc_info=True)
            fresh = None
        state.trailing = None
        state.sent_at = self.clock()
        try:
            await self.runtime.broker.publish(state.channel, fresh or message)
        except Exception:
            log.warning("pre-sale %s: progress broadcast failed", campaign_id, exc_info=True)

    def _forget_quiet(self, now: float) -> None:
        if len(self._states) < 1000:
            return
        for campaign_id, state in list(self._states.items()):
            if state.trailing is None and now - state.sent_at >= self.interval_s:
                del self._states[campaign_id]

    async def flush(self) -> None:
        """Wait for the trailing messages under way (tests, shutdown)."""
        tasks = [state.trailing for state in self._states.values() if state.trailing]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def progress_throttle(runtime: Runtime, reader: Reader) -> ProgressThrottle:
    """The process's throttle (one per running app)."""
    throttle = runtime.extras.get(EXTRA_KEY)
    if not isinstance(throttle, ProgressThrottle):
        throttle = ProgressThrottle(runtime, reader)
        runtime.extras[EXTRA_KEY] = throttle
    return throttle
