"""Helpers for endpoints: the per-request unit of work and the error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection

from livecommerce.kit.db import discard_after_commit, open_session, run_after_commit
from livecommerce.kit.errors import LiveCommerceError
from livecommerce.kit.language import LANG_COOKIE, pick_language
from livecommerce.kit.messages import (
    CODE_BY_STATUS,
    error_message,
    validation_problem,
    validation_summary,
)
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
    async with open_session(maker) as session:
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


def request_language(connection: HTTPConnection) -> str:
    """As pages choose: the ``lang`` cookie, else the browser's Accept-Language, else zh."""
    return pick_language(
        connection.cookies.get(LANG_COOKIE), None, connection.headers.get("accept-language")
    )


def error_response(
    connection: HTTPConnection,
    status: int,
    code: str,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """``{code, message, details?}`` with the message in the caller's language."""
    body: dict[str, Any] = {
        "code": code,
        "message": error_message(request_language(connection), code, status, message, details),
    }
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


def business_error_response(connection: HTTPConnection, exc: LiveCommerceError) -> JSONResponse:
    """The answer to a refusal a service raised (``LiveCommerceError``)."""
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
    return error_response(connection, exc.status, exc.code, exc.message, exc.details, headers)


def http_error_response(connection: HTTPConnection, exc: StarletteHTTPException) -> JSONResponse:
    """The answer to an HTTP-level refusal (a body too large, a NUL character …)."""
    code = getattr(exc, "code", None) or CODE_BY_STATUS.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else None
    return error_response(
        connection,
        exc.status_code,
        code,
        message,
        getattr(exc, "details", None),
        getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LiveCommerceError)
    async def _business_error(request: Request, exc: LiveCommerceError) -> JSONResponse:
        return business_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = request_language(request)
        problems = [
            {
                "field": ".".join(str(part) for part in error.get("loc", ()) if part != "body"),
                "message": validation_problem(language, error),
            }
            for error in exc.errors()
        ]
        return JSONResponse(
            {
                "code": "validation_failed",
                "message": validation_summary(language, problems),
                "details": {"errors": problems},
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error_response(request, exc)

    document_error_responses(app)


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every 4xx answer: a code for programs, a sentence in the caller's language.",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Stable, machine-readable.", "title": "Code"},
        "message": {
            "type": "string",
            "description": "For people: Chinese or English, as the lang cookie or "
            "Accept-Language asks.",
            "title": "Message",
        },
        "details": {
            "type": "object",
            "additionalProperties": True,
            "description": "Specifics, such as ``errors`` (field, message) of a 422.",
            "title": "Details",
        },
    },
}

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not logged in, or the token is invalid or expired",
    403: "Not allowed: role, ownership or CSRF",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body or upload too large",
    422: "Invalid values",
    429: "Too many requests",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
LOG_IN_OPERATIONS = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/token")}
# Other operations with a rate limit of their own.
RATE_LIMITED_OPERATIONS = {("POST", "/api/v1/live-sessions/{session_id}/questions")}


def _walk(dependant: Dependant) -> tuple[set[str], set[str]]:
    """The names of the dependency functions and the kinds of parameters, sub-dependencies
    included."""
    names: set[str] = set()
    kinds = {
        kind
        for kind, params in (
            ("path", dependant.path_params),
            ("query", dependant.query_params),
            ("header", dependant.header_params),
        )
        if params
    }
    for dependency in dependant.dependencies:
        names.add(getattr(dependency.call, "__name__", ""))
        more_names, more_kinds = _walk(dependency)
        names |= more_names
        kinds |= more_kinds
    return names, kinds


def _error_statuses(route: APIRoute, path: str, method: str) -> set[int]:
    calls, kinds = _walk(route.dependant)
    statuses: set[int] = set()
    if "optional_user" in calls:
        statuses.add(401)  # a bearer token that is invalid or expired
    if "current_user" in calls:
        statuses |= {401, 403}  # not logged in; role or ownership
    if "path" in kinds:
        statuses.add(404)
    if method in _UNSAFE:
        statuses |= {403, 409}  # CSRF or signature; the resource's state
    if route.body_field is not None:
        statuses |= {400, 404, 413, 422}  # the body may name things that do not exist
    if kinds:
        statuses |= {400, 422}  # a NUL character; values that do not fit
    if (method, path) in LOG_IN_OPERATIONS:
        statuses |= {401, 429}  # wrong credentials, too many failures
    if (method, path) in RATE_LIMITED_OPERATIONS:
        statuses.add(429)
    return statuses


def document_error_responses(app: FastAPI) -> None:
    """List in ``/openapi.json`` every error status an operation can answer, with its shape."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        reference = {"$ref": "#/components/schemas/Error"}
        for context in iter_route_contexts(app.routes):
            route, path = context.original_route, context.path_format
            if not isinstance(route, APIRoute) or not route.include_in_schema or path is None:
                continue
            for method in route.methods or ():
                operation = schema["paths"].get(path, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in sorted(_error_statuses(route, path, method)):
                    responses[str(status)] = {
                        "description": _DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    }
                for status, declared in responses.items():  # a route's own, e.g. 404
                    if status.isdigit() and int(status) >= 400:
                        declared.setdefault("content", {"application/json": {"schema": reference}})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
