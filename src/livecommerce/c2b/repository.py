"""Queries of the C2B domain; the only place in it that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import (
    BadCursor,
    Page,
    PageRequest,
    asc,
    desc,
    encode_cursor,
    fetch_page,
)
from livecommerce.models import (
    Campaign,
    CampaignStatus,
    DecisionLog,
    DecisionRule,
    DemandVote,
    LivePoll,
    LiveSession,
    Pledge,
    PollVote,
    Product,
    ProductionDelivery,
    ProductionOrder,
)


class C2bRepository:
    # ---- campaigns ----------------------------------------------------------------

    async def get_campaign(
        self, session: AsyncSession, campaign_id: str, *, lock: bool = False
    ) -> Campaign | None:
        query = select(Campaign).where(Campaign.id == campaign_id)
        if lock:
            query = query.with_for_update()
        result = await session.execute(query.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def list_campaigns(
        self,
        session: AsyncSession,
        *,
        product_id: str | None = None,
        session_id: str | None = None,
        merchant_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[Campaign]:
        query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id).limit(limit)
        if product_id is not None:
            query = query.where(Campaign.product_id == product_id)
        if session_id is not None:
            query = query.where(Campaign.session_id == session_id)
        if merchant_id is not None:
            query = query.where(Campaign.merchant_id == merchant_id)
        if status is not None:
            query = query.where(Campaign.status == status)
        return list((await session.execute(query)).scalars())

    async def page_campaigns(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        product_id: str | None = None,
        session_id: str | None = None,
        merchant_id: str | None = None,
    ) -> Page[Campaign]:
        query = select(Campaign)
        if merchant_id is not None:
            query = query.where(Campaign.merchant_id == merchant_id)
        if product_id is not None:
            query = query.where(Campaign.product_id == product_id)
        if session_id is not None:
            query = query.where(Campaign.session_id == session_id)
        return await fetch_page(
            session, query, (desc(Campaign.created_at), desc(Campaign.id)), page
        )

    async def supplier_ids_of_merchant(self, session: AsyncSession, merchant_id: str) -> list[str]:
        """Suppliers the merchant has worked with (pre-sales and production orders)."""
        campaigns = select(Campaign.supplier_id).where(
            Campaign.merchant_id == merchant_id, Campaign.supplier_id.is_not(None)
        )
        orders = select(ProductionOrder.supplier_id).where(
            ProductionOrder.merchant_id == merchant_id
        )
        result = await session.execute(campaigns.union(orders).limit(50))
        return sorted({str(supplier_id) for supplier_id in result.scalars() if supplier_id})

    async def reserve_units(
        self, session: AsyncSession, campaign_id: str, quantity: int, now: datetime
    ) -> bool:
        """Take ``quantity`` units while the campaign is open and under its maximum."""
        result = await session.execute(
            update(Campaign)
            .where(
                Campaign.id == campaign_id,
                Campaign.status == CampaignStatus.OPEN,
                Campaign.deadline > now,
                Campaign.units_reserved + quantity <= Campaign.max_units,
            )
            .values(units_reserved=Campaign.units_reserved + quantity)
        )
        return _rowcount(result) == 1

    async def move_units(
        self, session: AsyncSession, campaign_id: str, *, reserved: int = 0, paid: int = 0
    ) -> None:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(
                units_reserved=Campaign.units_reserved + reserved,
                units_paid=Campaign.units_paid + paid,
            )
        )

    async def transition_campaign(
        self, session: AsyncSession, campaign_id: str, *, to_status: str, **values: Any
    ) -> bool:
        result = await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.OPEN)
            .values(status=to_status, **values)
        )
        return _rowcount(result) == 1

    async def mark_production_issued(self, session: AsyncSession, campaign_id: str) -> bool:
        result = await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.production_issued.is_(False))
            .values(production_issued=True)
        )
        return _rowcount(result) == 1

    async def extend_campaign(
        self, session: AsyncSession, campaign_id: str, deadline: datetime
    ) -> bool:
        result = await session.execute(
            update(Campaign)
            .where(
                Campaign.id == campaign_id,
                Campaign.status == CampaignStatus.OPEN,
                Campaign.extended.is_(False),
            )
            .values(deadline=deadline, extended=True)
        )
        return _rowcount(result) == 1

    # ---- pledges ------------------------------------------------------------------

    async def has_pledges(self, session: AsyncSession, campaign_id: str) -> bool:
        """Any buyer ever joined (even one who cancelled since)."""
        result = await session.execute(
            select(Pledge.id).where(Pledge.campaign_id == campaign_id).limit(1)
        )
        return result.first() is not None

    async def get_pledge(self, session: AsyncSession, pledge_id: str) -> Pledge | None:
        result = await session.execute(
            select(Pledge).where(Pledge.id == pledge_id).execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def get_pledge_of(
        self, session: AsyncSession, campaign_id: str, buyer_id: str
    ) -> Pledge | None:
        result = await session.execute(
            select(Pledge)
            .where(Pledge.campaign_id == campaign_id, Pledge.buyer_id == buyer_id)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def get_pledge_by_order(self, session: AsyncSession, order_id: str) -> Pledge | None:
        result = await session.execute(
            select(Pledge)
            .where(or_(Pledge.first_order_id == order_id, Pledge.balance_order_id == order_id))
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def list_pledges(
        self,
        session: AsyncSession,
        campaign_id: str,
        *,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Pledge]:
        query = select(Pledge).where(Pledge.campaign_id == campaign_id).order_by(Pledge.id)
        if statuses is not None:
            query = query.where(Pledge.status.in_(list(statuses)))
        if limit is not None:
            query = query.limit(limit)
        result = await session.execute(query.execution_options(populate_existing=True))
        return list(result.scalars())

    async def page_pledges(
        self, session: AsyncSession, campaign_id: str, page: PageRequest
    ) -> Page[Pledge]:
        query = select(Pledge).where(Pledge.campaign_id == campaign_id)
        return await fetch_page(session, query, (asc(Pledge.id),), page)

    async def page_pledges_of_buyer(
        self, session: AsyncSession, buyer_id: str, page: PageRequest
    ) -> Page[Pledge]:
        query = select(Pledge).where(Pledge.buyer_id == buyer_id)
        return await fetch_page(session, query, (desc(Pledge.created_at), desc(Pledge.id)), page)

    def add(self, session: AsyncSession, row: Any) -> None:
        session.add(row)

    async def transition_pledge(
        self,
        session: AsyncSession,
        pledge_id: str,
        *,
        from_statuses: Sequence[str],
        to_status: str,
        **values: Any,
    ) -> bool:
        result = await session.execute(
            update(Pledge)
            .where(Pledge.id == pledge_id, Pledge.status.in_(list(from_statuses)))
            .values(status=to_status, **values)
        )
        return _rowcount(result) == 1

    # ---- production ---------------------------------------------------------------

    async def get_production_order(
        self, session: AsyncSession, production_id: str
    ) -> ProductionOrder | None:
        result = await session.execute(
            select(ProductionOrder)
            .where(ProductionOrder.id == production_id)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def list_production_orders(
        self,
        session: AsyncSession,
        *,
        supplier_id: str | None = None,
        merchant_id: str | None = None,
        campaign_id: str | None = None,
    ) -> list[ProductionOrder]:
        query = select(ProductionOrder).order_by(
            ProductionOrder.created_at.desc(), ProductionOrder.id
        )
        if supplier_id is not None:
            query = query.where(ProductionOrder.supplier_id == supplier_id)
        if merchant_id is not None:
            query = query.where(ProductionOrder.merchant_id == merchant_id)
        if campaign_id is not None:
            query = query.where(ProductionOrder.campaign_id == campaign_id)
        return list((await session.execute(query.limit(200))).scalars())

    async def page_production_orders(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        supplier_id: str | None = None,
        merchant_id: str | None = None,
    ) -> Page[ProductionOrder]:
        query = select(ProductionOrder)
        if supplier_id is not None:
            query = query.where(ProductionOrder.supplier_id == supplier_id)
        if merchant_id is not None:
            query = query.where(ProductionOrder.merchant_id == merchant_id)
        return await fetch_page(
            session, query, (desc(ProductionOrder.created_at), desc(ProductionOrder.id)), page
        )

    async def transition_production(
        self,
        session: AsyncSession,
        production_id: str,
        *,
        from_statuses: Sequence[str],
        to_status: str,
        now: datetime,
    ) -> bool:
        result = await session.execute(
            update(ProductionOrder)
            .where(
                ProductionOrder.id == production_id,
                ProductionOrder.status.in_(list(from_statuses)),
            )
            .values(status=to_status, updated_at=now)
        )
        return _rowcount(result) == 1

    async def add_delivered(
        self, session: AsyncSession, production_id: str, units: int, now: datetime
    ) -> bool:
        result = await session.execute(
            update(ProductionOrder)
            .where(
                ProductionOrder.id == production_id,
                ProductionOrder.units_delivered + units <= ProductionOrder.units_total,
            )
            .values(units_delivered=ProductionOrder.units_delivered + units, updated_at=now)
        )
        return _rowcount(result) == 1

    async def list_deliveries(
        self, session: AsyncSession, production_id: str
    ) -> list[ProductionDelivery]:
        result = await session.execute(
            select(ProductionDelivery)
            .where(ProductionDelivery.production_order_id == production_id)
            .order_by(ProductionDelivery.created_at, ProductionDelivery.id)
        )
        return list(result.scalars())

    # ---- demand -------------------------------------------------------------------

    async def get_vote(
        self, session: AsyncSession, product_id: str, user_id: str, variant: str
    ) -> DemandVote | None:
        result = await session.execute(
            select(DemandVote).where(
                DemandVote.product_id == product_id,
                DemandVote.user_id == user_id,
                DemandVote.variant == variant,
            )
        )
        return result.scalar_one_or_none()

    async def demand_of_product(
        self, session: AsyncSession, product_id: str, page: PageRequest
    ) -> Page[tuple[str, bool, int, int | None, int]]:
        """Per variant, most wanted first: (variant, proposed by a viewer, votes, average
        price willing, how many said a price). Viewers may propose variants of their own,
        so the list pages; its cursor is the last row's (votes, variant)."""
        votes = func.count()
        query = (
            select(
                DemandVote.variant,
                func.max(DemandVote.proposed.cast(type_=_int())),
                votes,
                func.avg(DemandVote.price_willing_cents),
                func.count(DemandVote.price_willing_cents),
            )
            .where(DemandVote.product_id == product_id)
            .group_by(DemandVote.variant)
        )
        if page.after is not None:
            after = page.after
            if (
                len(after) != 2
                or not isinstance(after[0], int)
                or isinstance(after[0], bool)
                or abs(after[0]) >= 2**63
                or not isinstance(after[1], str)
            ):
                raise BadCursor()
            query = query.having(
                or_(votes < after[0], and_(votes == after[0], DemandVote.variant > after[1]))
            )
        result = await session.execute(
            query.order_by(votes.desc(), DemandVote.variant).limit(page.size + 1)
        )
        rows = [
            (
                str(variant),
                bool(proposed),
                int(count),
                None if average is None else round(float(average)),
                int(priced),
            )
            for variant, proposed, count, average, priced in result.all()
        ]
        if len(rows) <= page.size:
            return Page(items=rows, next_cursor=None)
        rows = rows[: page.size]
        return Page(items=rows, next_cursor=encode_cursor([rows[-1][2], rows[-1][0]]))

    async def demand_table(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        merchant_id: str | None = None,
        room_id: str | None = None,
    ) -> Page[tuple[str, str, str, str, bool, int, int | None, int]]:
        """Demand per product and variant, most wanted first: (product id, product title,
        currency, variant, proposed by a viewer, votes, average price willing, how many said a
        price) over the merchant's products, or the votes cast in a room's sessions. The
        cursor is the last row's (votes, product id, variant)."""
        votes = func.count(DemandVote.id)
        query = (
            select(
                DemandVote.product_id,
                Product.title,
                Product.currency,
                DemandVote.variant,
                func.max(DemandVote.proposed.cast(type_=_int())),
                votes,
                func.avg(DemandVote.price_willing_cents),
                func.count(DemandVote.price_willing_cents),
            )
            .join(Product, Product.id == DemandVote.product_id)
            .group_by(DemandVote.product_id, Product.title, Product.currency, DemandVote.variant)
        )
        if merchant_id is not None:
            query = query.where(Product.merchant_id == merchant_id)
        if room_id is not None:
            query = query.join(LiveSession, LiveSession.id == DemandVote.session_id).where(
                LiveSession.room_id == room_id
            )
        if page.after is not None:
            after = page.after
            if (
                len(after) != 3
                or not isinstance(after[0], int)
                or isinstance(after[0], bool)
                or abs(after[0]) >= 2**63
                or not all(isinstance(part, str) for part in after[1:])
            ):
                raise BadCursor()
            query = query.having(
                or_(
                    votes < after[0],
                    and_(votes == after[0], DemandVote.product_id > after[1]),
                    and_(
                        votes == after[0],
                        DemandVote.product_id == after[1],
                        DemandVote.variant > after[2],
                    ),
                )
            )
        result = await session.execute(
            query.order_by(votes.desc(), DemandVote.product_id, DemandVote.variant).limit(
                page.size + 1
            )
        )
        rows = [
            (
                str(product_id),
                str(title),
                str(currency),
                str(variant),
                bool(proposed),
                int(count),
                None if average is None else round(float(average)),
                int(priced),
            )
            for product_id, title, currency, variant, proposed, count, average, priced in (
                result.all()
            )
        ]
        if len(rows) <= page.size:
            return Page(items=rows, next_cursor=None)
        rows = rows[: page.size]
        last = rows[-1]
        return Page(items=rows, next_cursor=encode_cursor([last[5], last[0], last[3]]))

    async def voters_of_many(
        self,
        session: AsyncSession,
        keys: Sequence[tuple[str, str]],
        room_id: str | None = None,
    ) -> dict[tuple[str, str], list[str]]:
        """Who asked for each (product, variant) pair (at most 1,000 each, the latest first),
        in a room's sessions only when ``room_id`` is given; one statement for all pairs."""
        if not keys:
            return {}
        wanted = set(keys)
        latest = (
            func.row_number()
            .over(
                partition_by=(DemandVote.product_id, DemandVote.variant),
                order_by=(DemandVote.created_at.desc(), DemandVote.id),
            )
            .label("latest")
        )
        inner = select(DemandVote.product_id, DemandVote.variant, DemandVote.user_id, latest).where(
            DemandVote.product_id.in_(sorted({product for product, _ in wanted}))
        )
        if room_id is not None:
            inner = inner.join(LiveSession, LiveSession.id == DemandVote.session_id).where(
                LiveSession.room_id == room_id
            )
        ranked = inner.subquery()
        result = await session.execute(
            select(ranked.c.product_id, ranked.c.variant, ranked.c.user_id)
            .where(ranked.c.latest <= 1000)
            .order_by(ranked.c.product_id, ranked.c.variant, ranked.c.latest)
        )
        voters: dict[tuple[str, str], list[str]] = {key: [] for key in keys}
        for product_id, variant, user_id in result:
            key = (str(product_id), str(variant))
            if key in wanted:
                voters[key].append(str(user_id))
        return voters

    async def votes_for_variant(self, session: AsyncSession, product_id: str, variant: str) -> int:
        result = await session.execute(
            select(func.count()).where(
                DemandVote.product_id == product_id, DemandVote.variant == variant
            )
        )
        return int(result.scalar_one())

    async def voter_ids(self, session: AsyncSession, product_id: str, variant: str) -> list[str]:
        result = await session.execute(
            select(DemandVote.user_id)
            .where(DemandVote.product_id == product_id, DemandVote.variant == variant)
            .limit(1000)
        )
        return [str(user_id) for user_id in result.scalars()]

    # ---- polls --------------------------------------------------------------------

    async def get_poll(
        self, session: AsyncSession, poll_id: str, *, lock: bool = False
    ) -> LivePoll | None:
        query = select(LivePoll).where(LivePoll.id == poll_id)
        if lock:
            query = query.with_for_update()
        result = await session.execute(query.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def list_polls(self, session: AsyncSession, session_id: str) -> list[LivePoll]:
        result = await session.execute(
            select(LivePoll)
            .where(LivePoll.session_id == session_id)
            .order_by(LivePoll.created_at.desc(), LivePoll.id)
            .limit(20)
        )
        return list(result.scalars())

    async def poll_counts(self, session: AsyncSession, poll_id: str) -> dict[int, int]:
        result = await session.execute(
            select(PollVote.option, func.count())
            .where(PollVote.poll_id == poll_id)
            .group_by(PollVote.option)
        )
        return {int(option): int(count) for option, count in result.all()}

    async def get_poll_vote(
        self, session: AsyncSession, poll_id: str, user_id: str
    ) -> PollVote | None:
        result = await session.execute(
            select(PollVote).where(PollVote.poll_id == poll_id, PollVote.user_id == user_id)
        )
        return result.scalar_one_or_none()

    # ---- rules and decisions ------------------------------------------------------

    async def get_rule(
        self, session: AsyncSession, product_id: str, kind: str
    ) -> DecisionRule | None:
        result = await session.execute(
            select(DecisionRule).where(
                DecisionRule.product_id == product_id, DecisionRule.kind == kind
            )
        )
        return result.scalar_one_or_none()

    async def list_rules(self, session: AsyncSession, *, kind: str) -> list[DecisionRule]:
        result = await session.execute(
            select(DecisionRule)
            .where(DecisionRule.kind == kind, DecisionRule.enabled.is_(True))
            .order_by(DecisionRule.id)
        )
        return list(result.scalars())

    async def page_rules_of_merchant(
        self, session: AsyncSession, merchant_id: str, page: PageRequest
    ) -> Page[DecisionRule]:
        query = select(DecisionRule).where(DecisionRule.merchant_id == merchant_id)
        return await fetch_page(
            session, query, (asc(DecisionRule.created_at), asc(DecisionRule.id)), page
        )

    async def page_decisions(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        merchant_id: str | None = None,
        campaign_id: str | None = None,
        product_id: str | None = None,
        newest_first: bool = False,
    ) -> Page[DecisionLog]:
        query = select(DecisionLog)
        if product_id is not None:
            query = query.where(DecisionLog.product_id == product_id)
        if merchant_id is not None:
            query = query.where(DecisionLog.merchant_id == merchant_id)
        if campaign_id is not None:
            query = query.where(DecisionLog.campaign_id == campaign_id)
        order = (
            (desc(DecisionLog.created_at), desc(DecisionLog.id))
            if newest_first
            else (asc(DecisionLog.created_at), asc(DecisionLog.id))
        )
        return await fetch_page(session, query, order, page)


def _int() -> Any:
    from sqlalchemy import Integer

    return Integer()


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count


c2b_repository = C2bRepository()
