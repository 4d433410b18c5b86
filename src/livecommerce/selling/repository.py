"""The relationships a selling right follows from: staff links, offers and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import MerchantStaff, Offer, OfferInvite, OfferStatus


class SellingRepository:
    async def get_staff(
        self, session: AsyncSession, merchant_id: str, host_id: str
    ) -> MerchantStaff | None:
        return await session.get(MerchantStaff, (merchant_id, host_id))

    async def offers_in_force(
        self, session: AsyncSession, product_ids: list[str], at: datetime
    ) -> dict[str, Offer]:
        if not product_ids:
            return {}
        result = await session.execute(
            select(Offer)
            .where(
                Offer.product_id.in_(product_ids),
                Offer.status == OfferStatus.ACTIVE,
                Offer.starts_at <= at,
                or_(Offer.ends_at.is_(None), Offer.ends_at > at),
            )
            .order_by(Offer.created_at, Offer.id)
        )
        return {offer.product_id: offer for offer in result.scalars()}

    async def is_invited(self, session: AsyncSession, offer_id: str, host_id: str) -> bool:
        return await session.get(OfferInvite, (offer_id, host_id)) is not None


selling_repository = SellingRepository()
