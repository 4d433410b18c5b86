"""The ledger reacts to orders: a refunded order's entries are reversed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.ledger.repository import ledger_repository
from livecommerce.ledger.service import ledger_service
from livecommerce.orders.events import OrderRefunded
from livecommerce.orders.service import order_service


class PaidEntryNotPosted(RuntimeError):
    """The order's OrderPaid posting has not run yet (it was delayed by a crash)."""


@subscribe(OrderRefunded, "ledger.post_order_refunded")
async def post_order_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    order = await order_service.get_order(session, event.order_id)
    paid = await ledger_repository.get_entry_by_reference(session, f"order_paid:{order.id}")
    if paid is None and order.total_cents > 0:
        # Raising retries this later, once the payment's posting is in.
        raise PaidEntryNotPosted(f"order {order.id} is not posted yet")
    await ledger_service.do_post_order_refunded(session, order, by_id=event.by_user_id)
