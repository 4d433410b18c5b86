"""Dashboards react to refunds: a refunded order joins the behaviour stream (as a
``refund`` event with its session, room and product), so the rollups subtract it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.service import insights_service
from livecommerce.kit.events import subscribe
from livecommerce.models import BehaviourKind
from livecommerce.orders.events import OrderRefunded
from livecommerce.orders.service import order_service


@subscribe(OrderRefunded, "dashboards.record_refund")
async def record_refund(session: AsyncSession, event: OrderRefunded) -> None:
    # The outbox row is marked done in this unit of work: the event is stored once.
    order = await order_service.get_order(session, event.order_id)
    first = order.items[0] if order.items else None
    await insights_service.do_record(
        session,
        BehaviourKind.REFUND,
        user_id=order.buyer_id,
        room_id=order.room_id,
        session_id=order.session_id,
        product_id=None if first is None else first.product_id,
        order_id=order.id,
        value=event.total_cents,
    )
