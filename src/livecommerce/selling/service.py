"""Who may sell a product, at what price, and whose stock it may commit.

Every operation that sells, prices or commits a merchant's stock in a room (showcase
items and their live prices, flash sales, lottery prizes, room coupons) asks
``selling_service.check_may_sell`` with the room's host as the seller. A host sells a
product only through a relationship its merchant agreed to:

* its own product (the host is the merchant) or a merchant whose staff it accepted to be:
  any live price, any flash sale or prize;
* an offer in force from the product's merchant that is open to the host (open, or
  invite-only with the host invited): live and flash-sale prices at or above the offer's
  price floor (``min_live_price_cents``, else each SKU's catalog price), flash sales only
  when the offer has ``allow_flash_sales``, prizes only when it has ``allow_prizes``, and
  the host's room coupons only when it has ``allow_room_coupons`` (the merchant bears them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Forbidden, ValidationFailed
from livecommerce.models import Offer, OfferVisibility, Product
from livecommerce.selling.repository import selling_repository


class SellAction(StrEnum):
    SHOWCASE = "showcase"  # put in the showcase and set live prices
    FLASH_SALE = "flash_sale"  # commit stock to a flash sale at its price
    PRIZE = "prize"  # commit stock to lottery prizes
    DISCOUNT = "discount"  # a room coupon taking money off the merchant's sale


@dataclass(frozen=True)
class SellingRight:
    """Why a seller may sell a product: its own (merchant or staff) or an offer."""

    own: bool
    offer: Offer | None = None

    def floor_cents(self, catalog_price_cents: int) -> int:
        """The lowest price a SKU listed at ``catalog_price_cents`` may sell at (0: none)."""
        if self.own or self.offer is None:
            return 0
        if self.offer.min_live_price_cents is not None:
            return self.offer.min_live_price_cents
        return catalog_price_cents


class SellingService:
    async def offers_in_force(
        self, session: AsyncSession, product_ids: list[str], at: datetime
    ) -> dict[str, Offer]:
        """The active offer of each product at ``at`` (its merchant's, at most one each)."""
        return await selling_repository.offers_in_force(session, product_ids, at)

    async def is_own(self, session: AsyncSession, seller_id: str, merchant_id: str) -> bool:
        """The merchant itself, or a host that accepted to be its staff."""
        if seller_id == merchant_id:
            return True
        row = await selling_repository.get_staff(session, merchant_id, seller_id)
        return row is not None and row.accepted

    async def offer_for(
        self, session: AsyncSession, seller_id: str, product: Product
    ) -> Offer | None:
        """The product's merchant's offer in force now that is open to ``seller_id``."""
        offers = await selling_repository.offers_in_force(session, [product.id], utcnow())
        offer = offers.get(product.id)
        if offer is None or offer.merchant_id != product.merchant_id:
            return None
        if offer.visibility == OfferVisibility.INVITE_ONLY and not (
            await selling_repository.is_invited(session, offer.id, seller_id)
        ):
            return None
        return offer

    async def right_to_sell(
        self, session: AsyncSession, seller_id: str, product: Product
    ) -> SellingRight | None:
        if await self.is_own(session, seller_id, product.merchant_id):
            return SellingRight(own=True)
        offer = await self.offer_for(session, seller_id, product)
        return None if offer is None else SellingRight(own=False, offer=offer)

    async def check_may_sell(
        self,
        session: AsyncSession,
        seller_id: str,
        product: Product,
        action: SellAction,
        prices: Mapping[str, int] | None = None,
    ) -> SellingRight:
        """Refuse unless ``seller_id`` may do ``action`` with ``product`` at ``prices``
        (SKU id → price in cents, each SKU of the product)."""
        right = await self.right_to_sell(session, seller_id, product)
        if right is None:
            raise Forbidden(
                "You may sell this product only as its merchant, as its merchant's staff, "
                "or through an offer from its merchant.",
                code="no_selling_right",
                details={"product_id": product.id},
            )
        if right.offer is not None:
            if action == SellAction.FLASH_SALE and not right.offer.allow_flash_sales:
                raise Forbidden(
                    "The merchant's offer does not allow flash sales of this product.",
                    code="flash_sale_not_allowed",
                    details={"offer_id": right.offer.id},
                )
            if action == SellAction.PRIZE and not right.offer.allow_prizes:
                raise Forbidden(
                    "The merchant's offer does not allow this product as a prize.",
                    code="prize_not_allowed",
                    details={"offer_id": right.offer.id},
                )
            if action == SellAction.DISCOUNT and not right.offer.allow_room_coupons:
                raise Forbidden(
                    "The merchant's offer does not allow room coupons on this product.",
                    code="discount_not_allowed",
                    details={"offer_id": right.offer.id},
                )
        for sku_id, price in (prices or {}).items():
            sku = await catalog_service.get_sku(session, sku_id)
            floor = right.floor_cents(sku.price_cents)
            if price < floor:
                raise ValidationFailed(
                    f"The merchant's price floor for this product is {floor} cents.",
                    code="below_price_floor",
                    details={"sku_id": sku_id, "floor_cents": floor, "price_cents": price},
                )
        return right


selling_service = SellingService()
