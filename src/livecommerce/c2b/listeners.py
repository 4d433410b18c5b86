"""C2B reacts to orders: a pre-sale's order paid or cancelled moves its pledge and the
campaign's units, inside the order's own unit of work (``in_unit``), so a paid order is
never committed without its pledge counted, or refunded when the campaign is decided."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.c2b.fulfilment import fulfilment_service
from livecommerce.kit.events import subscribe
from livecommerce.orders.events import OrderCancelled, OrderPaid


@subscribe(
    OrderPaid,
    "presales.pledge_paid",
    when=lambda event: event.campaign_id is not None,
    in_unit=True,
)
async def pledge_paid(session: AsyncSession, event: OrderPaid) -> None:
    await fulfilment_service.do_order_paid(session, event.order_id)


@subscribe(
    OrderCancelled,
    "presales.pledge_cancelled",
    when=lambda event: event.campaign_id is not None,
    in_unit=True,
)
async def pledge_cancelled(session: AsyncSession, event: OrderCancelled) -> None:
    await fulfilment_service.do_order_cancelled(session, event.order_id)
