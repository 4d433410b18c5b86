"""Publishing domain events: an outbox in the publisher's unit of work, run after commit.

``publish`` stores one outbox row per interested subscriber (a stored timer of kind
``event:<subscriber>``, due at once) in the publisher's transaction, so the rows
exist exactly when the change that caused them does: a rolled-back unit leaves
none and no handler ever hears of it. Once the unit commits, the process that
published claims each row by id and runs its handler in a unit of work of its own
(``FOR UPDATE`` on PostgreSQL: a row the worker loop took first is waited for, so
every handler has run when the publisher's request answers), marking the row done
in that same transaction. If the process dies between the commit and the handler, the rows are
still pending and the worker loop runs them on its next tick; a handler that
raises is retried with back-off like any job. Either way one row runs once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.events import DomainEvent, subscribers_of
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import runtime_of
from livecommerce.worker.loop import run_job
from livecommerce.worker.service import job_service


async def publish(session: AsyncSession, event: DomainEvent) -> int:
    """Record ``event`` in the current unit of work. Returns how many subscribers get it.

    Subscribers registered ``in_unit`` run here and now, in the publisher's unit."""
    subscribers = subscribers_of(event)
    for subscriber in subscribers:
        if subscriber.in_unit:
            await subscriber.handler(session, event)
    deferred = [subscriber for subscriber in subscribers if not subscriber.in_unit]
    if not deferred:
        return len(subscribers)
    payload = {"event": event.name, "data": event.model_dump(mode="json")}
    now = utcnow()
    ids: list[str] = []
    for subscriber in deferred:
        job = job_service.do_schedule(session, subscriber.kind, run_at=now, payload=payload)
        job.id = new_id()
        ids.append(job.id)
    runtime = runtime_of(session)

    async def _dispatch() -> None:
        for job_id in ids:
            await run_job(runtime, job_id)

    after_commit(session, _dispatch)
    return len(subscribers)
