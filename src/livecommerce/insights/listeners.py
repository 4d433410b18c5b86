"""Insights react to orders: a paid order joins the behaviour stream."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.service import insights_service
from livecommerce.kit.events import subscribe
from livecommerce.models import BehaviourKind
from livecommerce.orders.events import OrderPaid


@subscribe(OrderPaid, "insights.record_payment")
async def record_payment(session: AsyncSession, event: OrderPaid) -> None:
    await insights_service.do_record(
        session,
        BehaviourKind.PAYMENT,
        user_id=event.buyer_id,
        room_id=event.room_id,
        session_id=event.session_id,
        product_id=event.product_id,
        order_id=event.order_id,
        value=event.total_cents,
    )
