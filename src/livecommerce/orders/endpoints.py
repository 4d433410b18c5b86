from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from livecommerce.accounts.dependencies import CurrentUser, MerchantUser
from livecommerce.kit.errors import ValidationFailed
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.orders.schemas import (
    AddressIn,
    AddressList,
    AddressOut,
    AddressPatch,
    OrderCreate,
    OrderList,
    OrderOut,
    OrderStatusName,
    ShipRequest,
)
from livecommerce.orders.service import order_service

router = APIRouter(prefix="/api/v1", tags=["orders"])

StatusFilter = Annotated[OrderStatusName | None, Query()]


# ---- address book ------------------------------------------------------------------


@router.get("/addresses")
async def list_addresses(user: CurrentUser, session: DbSession, page: PageQuery) -> AddressList:
    """My addresses, the default first, then newest first (100 a page by default)."""
    addresses = await order_service.list_addresses(session, user, page.or_default(MAX_LIMIT))
    return AddressList(
        items=[AddressOut.model_validate(address) for address in addresses.items],
        next_cursor=addresses.next_cursor,
    )


@router.post("/addresses", status_code=201)
async def add_address(body: AddressIn, user: CurrentUser, session: DbSession) -> AddressOut:
    """Add an address; the first one (or one sent with ``is_default``) becomes the default."""
    address = await order_service.do_add_address(session, user, **body.model_dump())
    return AddressOut.model_validate(address)


@router.patch("/addresses/{address_id}")
async def update_address(
    address_id: str, body: AddressPatch, user: CurrentUser, session: DbSession
) -> AddressOut:
    address = await order_service.do_update_address(
        session, user, address_id, body.model_dump(exclude_unset=True)
    )
    return AddressOut.model_validate(address)


@router.delete("/addresses/{address_id}", status_code=204)
async def delete_address(address_id: str, user: CurrentUser, session: DbSession) -> None:
    await order_service.do_delete_address(session, user, address_id)


# ---- orders ------------------------------------------------------------------------


@router.post("/orders", status_code=201)
async def place_order(
    body: OrderCreate,
    user: CurrentUser,
    session: DbSession,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> OrderOut:
    """Buy a SKU. Repeating a request with the same ``Idempotency-Key`` returns the first
    order (200) and takes no more stock."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not 1 <= len(idempotency_key) <= 64:
            raise ValidationFailed(
                "Idempotency-Key must be 1 to 64 characters.", code="bad_idempotency_key"
            )
    placed = await order_service.do_place_order(
        session,
        user,
        sku_id=body.sku_id,
        quantity=body.quantity,
        address_id=body.address_id,
        live_session_id=body.session_id,
        from_replay=body.from_replay,
        idempotency_key=idempotency_key,
        coupon_claim_ids=body.coupon_claim_ids,
    )
    if not placed.created:
        response.status_code = 200
    return OrderOut.model_validate(placed.order)


@router.get("/orders")
async def list_my_orders(
    user: CurrentUser, session: DbSession, page: PageQuery, status: StatusFilter = None
) -> OrderList:
    """My orders as a buyer, newest first."""
    orders = await order_service.list_buyer_orders(session, user, status=status, page=page)
    return OrderList(
        items=[OrderOut.model_validate(order) for order in orders.items],
        next_cursor=orders.next_cursor,
    )


@router.get("/merchant/orders")
async def list_merchant_orders(
    user: MerchantUser, session: DbSession, page: PageQuery, status: StatusFilter = None
) -> OrderList:
    """Orders for my products, newest first."""
    orders = await order_service.list_merchant_orders(session, user, status=status, page=page)
    return OrderList(
        items=[OrderOut.model_validate(order) for order in orders.items],
        next_cursor=orders.next_cursor,
    )


@router.get("/orders/{order_id}")
async def get_order(order_id: str, user: CurrentUser, session: DbSession) -> OrderOut:
    order = await order_service.get_order_for_user(session, user, order_id)
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(order_id: str, user: CurrentUser, session: DbSession) -> OrderOut:
    """The buyer cancels an unpaid order; its stock goes back on sale."""
    order = await order_service.do_cancel(session, user, order_id)
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/ship")
async def ship_order(
    order_id: str, body: ShipRequest, user: MerchantUser, session: DbSession
) -> OrderOut:
    order = await order_service.do_ship(
        session, user, order_id, carrier=body.carrier, tracking_number=body.tracking_number
    )
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/confirm-receipt")
async def confirm_receipt(order_id: str, user: CurrentUser, session: DbSession) -> OrderOut:
    order = await order_service.do_confirm_receipt(session, user, order_id)
    return OrderOut.model_validate(order)


@router.post("/orders/{order_id}/refund")
async def refund_order(order_id: str, user: MerchantUser, session: DbSession) -> OrderOut:
    """The merchant (or an admin) refunds a paid or shipped order; stock returns."""
    order = await order_service.do_refund(session, user, order_id)
    return OrderOut.model_validate(order)
