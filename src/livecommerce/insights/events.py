"""Facts insights publishes: behaviour events as they are stored (see docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from livecommerce.kit.events import DomainEvent


class BehaviourItem(BaseModel):
    """One stored behaviour event of a signed-in viewer in a room."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # a BehaviourKind value
    user_id: str
    room_id: str
    session_id: str | None
    product_id: str | None = None  # product clicks: the product clicked
    value: int  # seconds for heartbeats, merged likes, 1 for a share or a visit
    at: datetime


class BehaviourRecorded(DomainEvent):
    """A batch of behaviour events was stored (a hub tick's likes, visits or heartbeats,
    or one page event). Only signed-in viewers' events in a room are listed."""

    name = "insights.behaviour_recorded"
    items: list[BehaviourItem]

    def has_kind(self, *kinds: str) -> bool:
        return any(item.kind in kinds for item in self.items)
