"""What follows a pre-sale campaign: its orders paid or cancelled, the deadline's decision,
refunds and settlement in batches, shipping each pledge, the production order to the
supplier, and the decision log.

Every step moves pledges with conditional ``UPDATE … WHERE status IN (…)``, so a job run
twice, or one that crashed half-way and runs again, refunds or settles every buyer exactly
once (see ``service.py`` for the invariants).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.c2b.repository import c2b_repository
from livecommerce.c2b.service import DEADLINE_JOB, campaign_service, campaign_sku_ids
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, NotFound
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.ledger.service import ledger_service
from livecommerce.models import (
    BalanceDefault,
    Campaign,
    CampaignStatus,
    DecisionLog,
    Order,
    OrderItem,
    OrderStatus,
    Pledge,
    PledgeStatus,
    ProductionOrder,
    ProductionStatus,
    Role,
    User,
)
from livecommerce.notifications.service import notification_service
from livecommerce.notifications.templates import money_text
from livecommerce.orders.service import order_service
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

REFUND_JOB = "c2b.refund"
SETTLE_JOB = "c2b.settle"
RELEASE_JOB = "c2b.release"
BATCH = 100

# Pledges whose units count against the maximum, and whose first order was paid.
LIVE_PLEDGES = (
    PledgeStatus.PENDING,
    PledgeStatus.PAID,
    PledgeStatus.BALANCE_DUE,
    PledgeStatus.CONFIRMED,
    PledgeStatus.SHIPPED,
    PledgeStatus.DEFAULTED,
)
PAID_PLEDGES = LIVE_PLEDGES[1:]
REFUNDABLE_PLEDGES = (PledgeStatus.PAID, PledgeStatus.BALANCE_DUE, PledgeStatus.CONFIRMED)


class _Moved(Exception):
    """The pledge moved on meanwhile: undo what was written for it."""


class FulfilmentService:
    # ---- reacting to the orders ---------------------------------------------------

    async def do_order_paid(self, session: AsyncSession, order_id: str) -> None:
        """A campaign order was paid (inside the payment's unit of work)."""
        pledge = await c2b_repository.get_pledge_by_order(session, order_id)
        if pledge is None:
            return
        campaign = await c2b_repository.get_campaign(session, pledge.campaign_id, lock=True)
        assert campaign is not None
        now = utcnow()
        if order_id == pledge.first_order_id:
            if campaign.status == CampaignStatus.OPEN and await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.PENDING],
                to_status=PledgeStatus.PAID,
                updated_at=now,
            ):
                await c2b_repository.move_units(session, campaign.id, paid=pledge.quantity)
                await c2b_repository.get_campaign(session, campaign.id)
                if (
                    campaign.production_at_moq
                    and campaign.units_paid >= campaign.moq
                    and not campaign.production_issued
                ):
                    await self.do_log(
                        session,
                        campaign,
                        rule="production_at_moq",
                        decision="issue_production_order",
                        figures={"units_paid": campaign.units_paid, "moq": campaign.moq},
                    )
                    await self._issue_production(session, campaign, reason="moq_reached")
                campaign_service.announce(session, campaign)
                return
            # Paid too late (the campaign was decided), or twice: the money goes back.
            await self._refund_first_order(session, campaign, pledge, order_id)
            return
        if order_id == pledge.balance_order_id:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.BALANCE_DUE],
                to_status=PledgeStatus.CONFIRMED,
                updated_at=now,
            ):
                return
            await self._refund_order(session, campaign, order_id)

    async def _refund_first_order(
        self, session: AsyncSession, campaign: Campaign, pledge: Pledge, order_id: str
    ) -> None:
        moved = await c2b_repository.transition_pledge(
            session,
            pledge.id,
            from_statuses=[PledgeStatus.PENDING],
            to_status=PledgeStatus.REFUNDED,
            updated_at=utcnow(),
        )
        if moved:
            await c2b_repository.move_units(session, campaign.id, reserved=-pledge.quantity)
        await self._refund_order(session, campaign, order_id)
        await self._tell(session, campaign, pledge, "presale_refunded")

    async def _refund_order(self, session: AsyncSession, campaign: Campaign, order_id: str) -> None:
        order = await order_service.get_order(session, order_id)
        if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED):
            merchant = await account_service.get_user(session, campaign.merchant_id)
            await order_service.do_refund(session, merchant, order_id)

    async def do_order_cancelled(self, session: AsyncSession, order_id: str) -> None:
        """A campaign order was cancelled unpaid (its buyer, or its time ran out)."""
        pledge = await c2b_repository.get_pledge_by_order(session, order_id)
        if pledge is None:
            return
        campaign = await c2b_repository.get_campaign(session, pledge.campaign_id, lock=True)
        assert campaign is not None
        now = utcnow()
        if order_id == pledge.first_order_id:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.PENDING],
                to_status=PledgeStatus.CANCELLED,
                updated_at=now,
            ):
                await c2b_repository.move_units(session, campaign.id, reserved=-pledge.quantity)
                await c2b_repository.get_campaign(session, campaign.id)
                campaign_service.announce(session, campaign)
            return
        if order_id != pledge.balance_order_id:
            return
        if campaign.on_balance_default == BalanceDefault.REFUND:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.BALANCE_DUE],
                to_status=PledgeStatus.REFUNDED,
                updated_at=now,
            ):
                await c2b_repository.move_units(
                    session, campaign.id, reserved=-pledge.quantity, paid=-pledge.quantity
                )
                await self._refund_order(session, campaign, pledge.first_order_id)
                await self._tell(session, campaign, pledge, "presale_balance_refunded")
            return
        if await c2b_repository.transition_pledge(
            session,
            pledge.id,
            from_statuses=[PledgeStatus.BALANCE_DUE],
            to_status=PledgeStatus.DEFAULTED,
            updated_at=now,
        ):
            # The forfeited deposit is the merchant's now.
            job_service.do_schedule(
                session, RELEASE_JOB, run_at=now, payload={"order_id": pledge.first_order_id}
            )
            await self._tell(session, campaign, pledge, "presale_balance_forfeited")

    # ---- the deadline -------------------------------------------------------------

    async def do_run_deadline(self, session: AsyncSession, campaign_id: str) -> str:
        """Decide a campaign whose deadline passed: succeeded, extended once, or failed.

        Returns what happened ("" when there was nothing to do: decided already, or
        not due because an extension moved the deadline)."""
        campaign = await c2b_repository.get_campaign(session, campaign_id)
        now = utcnow()
        if campaign is None or campaign.status != CampaignStatus.OPEN or campaign.deadline > now:
            return ""
        # Unpaid first orders end with the deadline (their time ran out with it). Each
        # order's row is locked before the campaign's, as a payment callback locks them.
        for pledge in await c2b_repository.list_pledges(
            session, campaign.id, statuses=[PledgeStatus.PENDING]
        ):
            await order_service.do_expire(session, pledge.first_order_id)
            await self.do_order_cancelled(session, pledge.first_order_id)
        campaign = await c2b_repository.get_campaign(session, campaign_id, lock=True)
        assert campaign is not None
        if campaign.status != CampaignStatus.OPEN or campaign.deadline > now:
            return ""
        figures = {
            "units_paid": campaign.units_paid,
            "moq": campaign.moq,
            "max": campaign.max_units,
            "deadline": campaign.deadline.isoformat(),
        }
        if campaign.units_paid >= campaign.moq:
            await c2b_repository.transition_campaign(
                session,
                campaign.id,
                to_status=CampaignStatus.SUCCEEDED,
                decided_at=now,
                balance_deadline=(
                    now + timedelta(hours=campaign.balance_hours)
                    if campaign.deposit_cents
                    else None
                ),
            )
            await self.do_log(
                session, campaign, rule="deadline", decision="succeeded", figures=figures
            )
            job_service.do_schedule(
                session, SETTLE_JOB, run_at=now, payload={"campaign_id": campaign.id}
            )
            await self._issue_production(session, campaign, reason="deadline")
            outcome = "succeeded"
        elif (
            campaign.extend_share_bp > 0
            and not campaign.extended
            and campaign.units_paid * 10_000 >= campaign.moq * campaign.extend_share_bp
        ):
            deadline = campaign.deadline + timedelta(hours=campaign.extend_hours)
            await c2b_repository.extend_campaign(session, campaign.id, deadline)
            await self.do_log(
                session,
                campaign,
                rule="extend_near_moq",
                decision="extended",
                figures={
                    **figures,
                    "share_bp": campaign.extend_share_bp,
                    "new_deadline": deadline.isoformat(),
                },
            )
            job_service.do_schedule(
                session, DEADLINE_JOB, run_at=deadline, payload={"campaign_id": campaign.id}
            )
            outcome = "extended"
        else:
            await c2b_repository.transition_campaign(
                session, campaign.id, to_status=CampaignStatus.FAILED, decided_at=now
            )
            await self.do_log(
                session, campaign, rule="deadline", decision="failed", figures=figures
            )
            job_service.do_schedule(
                session, REFUND_JOB, run_at=now, payload={"campaign_id": campaign.id}
            )
            outcome = "failed"
        await c2b_repository.get_campaign(session, campaign.id)
        campaign_service.announce(session, campaign)
        return outcome

    async def do_refund_batch(self, session: AsyncSession, campaign_id: str) -> int:
        """Refund up to ``BATCH`` paid pledges of a failed campaign; queue the next batch.

        Each pledge moves ``paid → refunded`` once, so a batch run again (a retry, a
        second worker) refunds nobody twice."""
        campaign = await c2b_repository.get_campaign(session, campaign_id, lock=True)
        if campaign is None or campaign.status != CampaignStatus.FAILED:
            return 0
        pledges = await c2b_repository.list_pledges(
            session, campaign.id, statuses=REFUNDABLE_PLEDGES, limit=BATCH
        )
        done = 0
        for pledge in pledges:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=REFUNDABLE_PLEDGES,
                to_status=PledgeStatus.REFUNDED,
                updated_at=utcnow(),
            ):
                await c2b_repository.move_units(
                    session, campaign.id, reserved=-pledge.quantity, paid=-pledge.quantity
                )
                await self._refund_order(session, campaign, pledge.first_order_id)
                await self._tell(session, campaign, pledge, "presale_failed")
                done += 1
        if len(pledges) == BATCH:
            job_service.do_schedule(
                session, REFUND_JOB, run_at=utcnow(), payload={"campaign_id": campaign.id}
            )
        return done

    async def do_settle_batch(self, session: AsyncSession, campaign_id: str) -> int:
        """After success: request each paid pledge's balance (or confirm a full payment)."""
        campaign = await c2b_repository.get_campaign(session, campaign_id, lock=True)
        if campaign is None or campaign.status != CampaignStatus.SUCCEEDED:
            return 0
        pledges = await c2b_repository.list_pledges(
            session, campaign.id, statuses=[PledgeStatus.PAID], limit=BATCH
        )
        now = utcnow()
        for pledge in pledges:
            if not campaign.deposit_cents:
                await c2b_repository.transition_pledge(
                    session,
                    pledge.id,
                    from_statuses=[PledgeStatus.PAID],
                    to_status=PledgeStatus.CONFIRMED,
                    updated_at=now,
                )
                await self._tell(session, campaign, pledge, "presale_succeeded")
                continue
            first = await order_service.get_order(session, pledge.first_order_id)
            unit = campaign.price_cents - campaign.deposit_cents
            deadline = campaign.balance_deadline or now + timedelta(hours=campaign.balance_hours)
            balance = Order(
                id=new_id(),
                buyer_id=pledge.buyer_id,
                merchant_id=campaign.merchant_id,
                status=OrderStatus.PENDING_PAYMENT,
                currency=campaign.currency,
                subtotal_cents=unit * pledge.quantity,
                discount_cents=0,
                total_cents=unit * pledge.quantity,
                shipping_address=dict(first.shipping_address),
                created_at=now,
                expires_at=deadline,
                campaign_id=campaign.id,
                items=[
                    OrderItem(
                        id=new_id(),
                        product_id=campaign.product_id,
                        sku_id=pledge.sku_id or campaign.sku_id,
                        title=campaign.title,
                        spec=dict(first.items[0].spec) if first.items else {},
                        unit_price_cents=unit,
                        quantity=pledge.quantity,
                        line_total_cents=unit * pledge.quantity,
                    )
                ],
            )
            try:
                async with session.begin_nested():
                    await order_service.do_add_prepared_order(session, balance)
                    if not await c2b_repository.transition_pledge(
                        session,
                        pledge.id,
                        from_statuses=[PledgeStatus.PAID],
                        to_status=PledgeStatus.BALANCE_DUE,
                        balance_order_id=balance.id,
                        updated_at=now,
                    ):
                        raise _Moved
            except _Moved:
                continue
            else:
                await self._tell(
                    session,
                    campaign,
                    pledge,
                    "presale_balance_due",
                    amount=money_text(balance.total_cents, campaign.currency),
                    link=f"/orders#{balance.id}",
                )
        if len(pledges) == BATCH:
            job_service.do_schedule(
                session, SETTLE_JOB, run_at=now, payload={"campaign_id": campaign.id}
            )
        return len(pledges)

    # ---- shipping -----------------------------------------------------------------

    async def do_ship_pledge(
        self,
        session: AsyncSession,
        merchant: User,
        pledge_id: str,
        *,
        carrier: str,
        tracking_number: str,
    ) -> Pledge:
        """Ship a fully paid pledge: its orders are shipped and their held money released."""
        pledge = await c2b_repository.get_pledge(session, pledge_id)
        if pledge is None:
            raise NotFound("No such pledge.", code="pledge_not_found")
        campaign = await campaign_service.get_for_merchant(session, merchant, pledge.campaign_id)
        if not await c2b_repository.transition_pledge(
            session,
            pledge.id,
            from_statuses=[PledgeStatus.CONFIRMED],
            to_status=PledgeStatus.SHIPPED,
            updated_at=utcnow(),
        ):
            raise Conflict(
                "Only a fully paid pledge can be shipped.",
                code="c2b_pledge_not_shippable",
                details={"status": pledge.status},
            )
        owner = await account_service.get_user(session, campaign.merchant_id)
        for order_id in (pledge.first_order_id, pledge.balance_order_id):
            if order_id is None:
                continue
            await order_service.do_ship(
                session, owner, order_id, carrier=carrier, tracking_number=tracking_number
            )
            job_service.do_schedule(
                session, RELEASE_JOB, run_at=utcnow(), payload={"order_id": order_id}
            )
        await c2b_repository.get_pledge(session, pledge.id)
        return pledge

    async def do_release(self, session: AsyncSession, order_id: str) -> bool:
        """Held money of a shipped (or forfeited) order becomes the merchant's."""
        order = await order_service.get_order(session, order_id)
        return await ledger_service.do_release_campaign_order(session, order) is not None

    async def is_released(self, session: AsyncSession, order_id: str) -> bool:
        """Nothing is left to release: released already, refunded in full, or never paid."""
        order = await order_service.get_order(session, order_id)
        if order.total_cents <= 0 or order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED):
            return True
        return await ledger_service.is_campaign_order_settled(session, order)

    # ---- production and decisions -------------------------------------------------

    async def _issue_production(
        self, session: AsyncSession, campaign: Campaign, *, reason: str
    ) -> ProductionOrder | None:
        """The production order: quantities per variant and each buyer's customisation.

        A one-variant campaign issued when its MOQ is reached orders its maximum (buyers
        may still come). A campaign of several variants orders what each variant has
        sold then, and at the deadline a second order tops up each variant by what was
        sold since (never the same units twice)."""
        if campaign.supplier_id is None:
            return None
        variants = campaign_sku_ids(campaign)
        if campaign.production_issued and reason != "deadline":
            return None
        if not campaign.production_issued and not await c2b_repository.mark_production_issued(
            session, campaign.id
        ):
            return None
        pledges = await c2b_repository.list_pledges(session, campaign.id, statuses=PAID_PLEDGES)
        sold: dict[str, int] = dict.fromkeys(variants, 0)
        for pledge in pledges:
            key = pledge.sku_id or variants[0]
            sold[key] = sold.get(key, 0) + pledge.quantity
        if reason == "moq_reached" and len(variants) == 1:
            sold = {variants[0]: campaign.max_units}
        earlier = await c2b_repository.list_production_orders(session, campaign_id=campaign.id)
        ordered: dict[str, int] = {}
        listed: set[str] = set()
        for order in earlier:
            for line in order.lines:
                key = str(line.get("sku_id") or variants[0])
                ordered[key] = ordered.get(key, 0) + int(line["quantity"])
            listed.update(str(item["pledge_id"]) for item in order.customisations)
        labels: dict[str, str] = {}
        for sku_id in sold:
            sku = await catalog_service.get_sku(session, sku_id)
            label = " / ".join(str(value) for value in dict(sku.spec).values())
            labels[sku_id] = label or campaign.title
        lines: list[dict[str, Any]] = [
            {
                "sku_id": sku_id,
                "variant": labels[sku_id],
                "quantity": units - ordered.get(sku_id, 0),
            }
            for sku_id, units in sold.items()
            if units > ordered.get(sku_id, 0)
        ]
        customisations = [
            {
                "pledge_id": pledge.id,
                "quantity": pledge.quantity,
                "variant": labels.get(pledge.sku_id or variants[0], ""),
                "fields": pledge.customisation,
            }
            for pledge in pledges
            if pledge.customisation and pledge.id not in listed
        ]
        if not lines:
            if earlier and customisations:
                # Units were ordered already (the maximum, at the MOQ): the factory still
                # gets the customisations of the buyers who came after.
                first = earlier[-1]
                first.customisations = [*first.customisations, *customisations]
                await session.flush()
            return None
        units = sum(int(line["quantity"]) for line in lines)
        now = utcnow()
        production = ProductionOrder(
            id=new_id(),
            campaign_id=campaign.id,
            merchant_id=campaign.merchant_id,
            supplier_id=campaign.supplier_id,
            product_id=campaign.product_id,
            title=campaign.title,
            lines=lines,
            customisations=customisations,
            units_total=units,
            units_delivered=0,
            due_at=campaign.expected_ship_at,
            status=ProductionStatus.ISSUED,
            reason=reason,
            created_at=now,
            updated_at=now,
        )
        c2b_repository.add(session, production)
        await session.flush()
        await notification_service.notify(
            session,
            [campaign.supplier_id],
            "production_issued",
            {"title": campaign.title, "units": units},
            link="/factory",
            dedupe_key=f"production:{production.id}:issued",
        )
        return production

    async def do_log(
        self,
        session: AsyncSession,
        campaign: Campaign | None,
        *,
        rule: str,
        decision: str,
        figures: dict[str, Any],
        merchant_id: str | None = None,
        product_id: str | None = None,
    ) -> DecisionLog:
        entry = DecisionLog(
            id=new_id(),
            merchant_id=merchant_id or (campaign.merchant_id if campaign else ""),
            product_id=product_id or (campaign.product_id if campaign else None),
            campaign_id=None if campaign is None else campaign.id,
            rule=rule,
            decision=decision,
            figures=figures,
            created_at=utcnow(),
        )
        c2b_repository.add(session, entry)
        await session.flush()
        log.info("c2b decision %s/%s: %s", rule, decision, figures)
        return entry

    async def page_decisions(
        self, session: AsyncSession, user: User, page: PageRequest, *, campaign_id: str
    ) -> Page[DecisionLog]:
        merchant_id = None if user.role == Role.PLATFORM_ADMIN else user.id
        return await c2b_repository.page_decisions(
            session, page, merchant_id=merchant_id, campaign_id=campaign_id
        )

    async def page_merchant_decisions(
        self, session: AsyncSession, user: User, page: PageRequest, *, product_id: str | None
    ) -> Page[DecisionLog]:
        """Every automatic decision about the merchant's products, newest first."""
        account_service.check_role(user, Role.MERCHANT)
        merchant_id = None if user.role == Role.PLATFORM_ADMIN else user.id
        return await c2b_repository.page_decisions(
            session, page, merchant_id=merchant_id, product_id=product_id, newest_first=True
        )

    async def _tell(
        self,
        session: AsyncSession,
        campaign: Campaign,
        pledge: Pledge,
        template: str,
        *,
        amount: str = "",
        link: str | None = None,
    ) -> None:
        await notification_service.notify(
            session,
            [pledge.buyer_id],
            template,
            {"title": campaign.title, "amount": amount},
            link=link or f"/presales/{campaign.id}",
            dedupe_key=f"presale:{pledge.id}:{template}:{pledge.first_order_id}",
        )


fulfilment_service = FulfilmentService()
