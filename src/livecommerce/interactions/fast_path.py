"""The stampede after a flash sale sells out, answered before routing.

Once a sale is known sold out (the broker's short-lived hint, shared by every worker
through Redis), every further click gets the same 409 ``sold_out``. Thousands of
them arrive in the seconds after the last unit goes, so they are answered here, in
a pure ASGI wrapper in front of the router: no route matching, no dependencies, no
authentication, no database. A keyed click that won before (its retry) and every
click while the sale still has units go on to the endpoint as usual.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from livecommerce.interactions.flash_sales import flash_sale_service
from livecommerce.kit.http import error_response
from livecommerce.kit.runtime import Runtime

_PREFIX = "/api/v1/flash-sales/"
_SUFFIX = "/buy"
_IDEMPOTENCY_KEY = b"idempotency-key"


def buy_sale_id(scope: Scope) -> str | None:
    """The sale of ``POST /api/v1/flash-sales/{sale_id}/buy``, or None for any other
    request."""
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    path: str = scope.get("path", "")
    if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
        return None
    sale_id = path[len(_PREFIX) : -len(_SUFFIX)]
    return sale_id if sale_id and "/" not in sale_id else None


class SoldOutFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sale_id = buy_sale_id(scope)
        if sale_id is not None:
            key: str | None = None
            for name, value in scope.get("headers", ()):
                if name == _IDEMPOTENCY_KEY:
                    key = value.decode("latin-1").strip()
                    break
            runtime: Runtime = scope["app"].state.runtime
            if await flash_sale_service.answers_sold_out(runtime, sale_id, key):
                response = error_response(
                    HTTPConnection(scope), 409, "sold_out", "Sold out.", {"left": 0}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
