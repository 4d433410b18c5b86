"""Commissions react to orders: a paid order is posted to the ledger with the host's
commission and the agency's share under the terms in force when it was paid, and
counts as a sale of the offers it bought."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.ledger.service import ledger_service
from livecommerce.mcn.service import mcn_service
from livecommerce.orders.events import OrderPaid
from livecommerce.orders.service import order_service


@subscribe(OrderPaid, "mcn.post_order_paid")
async def post_order_paid(session: AsyncSession, event: OrderPaid) -> None:
    order = await order_service.get_order(session, event.order_id)
    terms = await mcn_service.commission_terms(session, order, at=order.paid_at or event.paid_at)
    if await ledger_service.do_post_order_paid(session, order, terms) is not None:
        await mcn_service.do_record_sales(session, order)
