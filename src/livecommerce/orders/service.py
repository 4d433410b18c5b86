"""Address book and orders: placing, paying (state only), shipping, receipt, refunds, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.insights.service import BehaviourRecord, insights_service
from livecommerce.kit import pending
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import (
    Conflict,
    Forbidden,
    LiveCommerceError,
    NotFound,
    ValidationFailed,
)
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import (
    Address,
    BehaviourKind,
    LiveSessionStatus,
    Order,
    OrderItem,
    OrderStatus,
    ProductStatus,
    Role,
    User,
)
from livecommerce.orders.events import (
    OrderCancelled,
    OrderRefunded,
    OrderShipped,
    order_paid,
    order_placed,
)
from livecommerce.orders.repository import address_repository, order_repository
from livecommerce.worker.events import publish
from livecommerce.worker.service import job_service

ORDER_EXPIRE_JOB = "order.expire"
MAX_QUANTITY = 99
# A stream that dropped for a moment is still the same show: buyers may keep buying.
BUYABLE_SESSION_STATES = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)

_ACTIONS = {
    "cancel": "cancelled",
    "ship": "shipped",
    "confirm": "confirmed as received",
    "refund": "refunded",
}


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False: an earlier request with the same Idempotency-Key made it


def _address_snapshot(address: Address) -> dict[str, Any]:
    return {
        "recipient": address.recipient,
        "phone": address.phone,
        "region": address.region,
        "line1": address.line1,
        "postal_code": address.postal_code,
    }


class OrderService:
    # ---- address book -------------------------------------------------------------

    async def list_addresses(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[Address]:
        return await address_repository.page_for_user(session, user.id, page)

    async def get_own_address(self, session: AsyncSession, user: User, address_id: str) -> Address:
        address = await address_repository.get(session, address_id)
        if address is None or address.user_id != user.id:
            raise NotFound("No such address in your address book.", code="address_not_found")
        return address

    async def do_add_address(
        self,
        session: AsyncSession,
        user: User,
        *,
        recipient: str,
        phone: str,
        region: str,
        line1: str,
        postal_code: str = "",
        is_default: bool = False,
    ) -> Address:
        make_default = is_default or not await address_repository.has_default(session, user.id)
        address = Address(
            id=new_id(),
            user_id=user.id,
            recipient=recipient,
            phone=phone,
            region=region,
            line1=line1,
            postal_code=postal_code,
            is_default=False,
            created_at=utcnow(),
        )
        await address_repository.add(session, address)
        if make_default:
            await address_repository.make_only_default(session, user.id, address.id)
            await session.refresh(address)
        return address

    async def do_update_address(
        self, session: AsyncSession, user: User, address_id: str, changes: dict[str, Any]
    ) -> Address:
        address = await self.get_own_address(session, user, address_id)
        make_default = changes.pop("is_default", None)
        if make_default is False and address.is_default:
            raise ValidationFailed(
                "Every address book keeps one default; make another address the default instead.",
                code="default_address_required",
            )
        for field in ("recipient", "phone", "region", "line1", "postal_code"):
            value = changes.get(field)
            if value is not None:
                setattr(address, field, value)
        await session.flush()
        if make_default:
            await address_repository.make_only_default(session, user.id, address.id)
            await session.refresh(address)
        return address

    async def do_delete_address(self, session: AsyncSession, user: User, address_id: str) -> None:
        address = await self.get_own_address(session, user, address_id)
        was_default = address.is_default
        await address_repository.delete(session, address.id)
        session.expunge(address)
        if was_default:
            newest = await address_repository.newest(session, user.id)
            if newest is not None:
                await address_repository.make_only_default(session, user.id, newest.id)

    # ---- placing and reading orders -----------------------------------------------

    async def do_place_order(
        self,
        session: AsyncSession,
        buyer: User,
        *,
        sku_id: str,
        quantity: int,
        address_id: str,
        live_session_id: str | None = None,
        idempotency_key: str | None = None,
        coupon_claim_ids: list[str] | None = None,
        from_replay: bool = False,
        video_id: str | None = None,
    ) -> PlacedOrder:
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                f"Quantity must be between 1 and {MAX_QUANTITY}.", code="bad_quantity"
            )
        if idempotency_key is not None:
            existing = await order_repository.get_by_idempotency_key(
                session, buyer.id, idempotency_key
            )
            if existing is not None:
                return PlacedOrder(existing, created=False)

        address = await self.get_own_address(session, buyer, address_id)
        sku = await catalog_service.get_sku(session, sku_id)
        product = await catalog_service.get_product(session, sku.product_id)
        if product.status != ProductStatus.ON_SALE:
            raise Conflict("This product is not on sale.", code="product_not_on_sale")

        unit_price = sku.price_cents
        room_id: str | None = None
        host_id: str | None = None
        if live_session_id is not None:
            live_session = await live_service.get_session(session, live_session_id)
            replay_sale = from_replay and live_session.status == LiveSessionStatus.ENDED
            if live_session.status not in BUYABLE_SESSION_STATES and not replay_sale:
                raise Conflict("This live session is not on air.", code="session_not_live")
            item = await live_service.get_showcase_item_for_product(
                session, live_session.id, product.id
            )
            if item is None:
                raise Conflict(
                    "This product is not in the session's showcase.", code="not_in_showcase"
                )
            room = await live_service.get_room(session, live_session.room_id)
            room_id, host_id = room.id, room.host_id
            unit_price = live_service.effective_price(item, sku)
            await live_service.check_still_sold_here(
                session, live_session, product, sku, unit_price
            )

        now = utcnow()
        timeout = runtime_of(session).settings.order_payment_timeout_s
        line_total = unit_price * quantity
        order = Order(
            id=new_id(),
            buyer_id=buyer.id,
            merchant_id=product.merchant_id,
            room_id=room_id,
            session_id=live_session_id,
            host_id=host_id,
            video_id=video_id,
            status=OrderStatus.PENDING_PAYMENT,
            currency=product.currency,
            subtotal_cents=line_total,
            discount_cents=0,
            total_cents=line_total,
            shipping_address=_address_snapshot(address),
            idempotency_key=idempotency_key,
            created_at=now,
            expires_at=now + timedelta(seconds=timeout),
            items=[
                OrderItem(
                    id=new_id(),
                    product_id=product.id,
                    sku_id=sku.id,
                    title=product.title,
                    spec=dict(sku.spec),
                    unit_price_cents=unit_price,
                    quantity=quantity,
                    line_total_cents=line_total,
                )
            ],
        )
        try:
            # Stock and order commit together or not at all; the savepoint lets a
            # request that lost an Idempotency-Key race answer with the winner's order.
            async with session.begin_nested():
                await catalog_service.do_take_stock(session, sku.id, quantity)
                if coupon_claim_ids:
                    await self._redeem_coupons(session, buyer, order, coupon_claim_ids)
                await order_repository.add(session, order)
        except (IntegrityError, LiveCommerceError):
            if idempotency_key is None:
                raise
            existing = await order_repository.get_by_idempotency_key(
                session, buyer.id, idempotency_key
            )
            if existing is None:
                raise
            return PlacedOrder(existing, created=False)

        job_service.do_schedule(
            session, ORDER_EXPIRE_JOB, run_at=order.expires_at, payload={"order_id": order.id}
        )
        await insights_service.do_record(
            session,
            BehaviourKind.ORDER,
            user_id=buyer.id,
            room_id=room_id,
            session_id=live_session_id,
            product_id=product.id,
            order_id=order.id,
            value=order.total_cents,
        )
        await publish(session, order_placed(order))
        return PlacedOrder(order, created=True)

    async def _redeem_coupons(
        self, session: AsyncSession, buyer: User, order: Order, claim_ids: list[str]
    ) -> None:
        from livecommerce.coupons.service import coupon_service

        discount = await coupon_service.do_redeem(
            session, buyer, claim_ids, order_id=order.id, order=order
        )
        order.discount_cents = discount
        order.total_cents = order.subtotal_cents - discount

    async def do_add_prepared_order(self, session: AsyncSession, order: Order) -> None:
        """Store an order another domain priced and reserved (a flash sale, a lottery prize).

        An unpaid one gets the usual stored expiry timer."""
        await order_repository.add(session, order)
        if order.status == OrderStatus.PENDING_PAYMENT:
            job_service.do_schedule(
                session, ORDER_EXPIRE_JOB, run_at=order.expires_at, payload={"order_id": order.id}
            )
        first = order.items[0] if order.items else None
        await insights_service.do_record(
            session,
            BehaviourKind.ORDER,
            user_id=order.buyer_id,
            room_id=order.room_id,
            session_id=order.session_id,
            product_id=None if first is None else first.product_id,
            order_id=order.id,
            value=order.total_cents,
        )
        await publish(session, order_placed(order))

    async def do_add_prepared_orders(self, session: AsyncSession, orders: list[Order]) -> None:
        """``do_add_prepared_order`` for a batch: the orders, their items, their expiry
        timers and their behaviour events go in one flush (a statement per table)."""
        if not orders:
            return
        order_repository.add_all(session, orders)
        records: list[BehaviourRecord] = []
        for order in orders:
            if order.status == OrderStatus.PENDING_PAYMENT:
                job_service.do_schedule(
                    session,
                    ORDER_EXPIRE_JOB,
                    run_at=order.expires_at,
                    payload={"order_id": order.id},
                )
            first = order.items[0] if order.items else None
            records.append(
                BehaviourRecord(
                    kind=BehaviourKind.ORDER.value,
                    user_id=order.buyer_id,
                    room_id=order.room_id,
                    session_id=order.session_id,
                    product_id=None if first is None else first.product_id,
                    order_id=order.id,
                    value=order.total_cents,
                )
            )
        await pending.flush(session)  # kept back when the batch is stored as one statement
        await insights_service.do_record_many(session, records)
        for order in orders:
            await publish(session, order_placed(order))

    async def find_orders_by_idempotency_keys(
        self, session: AsyncSession, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """The ids of the orders placed with these ``(buyer_id, key)`` pairs."""
        return await order_repository.ids_by_idempotency_keys(session, keys)

    async def get_order_by_idempotency_key(
        self, session: AsyncSession, buyer_id: str, key: str
    ) -> Order | None:
        return await order_repository.get_by_idempotency_key(session, buyer_id, key)

    def address_snapshot(self, address: Address) -> dict[str, Any]:
        return _address_snapshot(address)

    async def read_caller_with_default_address(
        self, session: AsyncSession, token: str
    ) -> tuple[datetime, User, Address | None] | None:
        """Who a token belongs to (``(expires_at, user)`` of its live session, as
        authentication reads it) and that user's default address, in one statement: a
        buy by one click reads both."""
        return await address_repository.with_default_address(
            session, *account_service.live_token_query(token, utcnow())
        )

    async def read_callers_with_default_address(
        self, session: AsyncSession, tokens: list[str]
    ) -> dict[str, tuple[datetime, User, Address | None]]:
        """``read_caller_with_default_address`` for many tokens in one statement: each
        live token's ``(expires_at, user, default address)``; dead ones are left out.
        A single token is read by ``read_caller_with_default_address``'s statement (a
        list parameter costs more to bind than the whole read of one row)."""
        if not tokens:
            return {}
        if len(tokens) == 1:
            found = await self.read_caller_with_default_address(session, tokens[0])
            return {} if found is None else {tokens[0]: found}
        query, params, token_of = account_service.live_tokens_query(tokens, utcnow())
        rows = await address_repository.with_default_addresses(session, query, params)
        return {
            token_of[token_hash]: (expires_at, user, address)
            for token_hash, expires_at, user, address in rows
        }

    async def get_default_address(self, session: AsyncSession, user: User) -> Address | None:
        return await address_repository.default_for_user(session, user.id)

    async def get_order(self, session: AsyncSession, order_id: str) -> Order:
        order = await order_repository.get(session, order_id)
        if order is None:
            raise NotFound("No such order.", code="order_not_found")
        return order

    def can_view(self, user: User, order: Order) -> bool:
        return user.role == Role.PLATFORM_ADMIN or user.id in (order.buyer_id, order.merchant_id)

    async def get_order_for_user(self, session: AsyncSession, user: User, order_id: str) -> Order:
        """The buyer, the order's merchant or an admin; to anyone else it does not exist."""
        order = await order_repository.get(session, order_id)
        if order is None or not self.can_view(user, order):
            raise NotFound("No such order.", code="order_not_found")
        return order

    async def get_order_for_buyer(self, session: AsyncSession, user: User, order_id: str) -> Order:
        order = await self.get_order_for_user(session, user, order_id)
        self.check_buyer(user, order)
        return order

    def check_buyer(self, user: User, order: Order) -> None:
        if order.buyer_id != user.id:
            raise Forbidden("Only the buyer may do this.", code="not_order_buyer")

    def check_merchant(self, user: User, order: Order, *, admin_allowed: bool = False) -> None:
        if order.merchant_id == user.id:
            return
        if admin_allowed and user.role == Role.PLATFORM_ADMIN:
            return
        raise Forbidden("Only the order's merchant may do this.", code="not_order_merchant")

    async def list_buyer_orders(
        self, session: AsyncSession, user: User, *, status: str | None = None, page: PageRequest
    ) -> Page[Order]:
        return await order_repository.list_orders(
            session, buyer_id=user.id, status=status, page=page
        )

    async def list_merchant_orders(
        self, session: AsyncSession, user: User, *, status: str | None = None, page: PageRequest
    ) -> Page[Order]:
        return await order_repository.list_orders(
            session, merchant_id=user.id, status=status, page=page
        )

    async def list_room_orders(
        self,
        session: AsyncSession,
        user: User,
        room_id: str,
        *,
        status: str | None = None,
        page: PageRequest,
    ) -> Page[Order]:
        """The orders placed in a room: its host's, an admin's or its 客服's view."""
        room = await live_service.get_room(session, room_id)
        await live_service.check_room_action(session, user, room, "orders.view", None, record=False)
        return await order_repository.list_orders(
            session, room_id=room.id, status=status, page=page
        )

    # ---- state changes: each one is a conditional UPDATE … WHERE status = :expected ----

    async def _invalid_state(self, session: AsyncSession, order: Order, action: str) -> Conflict:
        await order_repository.refresh(session, order)
        return Conflict(
            f"This order is {order.status.replace('_', ' ')} and cannot be {_ACTIONS[action]}.",
            code="invalid_order_state",
            details={"status": order.status},
        )

    async def _return_stock(self, session: AsyncSession, order: Order) -> None:
        if order.flash_sale_id is not None or order.campaign_id is not None:
            # A flash sale's units go back to the sale (or to the SKU once it closed):
            # the flash-sale service does that on OrderCancelled / OrderRefunded. A
            # pre-sale's units are made to order and never came from the SKU's stock.
            return
        for item in order.items:
            await catalog_service.do_return_stock(session, item.sku_id, item.quantity)

    async def do_cancel(self, session: AsyncSession, user: User, order_id: str) -> Order:
        order = await self.get_order_for_user(session, user, order_id)
        self.check_buyer(user, order)
        moved = await order_repository.transition(
            session,
            order.id,
            from_statuses=[OrderStatus.PENDING_PAYMENT],
            to_status=OrderStatus.CANCELLED,
            cancelled_at=utcnow(),
            cancel_reason="buyer_cancelled",
        )
        if not moved:
            raise await self._invalid_state(session, order, "cancel")
        await self._return_stock(session, order)
        await self._release_coupons(session, order)
        await order_repository.refresh(session, order)
        await publish(
            session,
            OrderCancelled(
                order_id=order.id,
                reason="buyer_cancelled",
                flash_sale_id=order.flash_sale_id,
                campaign_id=order.campaign_id,
            ),
        )
        return order

    async def do_ship(
        self,
        session: AsyncSession,
        user: User,
        order_id: str,
        *,
        carrier: str,
        tracking_number: str,
    ) -> Order:
        order = await self.get_order_for_user(session, user, order_id)
        self.check_merchant(user, order)
        moved = await order_repository.transition(
            session,
            order.id,
            from_statuses=[OrderStatus.PAID],
            to_status=OrderStatus.SHIPPED,
            shipped_at=utcnow(),
            carrier=carrier,
            tracking_number=tracking_number,
        )
        if not moved:
            raise await self._invalid_state(session, order, "ship")
        await order_repository.refresh(session, order)
        await publish(
            session,
            OrderShipped(
                order_id=order.id,
                buyer_id=order.buyer_id,
                merchant_id=order.merchant_id,
                carrier=carrier,
                tracking_number=tracking_number,
                shipped_at=order.shipped_at or utcnow(),
            ),
        )
        return order

    async def do_confirm_receipt(self, session: AsyncSession, user: User, order_id: str) -> Order:
        order = await self.get_order_for_user(session, user, order_id)
        self.check_buyer(user, order)
        moved = await order_repository.transition(
            session,
            order.id,
            from_statuses=[OrderStatus.SHIPPED],
            to_status=OrderStatus.COMPLETED,
            completed_at=utcnow(),
        )
        if not moved:
            raise await self._invalid_state(session, order, "confirm")
        await order_repository.refresh(session, order)
        return order

    async def do_refund(self, session: AsyncSession, user: User, order_id: str) -> Order:
        """Refund a paid or shipped order in full. Its stock comes back now; its payments
        and its ledger entries follow on OrderRefunded."""
        order = await self.get_order_for_user(session, user, order_id)
        self.check_merchant(user, order, admin_allowed=True)
        moved = await order_repository.transition(
            session,
            order.id,
            from_statuses=[OrderStatus.PAID, OrderStatus.SHIPPED],
            to_status=OrderStatus.REFUNDED,
            refunded_at=utcnow(),
        )
        if not moved:
            raise await self._invalid_state(session, order, "refund")
        await self._return_stock(session, order)
        await order_repository.refresh(session, order)
        await publish(
            session,
            OrderRefunded(
                order_id=order.id,
                by_user_id=user.id,
                flash_sale_id=order.flash_sale_id,
                total_cents=order.total_cents,
                currency=order.currency,
                campaign_id=order.campaign_id,
            ),
        )
        return order

    async def do_expire(self, session: AsyncSession, order_id: str) -> bool:
        """Cancel a still-unpaid order whose time is up and return its stock.

        False (and nothing changes) when the order was paid, cancelled or is not due."""
        now = utcnow()
        order = await order_repository.get(session, order_id)
        if order is None:
            return False
        moved = await order_repository.transition(
            session,
            order.id,
            from_statuses=[OrderStatus.PENDING_PAYMENT],
            to_status=OrderStatus.CANCELLED,
            extra_where=[Order.expires_at <= now],
            cancelled_at=now,
            cancel_reason="payment_timeout",
        )
        if moved:
            await self._return_stock(session, order)
            await self._release_coupons(session, order)
        await order_repository.refresh(session, order)
        if moved:
            await publish(
                session,
                OrderCancelled(
                    order_id=order.id,
                    reason="payment_timeout",
                    flash_sale_id=order.flash_sale_id,
                    campaign_id=order.campaign_id,
                ),
            )
        return moved

    async def _release_coupons(self, session: AsyncSession, order: Order) -> None:
        """A cancelled or expired order gives its coupons back to the buyer's wallet."""
        if order.discount_cents:
            from livecommerce.coupons.service import coupon_service

            await coupon_service.do_release_for_order(session, order.id)

    async def do_mark_paid(self, session: AsyncSession, order: Order, *, at: datetime) -> bool:
        """pending_payment → paid, only while the order has not expired. False otherwise."""
        moved = await order_repository.transition(
            session,
            order.id,
            from_statuses=[OrderStatus.PENDING_PAYMENT],
            to_status=OrderStatus.PAID,
            extra_where=[Order.expires_at > at],
            paid_at=at,
        )
        await order_repository.refresh(session, order)
        if moved:
            await publish(session, order_paid(order, at))
        return moved


order_service = OrderService()
