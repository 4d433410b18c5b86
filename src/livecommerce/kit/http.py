"""Helpers for endpoints: the per-request unit of work and the error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from livecommerce.kit.db import discard_after_commit, run_after_commit
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_ws_runtime(websocket: WebSocket) -> Runtime:
    runtime: Runtime = websocket.app.state.runtime
    return runtime


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _declare_writes(request: Request) -> None:
    request.state.unit_of_work_writes = True


# A route whose GET writes (a click counter, say) declares it:
# ``@router.get(..., dependencies=[WRITES])``. Route-level dependencies are solved
# before the endpoint's, so the request's session sees the declaration.
WRITES = Depends(_declare_writes)


def request_writes(request: Request) -> bool:
    """Whether this request's unit of work writes: every method but GET, HEAD and
    OPTIONS, and a read method whose route declares ``WRITES``."""
    return request.method not in _READ_METHODS or bool(
        getattr(request.state, "unit_of_work_writes", False)
    )


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request is the unit of work: commit once after the endpoint, then publish.

    The route decides how it begins: a writing request (``request_writes``) takes
    SQLite's write lock up front (``BEGIN IMMEDIATE``); a reading one begins deferred
    and reads a WAL snapshot, never queueing behind writers. A reading request is
    still committed, so an undeclared write is kept (or fails loudly), never lost."""
    db = get_runtime(request).db
    maker = db.sessionmaker if request_writes(request) else db.reader_sessionmaker
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            discard_after_commit(session)
            await session.rollback()
            raise
    await run_after_commit(session)


# scope="function": commit before the response is sent, so a client never
# reads a reply describing a write that is not yet durable.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LiveCommerceError)
    async def _business_error(_request: Request, exc: LiveCommerceError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(part) for part in error.get("loc", ()) if part != "body"),
                "message": str(error.get("msg", "")),
            }
            for error in exc.errors()
        ]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        message = f"Invalid value for '{first['field']}': {first['message']}"
        return JSONResponse(
            {"code": "validation_failed", "message": message, "details": {"errors": problems}},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(
            {"code": code, "message": message},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
