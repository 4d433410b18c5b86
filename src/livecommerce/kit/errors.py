"""One error type for every business failure; the web layer turns it into JSON."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException


class LiveCommerceError(Exception):
    """A failure the caller can act on: ``code`` for machines, ``message`` for people."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(LiveCommerceError):
    status = 422
    code = "validation_failed"


class NotAuthenticated(LiveCommerceError):
    status = 401
    code = "not_authenticated"


class Forbidden(LiveCommerceError):
    status = 403
    code = "forbidden"


class NotFound(LiveCommerceError):
    status = 404
    code = "not_found"


class Conflict(LiveCommerceError):
    status = 409
    code = "conflict"


class TooLarge(LiveCommerceError):
    status = 413
    code = "too_large"


class RateLimited(LiveCommerceError):
    status = 429
    code = "rate_limited"


class BodyTooLarge(StarletteHTTPException):
    """A request body past the configured limit, raised while it is being read."""

    code = "body_too_large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes // 1024} KiB.")
        self.details: dict[str, Any] = {"max_bytes": max_bytes, "max_kib": max_bytes // 1024}


class NullCharacter(StarletteHTTPException):
    """A NUL character in a request's path, query or body: no column can hold one."""

    code = "null_character"

    def __init__(self) -> None:
        super().__init__(400, "The request contains a NUL character.")
        self.details: dict[str, Any] = {}
