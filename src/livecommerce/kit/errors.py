"""One error type for every business failure; the web layer turns it into JSON."""

from __future__ import annotations

from typing import Any


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
    ) -> None:
        super().__init__(message)
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
