"""Who a token belongs to, remembered for a few seconds by the token's hash.

Requests authenticate from here (``AccountService.authenticate``): a hit costs a dict
look-up instead of a database round trip, and a miss one indexed read outside the
request's unit of work. An entry lives ``TTL_S`` seconds at most and never
past its session's expiry. Log-out forgets the token, and a change to the account
forgets every token of that user, on every worker: the forget is published on the
broker (``CHANNEL``), which every worker's cache listens to. What a hit returns is a
copy of the user not bound to any database session: read it, never change it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import inspect

from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import User

CHANNEL = "accounts:forget"
TTL_S = 5.0
MAX_ENTRIES = 50_000
_EXTRAS_KEY = "token_cache"
_COLUMNS = tuple(attribute.key for attribute in inspect(User).mapper.column_attrs)


@dataclass(frozen=True)
class _Entry:
    user: User
    until: datetime


class TokenCache:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def get(self, token_hash: str) -> User | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if utcnow() >= entry.until:
            self._entries.pop(token_hash, None)
            return None
        return entry.user

    def put(self, token_hash: str, user: User, session_expires_at: datetime) -> User:
        """Remember a copy of ``user`` (bound to no session) and return that copy."""
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        copy = User(**{key: getattr(user, key) for key in _COLUMNS})
        until = min(utcnow() + timedelta(seconds=TTL_S), as_utc(session_expires_at))
        self._entries[token_hash] = _Entry(copy, until)
        return copy

    def forget_token(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)

    def forget_user(self, user_id: str) -> None:
        for token_hash in [key for key, entry in self._entries.items() if entry.user.id == user_id]:
            self._entries.pop(token_hash, None)

    def on_message(self, text: str) -> None:
        message = json.loads(text)
        if "token_hash" in message:
            self.forget_token(str(message["token_hash"]))
        if "user_id" in message:
            self.forget_user(str(message["user_id"]))


async def token_cache(runtime: Runtime) -> TokenCache:
    """This worker's cache, listening for forgets from every worker."""
    cache: TokenCache | None = runtime.extras.get(_EXTRAS_KEY)
    if cache is None:
        cache = runtime.extras[_EXTRAS_KEY] = TokenCache()
        await runtime.broker.subscribe(CHANNEL, cache.on_message)
    return cache


async def forget(
    runtime: Runtime, *, token_hash: str | None = None, user_id: str | None = None
) -> None:
    """Forget a token or every token of a user here at once, and on every worker."""
    cache = await token_cache(runtime)
    message: dict[str, str] = {}
    if token_hash is not None:
        cache.forget_token(token_hash)
        message["token_hash"] = token_hash
    if user_id is not None:
        cache.forget_user(user_id)
        message["user_id"] = user_id
    if message:
        await runtime.broker.publish(CHANNEL, message)
