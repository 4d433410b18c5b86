"""Refund requests of a room's orders: the room's 客服 (or its host) asks, the order's
merchant approves (the order goes through the ordinary refund, ``do_refund``) or
declines. The request and the decision are lines of the room team's audit log."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, NotFound
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.live.service import live_service
from livecommerce.live.team import team_service
from livecommerce.models import (
    Order,
    OrderStatus,
    RefundRequest,
    RefundRequestStatus,
    Role,
    Room,
    User,
)
from livecommerce.orders.refund_repository import refund_repository
from livecommerce.orders.repository import order_repository
from livecommerce.orders.service import order_service

_REFUNDABLE = (OrderStatus.PAID, OrderStatus.SHIPPED)


class RoomOrderService:
    async def get_room_order(
        self,
        session: AsyncSession,
        user: User,
        order_id: str,
        action: str,
        *,
        record: bool = True,
    ) -> tuple[Order, Room, str]:
        """A room's order, for its host or a team member whose role allows ``action`` (the
        member's action logged unless ``record=False``): the order, its room, the role.
        An order sold outside any room is no room's: 404 as for anyone else."""
        order = await order_repository.get(session, order_id)
        if order is None or order.room_id is None:
            raise NotFound("No such order.", code="order_not_found")
        room = await live_service.get_room(session, order.room_id)
        role = await team_service.check_action(session, user, room, action, order.id, record=record)
        return order, room, role

    async def do_request(
        self, session: AsyncSession, user: User, order_id: str, reason: str
    ) -> RefundRequest:
        order, room, role = await self.get_room_order(
            session, user, order_id, "refund_request", record=False
        )
        if order.status not in _REFUNDABLE:
            raise Conflict(
                "Only a paid or shipped order can be refunded.",
                code="invalid_order_state",
                details={"status": order.status},
            )
        request = RefundRequest(
            id=new_id(),
            order_id=order.id,
            room_id=room.id,
            merchant_id=order.merchant_id,
            requested_by=user.id,
            reason=reason,
            status=RefundRequestStatus.PENDING,
            created_at=utcnow(),
        )
        session.add(request)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise RefundRequestPending() from None
        team_service.record(session, room.id, user.id, role, "refund_request", order.id)
        return request

    async def page_for_merchant(
        self, session: AsyncSession, user: User, status: str | None, page: PageRequest
    ) -> Page[RefundRequest]:
        merchant_id = None if user.role == Role.PLATFORM_ADMIN else user.id
        return await refund_repository.page(
            session, merchant_id=merchant_id, status=status, page=page
        )

    async def page_for_room(
        self, session: AsyncSession, user: User, room_id: str, page: PageRequest
    ) -> Page[RefundRequest]:
        room = await live_service.get_room(session, room_id)
        await team_service.check_action(session, user, room, "refund_request", record=False)
        return await refund_repository.page(session, room_id=room.id, page=page)

    async def do_decide(
        self, session: AsyncSession, user: User, request_id: str, *, approve: bool
    ) -> RefundRequest:
        """The order's merchant (or an admin) approves (the order is refunded) or declines."""
        request = await refund_repository.get(session, request_id, for_update=True)
        if request is None:
            raise NotFound("No such refund request.", code="refund_request_not_found")
        order = await order_repository.get(session, request.order_id)
        assert order is not None
        order_service.check_merchant(user, order, admin_allowed=True)
        if request.status != RefundRequestStatus.PENDING:
            raise Conflict(
                "This refund request was decided already.",
                code="refund_request_decided",
                details={"status": request.status},
            )
        if approve:
            await order_service.do_refund(session, user, order.id)
        request.status = RefundRequestStatus.APPROVED if approve else RefundRequestStatus.DECLINED
        request.decided_by = user.id
        request.decided_at = utcnow()
        await session.flush()
        team_service.record(
            session,
            request.room_id,
            user.id,
            "merchant",
            "refund_approve" if approve else "refund_decline",
            order.id,
        )
        return request


class RefundRequestPending(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "A refund of this order is waiting for the merchant already.",
            code="refund_request_pending",
        )


room_order_service = RoomOrderService()
