from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from livecommerce.accounts.dependencies import CurrentUser, MerchantUser
from livecommerce.kit.errors import ValidationFailed
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.orders.checkout import PaymentView, checkout_service
from livecommerce.orders.refund_requests import room_order_service
from livecommerce.orders.schemas import (
    AddressIn,
    AddressList,
    AddressOut,
    AddressPatch,
    OrderCreate,
    OrderList,
    OrderOut,
    OrderStatusName,
    RefundRequestIn,
    RefundRequestList,
    RefundRequestOut,
    ShipRequest,
)
from livecommerce.orders.service import order_service
from livecommerce.payments.schemas import (
    PaymentItemOut,
    PaymentOut,
    PaymentStarted,
    SandboxConfirm,
)

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
        video_id=body.video_id,
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


@router.get("/rooms/{room_id}/orders")
async def list_room_orders(
    room_id: str,
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    status: StatusFilter = None,
) -> OrderList:
    """Orders placed in the room, newest first: for its host and its team's 客服."""
    orders = await order_service.list_room_orders(session, user, room_id, status=status, page=page)
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


# ---- refund requests of room orders (客服 asks, the merchant decides) --------------


@router.post("/orders/{order_id}/refund-requests", status_code=201)
async def request_refund(
    order_id: str, body: RefundRequestIn, user: CurrentUser, session: DbSession
) -> RefundRequestOut:
    """The room's 客服 (or its host) asks the merchant to refund a paid or shipped room
    order. 409 ``refund_request_pending`` when one waits already."""
    request = await room_order_service.do_request(session, user, order_id, body.reason)
    return RefundRequestOut.model_validate(request)


@router.get("/refund-requests")
async def list_refund_requests(
    user: MerchantUser,
    session: DbSession,
    page: PageQuery,
    status: Annotated[Literal["pending", "approved", "declined"] | None, Query()] = None,
) -> RefundRequestList:
    """The merchant's refund requests from the rooms that sell its products, newest first."""
    found = await room_order_service.page_for_merchant(session, user, status, page)
    return RefundRequestList(
        items=[RefundRequestOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/rooms/{room_id}/refund-requests")
async def list_room_refund_requests(
    room_id: str, user: CurrentUser, session: DbSession, page: PageQuery
) -> RefundRequestList:
    """The room's refund requests and what became of them (its host and 客服)."""
    found = await room_order_service.page_for_room(session, user, room_id, page)
    return RefundRequestList(
        items=[RefundRequestOut.model_validate(item) for item in found.items],
        next_cursor=found.next_cursor,
    )


@router.post("/refund-requests/{request_id}/{decision}")
async def decide_refund_request(
    request_id: str,
    decision: Literal["approve", "decline"],
    user: MerchantUser,
    session: DbSession,
) -> RefundRequestOut:
    """The order's merchant approves (the order is refunded as by ``/orders/{id}/refund``)
    or declines. 409 ``refund_request_decided`` a second time."""
    request = await room_order_service.do_decide(
        session, user, request_id[:32], approve=decision == "approve"
    )
    return RefundRequestOut.model_validate(request)


# ---- paying (the money itself moves in payments/; provider callbacks land there) ----

pay_router = APIRouter(prefix="/api/v1", tags=["payments"])


def _payment_out(view: PaymentView) -> PaymentOut:
    payment, order = view.payment, view.order
    return PaymentOut(
        id=payment.id,
        order_id=order.id,
        provider=payment.provider,
        status=payment.status,
        amount_cents=payment.amount_cents,
        refunded_cents=payment.refunded_cents,
        currency=payment.currency,
        created_at=payment.created_at,
        succeeded_at=payment.succeeded_at,
        refunded_at=payment.refunded_at,
        order_status=order.status,
        order_expires_at=order.expires_at,
        product_titles=[item.title for item in order.items],
        items=[
            PaymentItemOut(
                title=item.title,
                spec=item.spec,
                quantity=item.quantity,
                unit_price_cents=item.unit_price_cents,
                line_total_cents=item.line_total_cents,
            )
            for item in order.items
        ],
        subtotal_cents=order.subtotal_cents,
        discount_cents=order.discount_cents,
    )


@pay_router.post("/orders/{order_id}/pay")
async def start_payment(order_id: str, user: CurrentUser, session: DbSession) -> PaymentStarted:
    """The buyer starts paying an unpaid order; ``pay_url`` is the provider's pay page."""
    started = await checkout_service.do_start_payment(session, user, order_id)
    return PaymentStarted(payment_id=started.payment.id, pay_url=started.pay_url)


@pay_router.get("/payments/{payment_id}")
async def get_payment(payment_id: str, user: CurrentUser, session: DbSession) -> PaymentOut:
    """What the pay page shows: amount, what is bought, the payment's and order's state."""
    return _payment_out(await checkout_service.get_payment_for_buyer(session, user, payment_id))


@pay_router.post("/payments/{payment_id}/sandbox-confirm")
async def sandbox_confirm(
    payment_id: str, body: SandboxConfirm, user: CurrentUser, session: DbSession
) -> PaymentOut:
    """The sandbox pay page's Pay / Fail button: runs the signed provider callback."""
    view = await checkout_service.do_sandbox_confirm(
        session, user, payment_id, succeed=body.outcome == "succeed"
    )
    return _payment_out(view)
