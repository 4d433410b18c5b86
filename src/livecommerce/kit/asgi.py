"""Pure ASGI middleware in front of every HTTP request: body size limit, NUL characters
and nosniff.

A request body past ``max_body_bytes`` gets ``413 body_too_large``: at once when its
Content-Length says so, else as soon as the bytes read pass the limit (the endpoint's
body parsing stops there). Multipart uploads are left to their own, larger limits
(kit/uploads.py), which they check while streaming.

A NUL character can be neither stored nor compared by PostgreSQL, so one in the path,
the query or a JSON or form body (``\\u0000``, ``%00``) gets ``400 null_character``.

Every response says ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livecommerce.kit.errors import BodyTooLarge, NullCharacter
from livecommerce.kit.http import error_response

_NOSNIFF = (b"x-content-type-options", b"nosniff")


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == _NOSNIFF[0] for name, _ in headers):
                    headers.append(_NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        headers = Headers(scope=scope)
        refusal: BodyTooLarge | NullCharacter | None = None
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            refusal = NullCharacter()
        content_type = headers.get("content-type", "").lower()
        if refusal is None and content_type.startswith("multipart/form-data"):
            await self.app(scope, receive, send_nosniff)
            return
        limit = self.max_body_bytes
        declared = headers.get("content-length", "")
        if refusal is None and declared.isdigit() and int(declared) > limit:
            refusal = BodyTooLarge(limit)
        if refusal is not None:
            response = error_response(
                HTTPConnection(scope),
                refusal.status_code,
                refusal.code,
                refusal.detail,
                refusal.details,
            )
            await response(scope, receive, send_nosniff)
            return

        received = 0
        nul_finder = _NulFinder(content_type)

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                received += len(body)
                if received > limit:
                    raise BodyTooLarge(limit)
                if nul_finder.found_in(body):
                    raise NullCharacter()
            return message

        await self.app(scope, receive_limited, send_nosniff)


class FixedReply:
    """``GET path`` answered with a reply that never changes, before ``app``'s middleware
    and routing: the same status, body and headers its route gives (``nosniff`` as
    ``RequestGuard`` adds it). Everything else goes on to ``app``."""

    def __init__(self, app: ASGIApp, path: str, body: bytes, media_type: str) -> None:
        self.app = app
        self.path = path
        self._start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", media_type.encode()),
                _NOSNIFF,
            ],
        }
        self._body: Message = {"type": "http.response.body", "body": body}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == self.path:
            await send(self._start)
            await send(self._body)
            return
        await self.app(scope, receive, send)


class _NulFinder:
    """Finds a NUL in a JSON (``\\u0000`` escape) or form (``%00``) body, chunk by chunk."""

    def __init__(self, content_type: str) -> None:
        self.json = "json" in content_type
        self.form = content_type.startswith("application/x-www-form-urlencoded")
        self.tail = b""

    def found_in(self, chunk: bytes) -> bool:
        if not (self.json or self.form) or not chunk:
            return False
        data = self.tail + chunk
        self.tail = data[-64:]
        if self.form:
            return b"%00" in data
        start = data.find(b"\\u0000")
        while start != -1:
            # An escape only when its backslash is not itself escaped (odd run of them).
            run = len(data[:start]) - len(data[:start].rstrip(b"\\"))
            if run % 2 == 0:
                return True
            start = data.find(b"\\u0000", start + 1)
        return False
