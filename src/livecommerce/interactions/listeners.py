"""Flash sales react to orders: a flash-sale order that is cancelled, expires or is
refunded gives its units back to the sale (or to the SKU once the sale closed), in
the order's own unit of work, as other orders give their stock back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.interactions.flash_sales import flash_sale_service
from livecommerce.kit.events import subscribe
from livecommerce.orders.events import OrderCancelled, OrderRefunded
from livecommerce.orders.service import order_service


@subscribe(
    OrderCancelled,
    "flash_sales.return_cancelled",
    when=lambda e: e.flash_sale_id is not None,
    in_unit=True,
)
async def return_cancelled_units(session: AsyncSession, event: OrderCancelled) -> None:
    await flash_sale_service.do_return_units(
        session, await order_service.get_order(session, event.order_id)
    )


@subscribe(
    OrderRefunded,
    "flash_sales.return_refunded",
    when=lambda e: e.flash_sale_id is not None,
    in_unit=True,
)
async def return_refunded_units(session: AsyncSession, event: OrderRefunded) -> None:
    await flash_sale_service.do_return_units(
        session, await order_service.get_order(session, event.order_id)
    )
