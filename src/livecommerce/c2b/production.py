"""Production orders and the supplier's console: accept or decline, report progress,
deliver to the merchant's warehouse in parts. Only the order's supplier acts on it;
its merchant reads it; to anyone else it does not exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.c2b.repository import c2b_repository
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.models import (
    ProductionDelivery,
    ProductionOrder,
    ProductionStatus,
    Role,
    User,
)
from livecommerce.notifications.service import notification_service

# Progress moves forward only; each step may be skipped.
STEPS = (
    ProductionStatus.ACCEPTED,
    ProductionStatus.MATERIALS,
    ProductionStatus.IN_PRODUCTION,
    ProductionStatus.QUALITY_CHECK,
)
DELIVERABLE = STEPS


class ProductionService:
    async def list_for_user(self, session: AsyncSession, user: User) -> list[ProductionOrder]:
        if user.role == Role.SUPPLIER:
            return await c2b_repository.list_production_orders(session, supplier_id=user.id)
        if user.role == Role.MERCHANT:
            return await c2b_repository.list_production_orders(session, merchant_id=user.id)
        if user.role == Role.PLATFORM_ADMIN:
            return await c2b_repository.list_production_orders(session)
        raise Forbidden(
            "Only suppliers and merchants have production orders.", code="role_required"
        )

    async def list_for_campaign(
        self, session: AsyncSession, campaign_id: str
    ) -> list[ProductionOrder]:
        return await c2b_repository.list_production_orders(session, campaign_id=campaign_id)

    async def get_for_user(
        self, session: AsyncSession, user: User, production_id: str
    ) -> ProductionOrder:
        order = await c2b_repository.get_production_order(session, production_id)
        if order is None or (
            user.id not in (order.supplier_id, order.merchant_id)
            and user.role != Role.PLATFORM_ADMIN
        ):
            raise NotFound("No such production order.", code="production_not_found")
        return order

    async def _get_for_supplier(
        self, session: AsyncSession, user: User, production_id: str
    ) -> ProductionOrder:
        order = await self.get_for_user(session, user, production_id)
        if order.supplier_id != user.id:
            raise Forbidden(
                "Only the production order's supplier may do this.", code="not_order_supplier"
            )
        return order

    async def _move(
        self,
        session: AsyncSession,
        order: ProductionOrder,
        from_statuses: tuple[str, ...],
        to_status: str,
    ) -> ProductionOrder:
        if not await c2b_repository.transition_production(
            session, order.id, from_statuses=from_statuses, to_status=to_status, now=utcnow()
        ):
            raise Conflict(
                f"This production order is {order.status.replace('_', ' ')}.",
                code="invalid_production_state",
                details={"status": order.status},
            )
        refreshed = await c2b_repository.get_production_order(session, order.id)
        assert refreshed is not None
        await notification_service.notify(
            session,
            [order.merchant_id],
            "production_progress",
            {"title": order.title, "status": to_status},
            link="/factory",
            dedupe_key=f"production:{order.id}:{to_status}",
        )
        return refreshed

    async def do_accept(
        self, session: AsyncSession, user: User, production_id: str
    ) -> ProductionOrder:
        order = await self._get_for_supplier(session, user, production_id)
        return await self._move(
            session, order, (ProductionStatus.ISSUED,), ProductionStatus.ACCEPTED
        )

    async def do_decline(
        self, session: AsyncSession, user: User, production_id: str
    ) -> ProductionOrder:
        order = await self._get_for_supplier(session, user, production_id)
        return await self._move(
            session, order, (ProductionStatus.ISSUED,), ProductionStatus.DECLINED
        )

    async def do_progress(
        self, session: AsyncSession, user: User, production_id: str, status: str
    ) -> ProductionOrder:
        order = await self._get_for_supplier(session, user, production_id)
        index = STEPS.index(ProductionStatus(status))
        return await self._move(session, order, STEPS[:index], status)

    async def do_deliver(
        self, session: AsyncSession, user: User, production_id: str, *, units: int, note: str = ""
    ) -> ProductionOrder:
        """A delivery of ``units`` to the merchant's warehouse; the last one ships the order."""
        order = await self._get_for_supplier(session, user, production_id)
        if order.status not in DELIVERABLE:
            raise Conflict(
                "Accept the production order before delivering.",
                code="invalid_production_state",
                details={"status": order.status},
            )
        now = utcnow()
        if not await c2b_repository.add_delivered(session, order.id, units, now):
            raise ValidationFailed(
                "That is more than the order still needs.",
                code="c2b_delivery_too_large",
                details={"left": order.units_total - order.units_delivered},
            )
        c2b_repository.add(
            session,
            ProductionDelivery(
                id=new_id(), production_order_id=order.id, units=units, note=note, created_at=now
            ),
        )
        await session.flush()
        refreshed = await c2b_repository.get_production_order(session, order.id)
        assert refreshed is not None
        if refreshed.units_delivered == refreshed.units_total:
            return await self._move(session, refreshed, DELIVERABLE, ProductionStatus.SHIPPED)
        await notification_service.notify(
            session,
            [order.merchant_id],
            "production_delivery",
            {"title": order.title, "units": units, "delivered": refreshed.units_delivered},
            link="/factory",
        )
        return refreshed

    async def list_deliveries(
        self, session: AsyncSession, order: ProductionOrder
    ) -> list[ProductionDelivery]:
        return await c2b_repository.list_deliveries(session, order.id)


production_service = ProductionService()
