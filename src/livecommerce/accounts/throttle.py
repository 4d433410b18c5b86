"""Log-in defences: failed attempts are counted per account and per client address.

Past ``login_failures_per_account`` failures for one e-mail, or
``login_failures_per_address`` from one address, further attempts are refused with
``429 login_throttled`` before the password is checked (the right one too) until
``login_throttle_window_s`` has passed without a counted failure. The counters live in
the broker: Redis when configured (shared by every worker), in memory otherwise. A
successful log-in clears its account's counter.

Unknown e-mails cost as much as wrong passwords: the password is checked against a
dummy hash (``dummy_password_hash``), so timing does not tell which e-mails exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from starlette.requests import HTTPConnection

from livecommerce.accounts.security import hash_password
from livecommerce.kit.errors import NotAuthenticated, RateLimited
from livecommerce.kit.ids import new_token
from livecommerce.kit.runtime import Runtime


@cache
def dummy_password_hash() -> str:
    """A hash made like real ones, of a password nobody knows."""
    return hash_password(new_token())


def _account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:account:{digest}"


def _address_key(connection: HTTPConnection) -> str:
    address = connection.client.host if connection.client else "unknown"
    return f"login-fail:address:{address}"


@asynccontextmanager
async def login_attempt(
    runtime: Runtime, connection: HTTPConnection, email: str
) -> AsyncIterator[None]:
    """Wrap one credentials check: refuse when throttled, count it when it fails."""
    settings = runtime.settings
    broker = runtime.broker
    window = settings.login_throttle_window_s
    account_key, address_key = _account_key(email), _address_key(connection)
    limits = (
        (account_key, settings.login_failures_per_account),
        (address_key, settings.login_failures_per_address),
    )
    for key, limit in limits:
        if (await broker.get_int(key) or 0) >= limit:
            raise RateLimited(
                "Too many failed log-ins; try again later.",
                code="login_throttled",
                details={"retry_after_s": window},
                retry_after_s=window,
            )
    try:
        yield
    except NotAuthenticated:
        for key, _limit in limits:
            await broker.incr(key, expire_s=window)
        raise
    failures = await broker.get_int(account_key)
    if failures:
        await broker.incr(account_key, -failures, expire_s=window)
