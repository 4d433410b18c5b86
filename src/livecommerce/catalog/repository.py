from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import Product, ProductImage, Sku


class CatalogRepository:
    async def get_product(self, session: AsyncSession, product_id: str) -> Product | None:
        return await session.get(Product, product_id)

    async def get_products(
        self, session: AsyncSession, product_ids: set[str]
    ) -> dict[str, Product]:
        if not product_ids:
            return {}
        result = await session.execute(select(Product).where(Product.id.in_(product_ids)))
        return {product.id: product for product in result.scalars()}

    async def product_ids_of_merchant(self, session: AsyncSession, merchant_id: str) -> list[str]:
        result = await session.scalars(
            select(Product.id).where(Product.merchant_id == merchant_id).order_by(Product.id)
        )
        return list(result)

    async def product_ids_with_status(self, session: AsyncSession, status: str) -> list[str]:
        result = await session.scalars(
            select(Product.id).where(Product.status == status).order_by(Product.id)
        )
        return list(result)

    async def get_sku(self, session: AsyncSession, sku_id: str) -> Sku | None:
        result = await session.execute(
            select(Sku).options(joinedload(Sku.product)).where(Sku.id == sku_id)
        )
        return result.scalar_one_or_none()

    async def get_image(self, session: AsyncSession, image_id: str) -> ProductImage | None:
        return await session.get(ProductImage, image_id)

    async def list_products(
        self,
        session: AsyncSession,
        *,
        statuses: Sequence[str] | None,
        merchant_id: str | None,
        category: str | None,
        query: str | None,
        page: PageRequest,
        offset: int,
    ) -> tuple[Page[Product], int]:
        """Newest first, keyset ``(created_at desc, id)``; ``offset`` only without a cursor."""
        conditions: list[ColumnElement[bool]] = []
        if statuses is not None:
            conditions.append(Product.status.in_(statuses))
        if merchant_id is not None:
            conditions.append(Product.merchant_id == merchant_id)
        if category:
            conditions.append(Product.category == category)
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(Product.title.ilike(f"%{escaped}%", escape="\\"))
        total = await session.scalar(select(func.count()).select_from(Product).where(*conditions))
        listing = select(Product).where(*conditions).offset(offset)
        keyset = (desc(Product.created_at), asc(Product.id))
        return await fetch_page(session, listing, keyset, page), int(total or 0)

    async def next_sku_position(self, session: AsyncSession, product_id: str) -> int:
        current = await session.scalar(
            select(func.max(Sku.position)).where(Sku.product_id == product_id)
        )
        return 0 if current is None else current + 1

    async def next_image_position(self, session: AsyncSession, product_id: str) -> int:
        current = await session.scalar(
            select(func.max(ProductImage.position)).where(ProductImage.product_id == product_id)
        )
        return 0 if current is None else current + 1

    async def take_stock(self, session: AsyncSession, sku_id: str, quantity: int) -> int | None:
        """``stock -= quantity`` only while enough is left, in one statement.

        Returns the new stock, or None when no row matched (unknown SKU or not
        enough stock). Concurrent callers never oversell: the database applies
        the condition to the row it is about to change.
        """
        statement = (
            update(Sku)
            .where(Sku.id == sku_id, Sku.stock >= quantity)
            .values(stock=Sku.stock - quantity)
            .returning(Sku.stock)
            .execution_options(synchronize_session=False)
        )
        return await self._change_stock(session, sku_id, statement)

    async def add_stock(self, session: AsyncSession, sku_id: str, delta: int) -> int | None:
        """``stock += delta`` (delta may be negative) unless the result would go below zero."""
        statement = (
            update(Sku)
            .where(Sku.id == sku_id, Sku.stock + delta >= 0)
            .values(stock=Sku.stock + delta)
            .returning(Sku.stock)
            .execution_options(synchronize_session=False)
        )
        return await self._change_stock(session, sku_id, statement)

    async def _change_stock(
        self, session: AsyncSession, sku_id: str, statement: Update
    ) -> int | None:
        new_stock = (await session.execute(statement)).scalar_one_or_none()
        if new_stock is not None:
            self._refresh_loaded_stock(session, sku_id, new_stock)
        return new_stock

    async def set_stock(self, session: AsyncSession, sku_id: str, stock: int) -> None:
        await session.execute(
            update(Sku)
            .where(Sku.id == sku_id)
            .values(stock=stock)
            .execution_options(synchronize_session=False)
        )
        self._refresh_loaded_stock(session, sku_id, stock)

    def _refresh_loaded_stock(self, session: AsyncSession, sku_id: str, stock: int) -> None:
        loaded = session.identity_map.get(identity_key(Sku, sku_id))
        if isinstance(loaded, Sku):
            set_committed_value(loaded, "stock", stock)


catalog_repository = CatalogRepository()
