"""The flash-sale buy, answered in front of the router.

``POST /api/v1/flash-sales/{sale_id}/buy`` is the one request that arrives by the
thousand in the same second, so this pure ASGI wrapper answers it before FastAPI routes
the request: no route matching, no dependency solving, no response-model validation.
It keeps the route's contract (``interactions/endpoints.py``, which documents it in
the OpenAPI schema): the same authentication (bearer token, or session cookie with its
CSRF check), the same ``Idempotency-Key`` handling, body, answers, error codes and
messages in the caller's language. The decisions are the service's (``buy_queue.buy``).

- Once a sale is known sold out (the broker's short-lived hint, shared by every worker
  through Redis), every further click gets 409 ``sold_out`` here with no
  authentication and no database work — except a keyed click that won before (its
  retry), which goes on to get its order.
- Otherwise the caller is authenticated and the buy is placed. A token the cache does
  not know is read with the buyer's default address, together with the tokens of
  every other click arriving meanwhile: one statement for the clicks of a moment
  (``kit/coalesce.py``), not a unit of work each — every buyer's first click is such
  a click.
- Whatever this path does not take as it is — no caller, a body that is not a JSON
  object of the schema's fields, a content type other than JSON — goes on, with its
  body, to the FastAPI route, whose answers (401, 422 …) are the contract.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livecommerce.accounts.dependencies import caller
from livecommerce.interactions.buy_queue import buy
from livecommerce.interactions.flash_sales import flash_sale_service
from livecommerce.interactions.schemas import FlashSaleBuy
from livecommerce.kit.coalesce import Coalescer
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.http import business_error_response, error_response, http_error_response
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Address, User
from livecommerce.orders.schemas import OrderOut
from livecommerce.orders.service import order_service

_PREFIX = "/api/v1/flash-sales/"
_SUFFIX = "/buy"
_IDEMPOTENCY_KEY = b"idempotency-key"
_CONTENT_TYPE = b"content-type"
# The most tokens one read of the clicks' callers takes.
CALLER_READS_MOST = 256

CallerRead = tuple[datetime, User, Address | None]


def caller_reads(runtime: Runtime) -> Coalescer[str, CallerRead]:
    """The process's reads of clicking callers: each token the cache does not know with
    its user's default address, the tokens of concurrent clicks in one statement."""
    reads = runtime.extras.get("flash_sale_caller_reads")
    if not isinstance(reads, Coalescer):

        async def fetch(tokens: Sequence[str]) -> dict[str, CallerRead]:
            async with runtime.db.reading() as reader:
                return await order_service.read_callers_with_default_address(reader, list(tokens))

        reads = Coalescer(fetch, most=CALLER_READS_MOST)
        runtime.extras["flash_sale_caller_reads"] = reads
    return reads


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


class _LeaveToRoute(Exception):
    """This click is the FastAPI route's to answer (its refusals are the contract)."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _parse_body(scope: Scope, body: bytes) -> FlashSaleBuy | None:
    """The click's body as the route would take it, or None to leave it to the route."""
    if not body:
        return FlashSaleBuy()
    content_type = _header(scope, _CONTENT_TYPE)
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "application/json" and not (
            media.startswith("application/") and media.endswith("+json")
        ):
            return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return FlashSaleBuy.model_validate(data)
    except ValidationError:
        return None


class BuyFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sale_id = buy_sale_id(scope)
        if sale_id is None:
            await self.app(scope, receive, send)
            return
        key = _header(scope, _IDEMPOTENCY_KEY)
        key = None if key is None else key.strip()
        runtime: Runtime = scope["app"].state.runtime
        sold_out, won = await flash_sale_service.sold_out_check(runtime, sale_id, key)
        if sold_out:
            response = error_response(
                HTTPConnection(scope), 409, "sold_out", "Sold out.", {"left": 0}
            )
            await response(scope, receive, send)
            return

        connection = HTTPConnection(scope)
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except StarletteHTTPException as refused:  # too large, a NUL character
            await http_error_response(connection, refused)(scope, receive, send)
            return
        body = b"".join(chunks)
        parsed = _parse_body(scope, body)
        if parsed is None:
            await self.app(scope, _replay(body, receive), send)
            return

        # A token the cache does not know is read with the buyer's default address, and
        # with the tokens of the other clicks arriving meanwhile.
        addresses: dict[str, Address | None] = {}
        reads = caller_reads(runtime)

        async def read_token(_reader: AsyncSession, token: str) -> tuple[datetime, User] | None:
            found = await reads.get(token)
            if found is None:
                return None
            expires_at, user, address = found
            addresses[user.id] = address
            return expires_at, user

        async def buyer(reader: AsyncSession) -> User:
            user = await caller(connection, runtime, reader=reader, read=read_token)
            if user is None:
                raise _LeaveToRoute
            return user

        try:
            placed = await buy(
                runtime,
                buyer,
                sale_id,
                quantity=parsed.quantity,
                address_id=parsed.address_id,
                idempotency_key=key,
                won=None if key is None else won,
                default_address=lambda user: addresses.get(user.id),
            )
        except _LeaveToRoute:
            await self.app(scope, _replay(body, receive), send)
            return
        except LiveCommerceError as refused:
            await business_error_response(connection, refused)(scope, receive, send)
            return
        answer = Response(
            OrderOut.model_validate(placed.order).model_dump_json(),
            status_code=201 if placed.created else 200,
            media_type="application/json",
        )
        await answer(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the route the body this path read already."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
