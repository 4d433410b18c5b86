from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Order as KeyOrder
from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    AffiliateConversion,
    AffiliateLink,
    Agency,
    ContractStatus,
    HostContract,
    LiveSession,
    MerchantStaff,
    Offer,
    OfferInvite,
    OfferStatus,
    OfferVisibility,
    Order,
    OrderStatus,
    Product,
    ProductStatus,
    Room,
    SampleRequest,
    Sku,
)

SOLD_STATES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class McnRepository:
    # ---- agencies and contracts ---------------------------------------------------

    async def add(self, session: AsyncSession, row: Any) -> None:
        session.add(row)
        await session.flush()

    async def try_add(self, session: AsyncSession, row: Any) -> bool:
        """Insert in a savepoint; False when a unique constraint says it exists."""
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:
            return False
        return True

    async def agency_of_owner(self, session: AsyncSession, owner_id: str) -> Agency | None:
        result = await session.execute(select(Agency).where(Agency.owner_id == owner_id))
        return result.scalar_one_or_none()

    async def get_agency(self, session: AsyncSession, agency_id: str) -> Agency | None:
        return await session.get(Agency, agency_id)

    async def get_contract(self, session: AsyncSession, contract_id: str) -> HostContract | None:
        return await session.get(HostContract, contract_id)

    async def list_contracts(
        self, session: AsyncSession, *, agency_id: str | None = None, host_id: str | None = None
    ) -> list[HostContract]:
        query = select(HostContract).order_by(HostContract.created_at.desc(), HostContract.id)
        if agency_id is not None:
            query = query.where(HostContract.agency_id == agency_id)
        if host_id is not None:
            query = query.where(HostContract.host_id == host_id)
        result = await session.execute(query.execution_options(populate_existing=True))
        return list(result.scalars())

    async def open_offers_of_products(
        self, session: AsyncSession, product_ids: list[str], at: datetime
    ) -> list[Offer]:
        """Active, open offers in force on these products (dashboards' selection insight)."""
        if not product_ids:
            return []
        result = await session.execute(
            select(Offer)
            .where(
                Offer.product_id.in_(product_ids),
                Offer.status == OfferStatus.ACTIVE,
                Offer.visibility == OfferVisibility.OPEN,
                Offer.starts_at <= at,
                or_(Offer.ends_at.is_(None), Offer.ends_at > at),
            )
            .order_by(Offer.commission_bp.desc(), Offer.id)
        )
        return list(result.scalars())

    async def page_contracts(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        agency_id: str | None = None,
        host_id: str | None = None,
    ) -> Page[HostContract]:
        query = select(HostContract).execution_options(populate_existing=True)
        if agency_id is not None:
            query = query.where(HostContract.agency_id == agency_id)
        if host_id is not None:
            query = query.where(HostContract.host_id == host_id)
        keyset = (desc(HostContract.created_at), asc(HostContract.id))
        return await fetch_page(session, query, keyset, page)

    async def open_contract(
        self, session: AsyncSession, host_id: str, statuses: tuple[str, ...]
    ) -> HostContract | None:
        result = await session.execute(
            select(HostContract)
            .where(HostContract.host_id == host_id, HostContract.status.in_(statuses))
            .order_by(HostContract.created_at.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def contract_in_force(
        self, session: AsyncSession, host_id: str, at: datetime
    ) -> HostContract | None:
        result = await session.execute(
            select(HostContract)
            .where(
                HostContract.host_id == host_id,
                HostContract.status == ContractStatus.ACTIVE,
                HostContract.starts_at <= at,
                or_(HostContract.ends_at.is_(None), HostContract.ends_at > at),
            )
            .order_by(HostContract.starts_at.desc(), HostContract.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def transition_contract(
        self,
        session: AsyncSession,
        contract_id: str,
        from_statuses: list[str],
        to_status: str,
        **values: Any,
    ) -> bool:
        result = await session.execute(
            update(HostContract)
            .where(HostContract.id == contract_id, HostContract.status.in_(from_statuses))
            .values(status=to_status, **values)
        )
        return _rowcount(result) == 1

    # ---- merchant staff -----------------------------------------------------------

    async def get_staff(
        self, session: AsyncSession, merchant_id: str, host_id: str
    ) -> MerchantStaff | None:
        return await session.get(MerchantStaff, (merchant_id, host_id))

    async def list_staff(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        merchant_id: str | None = None,
        host_id: str | None = None,
    ) -> Page[MerchantStaff]:
        """Oldest first; the primary key ``(merchant_id, host_id)`` breaks ties."""
        query = select(MerchantStaff).execution_options(populate_existing=True)
        if merchant_id is not None:
            query = query.where(MerchantStaff.merchant_id == merchant_id)
        if host_id is not None:
            query = query.where(MerchantStaff.host_id == host_id)
        keyset = (
            asc(MerchantStaff.created_at),
            asc(MerchantStaff.merchant_id),
            asc(MerchantStaff.host_id),
        )
        return await fetch_page(session, query, keyset, page)

    async def accept_staff(self, session: AsyncSession, merchant_id: str, host_id: str) -> bool:
        result = await session.execute(
            update(MerchantStaff)
            .where(
                MerchantStaff.merchant_id == merchant_id,
                MerchantStaff.host_id == host_id,
                MerchantStaff.accepted.is_(False),
            )
            .values(accepted=True)
        )
        return _rowcount(result) == 1

    async def delete_staff(self, session: AsyncSession, row: MerchantStaff) -> None:
        await session.delete(row)
        await session.flush()

    # ---- offers -------------------------------------------------------------------

    async def get_offer(self, session: AsyncSession, offer_id: str) -> Offer | None:
        return await session.get(Offer, offer_id)

    async def active_offer_for_product(
        self, session: AsyncSession, product_id: str
    ) -> Offer | None:
        result = await session.execute(
            select(Offer)
            .where(Offer.product_id == product_id, Offer.status == OfferStatus.ACTIVE)
            .order_by(Offer.created_at.desc(), Offer.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def is_invited(self, session: AsyncSession, offer_id: str, host_id: str) -> bool:
        return await session.get(OfferInvite, (offer_id, host_id)) is not None

    async def invited_offer_ids(self, session: AsyncSession, host_ids: list[str]) -> set[str]:
        if not host_ids:
            return set()
        result = await session.execute(
            select(OfferInvite.offer_id).where(OfferInvite.host_id.in_(host_ids))
        )
        return {row[0] for row in result}

    async def browse_offers(
        self,
        session: AsyncSession,
        *,
        viewer_invited: set[str] | None,
        merchant_id: str | None,
        category: str | None,
        min_price_cents: int | None,
        max_price_cents: int | None,
        min_commission_bp: int | None,
        min_sales: int | None,
        sort: str,
        at: datetime,
        page: PageRequest,
    ) -> Page[tuple[Offer, Product, int]]:
        """Offers with their product and lowest SKU price.

        ``viewer_invited`` None shows every offer (admins, the merchant's own list);
        otherwise open offers plus the invite-only ones in the set."""
        price = (
            select(Sku.product_id.label("product_id"), func.min(Sku.price_cents).label("price"))
            .group_by(Sku.product_id)
            .subquery()
        )
        query: Any = (
            select(Offer, Product, func.coalesce(price.c.price, 0))
            .join(Product, Product.id == Offer.product_id)
            .outerjoin(price, price.c.product_id == Offer.product_id)
        )
        if merchant_id is not None:
            query = query.where(Offer.merchant_id == merchant_id)
        else:
            query = query.where(
                Offer.status == OfferStatus.ACTIVE,
                Product.status == ProductStatus.ON_SALE,
                or_(Offer.ends_at.is_(None), Offer.ends_at > at),
            )
        if viewer_invited is not None:
            query = query.where(
                or_(
                    Offer.visibility == OfferVisibility.OPEN,
                    Offer.id.in_(list(viewer_invited) or [""]),
                )
            )
        if category:
            query = query.where(Product.category == category)
        if min_price_cents is not None:
            query = query.where(price.c.price >= min_price_cents)
        if max_price_cents is not None:
            query = query.where(price.c.price <= max_price_cents)
        if min_commission_bp is not None:
            query = query.where(Offer.commission_bp >= min_commission_bp)
        if min_sales is not None:
            query = query.where(Offer.sales_count >= min_sales)
        lowest = func.coalesce(price.c.price, 0)
        keyed: dict[str, tuple[KeyOrder, Callable[[Any], Any]]] = {
            "commission": (desc(Offer.commission_bp), lambda row: row[0].commission_bp),
            "sales": (desc(Offer.sales_count), lambda row: row[0].sales_count),
            "price": (asc(lowest), lambda row: int(row[2])),
            "newest": (desc(Offer.created_at), lambda row: row[0].created_at),
        }
        first, value = keyed[sort]
        found: Page[Any] = await fetch_page(
            session,
            query,
            (first, asc(Offer.id)),
            page,
            key=lambda row: (value(row), row[0].id),
            whole_rows=True,
        )
        return Page(
            items=[(row[0], row[1], int(row[2])) for row in found.items],
            next_cursor=found.next_cursor,
        )

    async def record_offer_sale(
        self, session: AsyncSession, offer_id: str, quantity: int, amount_cents: int
    ) -> None:
        await session.execute(
            update(Offer)
            .where(Offer.id == offer_id)
            .values(
                sales_count=Offer.sales_count + quantity,
                sales_cents=Offer.sales_cents + amount_cents,
            )
        )

    # ---- samples ------------------------------------------------------------------

    async def get_sample(self, session: AsyncSession, sample_id: str) -> SampleRequest | None:
        return await session.get(SampleRequest, sample_id)

    async def pending_sample(
        self, session: AsyncSession, offer_id: str, requester_id: str
    ) -> SampleRequest | None:
        result = await session.execute(
            select(SampleRequest).where(
                SampleRequest.offer_id == offer_id,
                SampleRequest.requester_id == requester_id,
                SampleRequest.status == "pending",
            )
        )
        return result.scalars().first()

    async def list_samples(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        merchant_id: str | None = None,
        requester_id: str | None = None,
    ) -> Page[SampleRequest]:
        query = select(SampleRequest).join(Offer, Offer.id == SampleRequest.offer_id)
        if merchant_id is not None:
            query = query.where(Offer.merchant_id == merchant_id)
        if requester_id is not None:
            query = query.where(SampleRequest.requester_id == requester_id)
        query = query.execution_options(populate_existing=True)
        keyset = (desc(SampleRequest.created_at), asc(SampleRequest.id))
        return await fetch_page(session, query, keyset, page)

    async def decide_sample(
        self, session: AsyncSession, sample_id: str, to_status: str, at: datetime
    ) -> bool:
        result = await session.execute(
            update(SampleRequest)
            .where(SampleRequest.id == sample_id, SampleRequest.status == "pending")
            .values(status=to_status, decided_at=at)
        )
        return _rowcount(result) == 1

    # ---- affiliate links ----------------------------------------------------------

    async def get_link(self, session: AsyncSession, link_id: str) -> AffiliateLink | None:
        return await session.get(AffiliateLink, link_id)

    async def set_postback_secret(self, session: AsyncSession, link_id: str, secret: str) -> None:
        await session.execute(
            update(AffiliateLink)
            .where(AffiliateLink.id == link_id)
            .values(postback_secret=secret)
            .execution_options(synchronize_session=False)
        )

    async def link_by_code(self, session: AsyncSession, code: str) -> AffiliateLink | None:
        result = await session.execute(select(AffiliateLink).where(AffiliateLink.code == code))
        return result.scalar_one_or_none()

    async def list_links(
        self, session: AsyncSession, host_id: str, page: PageRequest
    ) -> Page[AffiliateLink]:
        query = (
            select(AffiliateLink)
            .where(AffiliateLink.host_id == host_id)
            .execution_options(populate_existing=True)
        )
        keyset = (desc(AffiliateLink.created_at), asc(AffiliateLink.id))
        return await fetch_page(session, query, keyset, page)

    async def count_click(self, session: AsyncSession, link_id: str) -> None:
        await session.execute(
            update(AffiliateLink)
            .where(AffiliateLink.id == link_id)
            .values(clicks=AffiliateLink.clicks + 1)
        )

    async def count_conversion(self, session: AsyncSession, link_id: str, amount: int) -> None:
        await session.execute(
            update(AffiliateLink)
            .where(AffiliateLink.id == link_id)
            .values(
                conversions=AffiliateLink.conversions + 1,
                sales_cents=AffiliateLink.sales_cents + amount,
            )
        )

    async def get_conversion(
        self, session: AsyncSession, link_id: str, external_order_id: str
    ) -> AffiliateConversion | None:
        result = await session.execute(
            select(AffiliateConversion).where(
                AffiliateConversion.link_id == link_id,
                AffiliateConversion.external_order_id == external_order_id,
            )
        )
        return result.scalar_one_or_none()

    # ---- dashboard figures --------------------------------------------------------

    async def host_figures(
        self, session: AsyncSession, host_ids: list[str]
    ) -> dict[str, tuple[int, int, int]]:
        """Per host: (sessions, paid orders, GMV in cents) over the host's own room."""
        figures = {host_id: (0, 0, 0) for host_id in host_ids}
        if not host_ids:
            return figures
        sessions = await session.execute(
            select(Room.host_id, func.count(LiveSession.id))
            .join(LiveSession, LiveSession.room_id == Room.id)
            .where(Room.host_id.in_(host_ids))
            .group_by(Room.host_id)
        )
        for host_id, count in sessions.all():
            figures[host_id] = (int(count), 0, 0)
        orders = await session.execute(
            select(
                Order.host_id, func.count(Order.id), func.coalesce(func.sum(Order.total_cents), 0)
            )
            .where(Order.host_id.in_(host_ids), Order.status.in_(SOLD_STATES))
            .group_by(Order.host_id)
        )
        for seller_id, count, gmv in orders.all():
            if seller_id is not None:
                figures[seller_id] = (figures[seller_id][0], int(count), int(gmv))
        return figures


mcn_repository = McnRepository()
