"""Profiles follow stored behaviour: room time, likes, shares, product clicks, paid orders,
and where visits came from (the traffic sources of attributed visits)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.events import BehaviourRecorded
from livecommerce.kit.events import subscribe
from livecommerce.orders.events import OrderPaid
from livecommerce.profiles.service import profile_service
from livecommerce.traffic.events import VisitAttributed

_ROOM_KINDS = ("enter", "heartbeat", "like", "share", "chat")


@subscribe(
    BehaviourRecorded,
    "profiles.record_behaviour",
    when=lambda event: event.has_kind(*_ROOM_KINDS, "product_click"),
)
async def record_behaviour(session: AsyncSession, event: BehaviourRecorded) -> None:
    await profile_service.do_apply_behaviour(session, event.items)


@subscribe(OrderPaid, "profiles.record_order")
async def record_order(session: AsyncSession, event: OrderPaid) -> None:
    if event.product_id is not None:
        await profile_service.do_record_paid_order(
            session, event.buyer_id, event.product_id, event.total_cents, event.paid_at
        )


@subscribe(
    VisitAttributed,
    "profiles.record_visit_source",
    when=lambda event: event.user_id is not None,
)
async def record_visit_source(session: AsyncSession, event: VisitAttributed) -> None:
    if event.user_id is not None:
        await profile_service.do_record_visit_source(session, event.user_id, event.source)
