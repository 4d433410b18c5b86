"""Production orders and the supplier's console: accept or decline, report progress,
deliver to the merchant's warehouse in parts. Only the order's supplier acts on it;
its merchant reads it; to anyone else it does not exist."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.c2b.repository import c2b_repository
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.models import (
    DecisionLog,
    ProductionDelivery,
    ProductionOrder,
    ProductionStatus,
    Role,
    User,
)
from livecommerce.notifications.service import notification_service
from livecommerce.worker.service import job_service

REORDER_JOB = "c2b.reorder_check"
REORDER_EVERY = timedelta(hours=1)

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

    async def page_for_user(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[ProductionOrder]:
        if user.role == Role.SUPPLIER:
            return await c2b_repository.page_production_orders(session, page, supplier_id=user.id)
        if user.role == Role.MERCHANT:
            return await c2b_repository.page_production_orders(session, page, merchant_id=user.id)
        if user.role == Role.PLATFORM_ADMIN:
            return await c2b_repository.page_production_orders(session, page)
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
        sku_id = order.lines[0].get("sku_id") if order.lines else None
        if order.campaign_id is None and sku_id:
            # A re-order restocks the shop: delivered units are on sale again.
            await catalog_service.do_return_stock(session, str(sku_id), units)
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

    # ---- the re-order rule --------------------------------------------------------

    async def do_check_reorders(self, session: AsyncSession) -> list[ProductionOrder]:
        """Every enabled ``reorder`` rule: when the product's stock plus what its supplier
        still has to deliver is below the forecast demand, order the difference (logged
        with the figures). Runs hourly as a stored job while any rule exists."""
        issued: list[ProductionOrder] = []
        now = utcnow()
        for rule in await c2b_repository.list_rules(session, kind="reorder"):
            product = await catalog_service.get_product(session, rule.product_id)
            stock = sum(sku.stock for sku in product.skus)
            incoming = sum(
                order.units_total - order.units_delivered
                for order in await c2b_repository.list_production_orders(
                    session, merchant_id=rule.merchant_id
                )
                if order.product_id == product.id
                and order.status in (ProductionStatus.ISSUED, *STEPS)
            )
            forecast = int(rule.params["forecast_units"])
            if stock + incoming >= forecast:
                continue
            units = forecast - stock - incoming
            order = ProductionOrder(
                id=new_id(),
                campaign_id=None,
                merchant_id=rule.merchant_id,
                supplier_id=str(rule.params["supplier_id"]),
                product_id=product.id,
                title=product.title,
                lines=[
                    {
                        "variant": " / ".join(str(v) for v in product.skus[0].spec.values())
                        if product.skus
                        else product.title,
                        "quantity": units,
                        "sku_id": product.skus[0].id if product.skus else None,
                    }
                ],
                customisations=[],
                units_total=units,
                units_delivered=0,
                due_at=now + timedelta(days=int(rule.params.get("lead_days", 7))),
                status=ProductionStatus.ISSUED,
                reason="reorder",
                created_at=now,
                updated_at=now,
            )
            c2b_repository.add(session, order)
            c2b_repository.add(
                session,
                DecisionLog(
                    id=new_id(),
                    merchant_id=rule.merchant_id,
                    product_id=product.id,
                    campaign_id=None,
                    rule="reorder",
                    decision="issue_production_order",
                    figures={
                        "stock": stock,
                        "incoming": incoming,
                        "forecast": forecast,
                        "ordered": units,
                    },
                    created_at=now,
                ),
            )
            await session.flush()
            await notification_service.notify(
                session,
                [order.supplier_id],
                "production_issued",
                {"title": order.title, "units": units},
                link="/factory",
                dedupe_key=f"production:{order.id}:issued",
            )
            issued.append(order)
        return issued

    async def has_reorder_rules(self, session: AsyncSession) -> bool:
        return bool(await c2b_repository.list_rules(session, kind="reorder"))

    def do_schedule_reorder_check(self, session: AsyncSession) -> None:
        job_service.do_schedule(session, REORDER_JOB, run_at=utcnow() + REORDER_EVERY)


production_service = ProductionService()
