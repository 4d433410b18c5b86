"""Password hashing (argon2) and token hashing.

argon2 is slow on purpose (tens of milliseconds of CPU). The async forms run it in a
small thread pool, so the event loop keeps answering meanwhile, and callers run them
before their unit of work begins, so no transaction (on SQLite: the write lock) is
held while a password is hashed. The pool is bounded at the machine's core count: a
burst of sign-ups queues for a thread instead of oversubscribing the CPU.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
HASH_THREADS = max(1, min(4, os.cpu_count() or 1))
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="argon2")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    """``hash_password`` in the hashing pool (argon2 releases the GIL while it works)."""
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    """``verify_password`` in the hashing pool."""
    return await asyncio.get_running_loop().run_in_executor(
        _pool, verify_password, password_hash, password
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
