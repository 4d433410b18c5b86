"""Job kinds and their handlers. Domains register with ``@register_job("kind")``.

A handler runs inside the worker's unit of work for that job: it receives the
job's session (the same transaction that marks the job done) and the job row.
It must not commit; raising makes the worker roll the handler's changes back
and retry the job later with back-off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import Subscriber, subscriber_for_kind
from livecommerce.models import ScheduledJob

JobHandler = Callable[[AsyncSession, ScheduledJob], Awaitable[None]]

_handlers: dict[str, JobHandler] = {}


def register_job(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated coroutine as the handler for jobs of ``kind``."""
    if len(kind) > 40:
        raise ValueError("job kinds are at most 40 characters")

    def decorate(handler: JobHandler) -> JobHandler:
        existing = _handlers.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _handlers[kind] = handler
        return handler

    return decorate


def get_job_handler(kind: str) -> JobHandler | None:
    handler = _handlers.get(kind)
    if handler is None:
        subscriber = subscriber_for_kind(kind)
        if subscriber is not None:
            handler = _event_job_handler(subscriber)
    return handler


def _event_job_handler(subscriber: Subscriber) -> JobHandler:
    """An outbox row runs its subscriber with the event it stored."""

    async def run(session: AsyncSession, job: ScheduledJob) -> None:
        event = subscriber.event_type.model_validate(job.payload["data"])
        await subscriber.handler(session, event)

    return run


def registered_kinds() -> list[str]:
    return sorted(_handlers)
