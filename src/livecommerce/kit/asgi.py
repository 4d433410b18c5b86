"""Pure ASGI middleware in front of every HTTP request: body size limit and nosniff.

A request body past ``max_body_bytes`` gets ``413 body_too_large``: at once when its
Content-Length says so, else as soon as the bytes read pass the limit (the endpoint's
body parsing stops there). Multipart uploads are left to their own, larger limits
(kit/uploads.py), which they check while streaming. Every response says
``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livecommerce.kit.errors import BodyTooLarge
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
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send_nosniff)
            return
        limit = self.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            too_large = BodyTooLarge(limit)
            response = error_response(
                HTTPConnection(scope), 413, too_large.code, too_large.detail, too_large.details
            )
            await response(scope, receive, send_nosniff)
            return

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, receive_limited, send_nosniff)
