"""Domain events: typed facts one domain publishes and others react to.

A publishing domain declares its events in its own ``events`` module (subclasses
of :class:`DomainEvent`, payloads of plain values). A listening domain registers
a handler with ``@subscribe(EventType, "domain.what_it_does")`` in its
``listeners`` module. Publishing and dispatch live in ``livecommerce.worker.events``:
an event is stored in the publisher's unit of work as one outbox row per
subscriber and every handler runs after that unit commits, in its own unit of
work, at most once (see docs/architecture.md, "Domain events").

This module only holds the vocabulary and who listens; it touches no database.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

# Outbox rows are stored timers of kind ``event:<subscriber name>``; kinds hold 40 characters.
KIND_PREFIX = "event:"
MAX_SUBSCRIBER_NAME = 40 - len(KIND_PREFIX)

# Modules whose import registers subscribers with ``@subscribe``. Loaded before the
# first event is published or dispatched, so every subscriber gets its outbox row.
LISTENER_MODULES = (
    "livecommerce.orders.listeners",
    "livecommerce.payments.listeners",
    "livecommerce.ledger.listeners",
    "livecommerce.mcn.listeners",
    "livecommerce.insights.listeners",
    "livecommerce.interactions.listeners",
    "livecommerce.search.listeners",
    "livecommerce.notifications.listeners",
    "livecommerce.fans.listeners",
    "livecommerce.c2b.listeners",
    "livecommerce.videos.listeners",
    "livecommerce.traffic.listeners",
    "livecommerce.dashboards.listeners",
    "livecommerce.profiles.listeners",
    "livecommerce.recommend.listeners",
)

_event_types: dict[str, type[DomainEvent]] = {}


class DomainEvent(BaseModel):
    """A fact that happened: immutable, serialisable, named once across the platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if isinstance(name, str):
            existing = _event_types.get(name)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise ValueError(f"event name {name!r} is used twice")
            _event_types[name] = cls


Handler = Callable[[AsyncSession, Any], Awaitable[None]]
Condition = Callable[[Any], bool]


@dataclass(frozen=True)
class Subscriber:
    name: str
    event_type: type[DomainEvent]
    handler: Handler
    when: Condition | None = None
    in_unit: bool = False

    @property
    def kind(self) -> str:
        return KIND_PREFIX + self.name

    def wants(self, event: DomainEvent) -> bool:
        return self.when is None or self.when(event)


_subscribers: dict[str, Subscriber] = {}
_loaded = False

E = TypeVar("E", bound=DomainEvent)
EventHandler = Callable[[AsyncSession, E], Awaitable[None]]


def subscribe(
    event_type: type[E],
    name: str,
    *,
    when: Callable[[E], bool] | None = None,
    in_unit: bool = False,
) -> Callable[[EventHandler[E]], EventHandler[E]]:
    """Register the decorated coroutine to run after every committed ``event_type``.

    ``name`` identifies the subscriber for good (it is stored with each outbox row);
    ``when`` skips events the subscriber does not care about, so they cost no row.
    ``in_unit=True`` is for the rare change that must commit with the publisher's or
    not at all (stock given back): the handler runs at once, inside the publisher's
    unit of work, and its failure fails that unit.
    """
    if len(name) > MAX_SUBSCRIBER_NAME:
        raise ValueError(f"subscriber names are at most {MAX_SUBSCRIBER_NAME} characters")

    def decorate(handler: EventHandler[E]) -> EventHandler[E]:
        existing = _subscribers.get(name)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"a subscriber named {name!r} is already registered")
        _subscribers[name] = Subscriber(name, event_type, handler, when, in_unit)
        return handler

    return decorate


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def load_listeners() -> None:
    global _loaded
    if not _loaded:
        for module in LISTENER_MODULES:
            importlib.import_module(module)
        _loaded = True


def subscribers_of(event: DomainEvent) -> list[Subscriber]:
    load_listeners()
    return [
        subscriber
        for subscriber in _subscribers.values()
        if subscriber.event_type.name == event.name and subscriber.wants(event)
    ]


def subscriber_for_kind(kind: str) -> Subscriber | None:
    if not kind.startswith(KIND_PREFIX):
        return None
    load_listeners()
    return _subscribers.get(kind.removeprefix(KIND_PREFIX))


def event_type(name: str) -> type[DomainEvent] | None:
    return _event_types.get(name)


def catalogue() -> dict[str, list[str]]:
    """Every published event name and the subscribers listening to it."""
    load_listeners()
    return {
        name: sorted(s.name for s in _subscribers.values() if s.event_type.name == name)
        for name in sorted(_event_types)
    }
