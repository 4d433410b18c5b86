"""Dashboards react to refunds and attributed visits.

A refunded order joins the behaviour stream (as a ``refund`` event with its session, room
and product), so the rollups subtract it. An attributed visit stores the viewer's traffic
source for the session, which the rollup gives the viewer when it first sees them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.dashboards.service import dashboard_service
from livecommerce.insights.service import insights_service
from livecommerce.kit.events import subscribe
from livecommerce.models import BehaviourKind
from livecommerce.orders.events import OrderRefunded
from livecommerce.orders.service import order_service
from livecommerce.traffic.events import VisitAttributed


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


# In the unit: the source commits with the visit itself, so it is there before the
# viewer's first behaviour event (the hub's enter, stored a tick later) is rolled up.
@subscribe(
    VisitAttributed,
    "dashboards.record_visit_source",
    when=lambda event: event.viewer_key is not None,
    in_unit=True,
)
async def record_visit_source(session: AsyncSession, event: VisitAttributed) -> None:
    if event.viewer_key is not None:
        await dashboard_service.do_record_visit_source(
            session, event.session_id, event.viewer_key, event.source, event.at
        )
