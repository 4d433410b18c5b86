"""Routes that exist only in the benchmark's server (``settings.bench_endpoints``).

``GET /api/v1/bench/noop`` does nothing (a check that the routes are mounted; the
benchmarks' ceiling is a bare ASGI app in its own process, ``bench/servers.py``).
``POST /api/v1/bench/naive-buy/{sale_id}`` is the textbook read-then-write
flash-sale purchase the real endpoint avoids: it reads ``units_left`` in one
transaction and writes ``units_left = read − 1`` and the order in another, so
concurrent buyers who read the same figure all "win". Never mounted in normal serving.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from sqlalchemy import select, update

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict
from livecommerce.kit.http import DbSession
from livecommerce.kit.ids import new_id
from livecommerce.models import FlashSale, Order, OrderItem, OrderStatus
from livecommerce.orders.service import order_service

router = APIRouter(prefix="/api/v1/bench", tags=["bench"], include_in_schema=False)


@router.get("/noop")
async def noop() -> dict[str, bool]:
    return {"ok": True}


@router.post("/naive-buy/{sale_id}", status_code=201)
async def naive_buy(sale_id: str, user: CurrentUser, session: DbSession) -> dict[str, str]:
    left = await session.scalar(select(FlashSale.units_left).where(FlashSale.id == sale_id))
    # End the reading transaction (on SQLite it holds the write lock), as a service
    # that reads stock through one call and writes through another would.
    await session.commit()
    if not left:
        raise Conflict("Sold out.", code="sold_out")
    sale = await session.get(FlashSale, sale_id)
    assert sale is not None
    await session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale_id)
        .values(units_left=left - 1)  # the bug: a figure read earlier, written back
        .execution_options(synchronize_session=False)
    )
    address = await order_service.get_default_address(session, user)
    sku = await catalog_service.get_sku(session, sale.sku_id)
    product = await catalog_service.get_product(session, sale.product_id)
    now = utcnow()
    order = Order(
        id=new_id(),
        buyer_id=user.id,
        merchant_id=product.merchant_id,
        session_id=sale.session_id,
        room_id=sale.room_id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=sale.currency,
        subtotal_cents=sale.price_cents,
        discount_cents=0,
        total_cents=sale.price_cents,
        shipping_address={} if address is None else order_service.address_snapshot(address),
        flash_sale_id=sale.id,
        created_at=now,
        expires_at=now + timedelta(hours=1),
        items=[
            OrderItem(
                id=new_id(),
                product_id=product.id,
                sku_id=sku.id,
                title=product.title,
                spec=dict(sku.spec),
                unit_price_cents=sale.price_cents,
                quantity=1,
                line_total_cents=sale.price_cents,
            )
        ],
    )
    await order_service.do_add_prepared_order(session, order)
    return {"order_id": order.id}
