"""Products, SKUs, stock and product images: the rules of the catalog."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from livecommerce.accounts.service import account_service
from livecommerce.catalog import images
from livecommerce.catalog.events import ProductChanged
from livecommerce.catalog.images import StoredImage
from livecommerce.catalog.repository import catalog_repository
from livecommerce.catalog.schemas import (
    ImageOut,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    SkuCreate,
    SkuOut,
    SkuUpdate,
)
from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.models import Product, ProductImage, ProductStatus, Role, Sku, User
from livecommerce.worker.events import publish

MEDIA_PREFIX = "/media/"
MAX_IMAGES_PER_PRODUCT = 20
MAX_SKUS_PER_PRODUCT = 100


def _product_not_found() -> NotFound:
    return NotFound("No such product.", code="product_not_found")


def _spec_key(spec: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(spec.items()))


def _remove_on_rollback(session: AsyncSession, uploads_dir: Path, filename: str) -> None:
    """Delete ``filename`` if the session's transaction rolls back instead of committing."""
    settled = False

    def on_commit(_session: Session) -> None:
        nonlocal settled
        settled = True

    def on_rollback(_session: Session, previous: SessionTransaction) -> None:
        nonlocal settled
        if not settled and previous.parent is None:  # the whole unit of work, not a savepoint
            settled = True
            images.delete_image(uploads_dir, filename)

    event.listen(session.sync_session, "after_commit", on_commit)
    event.listen(session.sync_session, "after_soft_rollback", on_rollback)


class CatalogService:
    # ---- reads other domains use -------------------------------------------------

    async def get_product(self, session: AsyncSession, product_id: str) -> Product:
        product = await catalog_repository.get_product(session, product_id)
        if product is None:
            raise _product_not_found()
        return product

    async def get_products(
        self, session: AsyncSession, product_ids: set[str]
    ) -> dict[str, Product]:
        return await catalog_repository.get_products(session, product_ids)

    async def product_ids_of_merchant(self, session: AsyncSession, merchant_id: str) -> list[str]:
        return await catalog_repository.product_ids_of_merchant(session, merchant_id)

    async def on_sale_product_ids(self, session: AsyncSession) -> list[str]:
        return await catalog_repository.product_ids_with_status(session, ProductStatus.ON_SALE)

    async def get_sku(self, session: AsyncSession, sku_id: str) -> Sku:
        """The SKU with its product loaded (``sku.product``)."""
        sku = await catalog_repository.get_sku(session, sku_id)
        if sku is None:
            raise NotFound("No such SKU.", code="sku_not_found")
        return sku

    # ---- stock -----------------------------------------------------------------

    async def do_take_stock(self, session: AsyncSession, sku_id: str, quantity: int) -> None:
        """Reserve ``quantity`` units in one conditional UPDATE; never read-then-write."""
        if quantity <= 0:
            raise ValidationFailed("Quantity must be at least 1.", code="invalid_quantity")
        if await catalog_repository.take_stock(session, sku_id, quantity) is None:
            raise Conflict("Not enough stock left for this item.", code="out_of_stock")

    async def do_return_stock(self, session: AsyncSession, sku_id: str, quantity: int) -> None:
        """Give back units taken by an order that will not be paid or was refunded."""
        if quantity <= 0:
            raise ValidationFailed("Quantity must be at least 1.", code="invalid_quantity")
        if await catalog_repository.add_stock(session, sku_id, quantity) is None:
            raise NotFound("No such SKU.", code="sku_not_found")

    # ---- media -----------------------------------------------------------------

    def media_url(self, filename: str) -> str:
        return MEDIA_PREFIX + filename

    def image_url(self, image: ProductImage) -> str:
        return self.media_url(image.filename)

    def product_cover_url(self, product: Product) -> str | None:
        return self.image_url(product.images[0]) if product.images else None

    def media_file(self, uploads_dir: Path, filename: str) -> Path:
        path = images.media_path(uploads_dir, filename)
        if path is None or not path.is_file():
            raise NotFound("No such file.", code="media_not_found")
        return path

    async def do_store_upload(self, session: AsyncSession, source: BinaryIO) -> StoredImage:
        """Check and store an uploaded image (product photo, avatar, cover).

        The file is written now; pair it with a row in the same unit of work. If
        that unit of work rolls back, the file is removed again.
        """
        settings = runtime_of(session).settings
        stored = await asyncio.to_thread(
            images.store_image, source, settings.uploads_dir, settings.upload_max_bytes
        )
        if not session.in_transaction():
            await session.begin()  # so that a rollback of this unit of work is seen
        _remove_on_rollback(session, settings.uploads_dir, stored.filename)
        return stored

    def do_delete_upload_after_commit(self, session: AsyncSession, filename: str) -> None:
        """Remove a stored file once the change that stopped using it is committed."""
        uploads_dir = runtime_of(session).settings.uploads_dir

        async def _delete() -> None:
            await asyncio.to_thread(images.delete_image, uploads_dir, filename)

        after_commit(session, _delete)

    # ---- permissions -------------------------------------------------------------

    def can_edit(self, user: User | None, product: Product) -> bool:
        if user is None:
            return False
        return user.role == Role.PLATFORM_ADMIN or product.merchant_id == user.id

    def check_can_edit(self, user: User, product: Product) -> None:
        if not self.can_edit(user, product):
            raise Forbidden(
                "Only the merchant who owns this product may change it.",
                code="not_product_owner",
            )

    async def get_product_for_edit(
        self, session: AsyncSession, user: User, product_id: str
    ) -> Product:
        product = await self.get_product(session, product_id)
        self.check_can_edit(user, product)
        return product

    async def get_visible_product(
        self, session: AsyncSession, user: User | None, product_id: str
    ) -> Product:
        """Drafts are visible to their merchant and admins only; others see a 404."""
        product = await self.get_product(session, product_id)
        if product.status == ProductStatus.DRAFT and not self.can_edit(user, product):
            raise _product_not_found()
        return product

    # ---- products ------------------------------------------------------------------

    async def list_products(
        self,
        session: AsyncSession,
        user: User | None,
        *,
        mine: bool,
        status: str | None,
        merchant_id: str | None,
        category: str | None,
        query: str | None,
        page: PageRequest,
        offset: int,
    ) -> tuple[Page[Product], int]:
        statuses: list[str] | None
        if mine:
            if user is None:
                raise NotAuthenticated("Log in to see your own products.")
            account_service.check_role(user, Role.MERCHANT)
            merchant_id = user.id
            statuses = None if status is None else [status]
        else:
            if status is not None and status != ProductStatus.ON_SALE:
                raise ValidationFailed(
                    "The public list only shows products on sale; use mine=true for others.",
                    code="invalid_status_filter",
                )
            statuses = [ProductStatus.ON_SALE]
        return await catalog_repository.list_products(
            session,
            statuses=statuses,
            merchant_id=merchant_id,
            category=category,
            query=query,
            page=page,
            offset=offset,
        )

    async def do_create_product(
        self, session: AsyncSession, user: User, data: ProductCreate
    ) -> Product:
        self._check_unique_specs([sku.spec for sku in data.skus])
        if ProductStatus(data.status) == ProductStatus.ON_SALE and not data.skus:
            raise self._no_skus()
        now = utcnow()
        product = Product(
            merchant_id=user.id,
            title=data.title,
            description=data.description,
            category=data.category.strip(),
            currency=data.currency or runtime_of(session).settings.default_currency,
            status=data.status,
            created_at=now,
            updated_at=now,
            images=[],
            skus=[
                Sku(spec=sku.spec, price_cents=sku.price_cents, stock=sku.stock, position=index)
                for index, sku in enumerate(data.skus)
            ],
        )
        session.add(product)
        await session.flush()
        await publish(session, ProductChanged(product_id=product.id))
        return product

    async def do_update_product(
        self, session: AsyncSession, user: User, product_id: str, changes: ProductUpdate
    ) -> Product:
        product = await self.get_product_for_edit(session, user, product_id)
        if changes.title is not None:
            product.title = changes.title
        if changes.description is not None:
            product.description = changes.description
        if changes.category is not None:
            product.category = changes.category.strip()
        if changes.currency is not None:
            product.currency = changes.currency
        product.updated_at = utcnow()
        await session.flush()
        await publish(session, ProductChanged(product_id=product.id))
        return product

    async def do_change_status(
        self, session: AsyncSession, user: User, product_id: str, status: str
    ) -> Product:
        product = await self.get_product_for_edit(session, user, product_id)
        if status == ProductStatus.ON_SALE and not product.skus:
            raise self._no_skus()
        product.status = ProductStatus(status)
        product.updated_at = utcnow()
        await session.flush()
        await publish(session, ProductChanged(product_id=product.id))
        return product

    # ---- SKUs --------------------------------------------------------------------

    async def do_add_sku(
        self, session: AsyncSession, user: User, product_id: str, data: SkuCreate
    ) -> Sku:
        product = await self.get_product_for_edit(session, user, product_id)
        if len(product.skus) >= MAX_SKUS_PER_PRODUCT:
            raise Conflict(
                f"A product has at most {MAX_SKUS_PER_PRODUCT} SKUs.", code="too_many_skus"
            )
        self._check_unique_specs([sku.spec for sku in product.skus] + [data.spec])
        sku = Sku(
            product=product,
            spec=data.spec,
            price_cents=data.price_cents,
            stock=data.stock,
            position=await catalog_repository.next_sku_position(session, product.id),
        )
        session.add(sku)
        product.updated_at = utcnow()
        await session.flush()
        return sku

    async def do_update_sku(
        self, session: AsyncSession, user: User, product_id: str, sku_id: str, changes: SkuUpdate
    ) -> Sku:
        product = await self.get_product_for_edit(session, user, product_id)
        sku = next((item for item in product.skus if item.id == sku_id), None)
        if sku is None:
            raise NotFound("This product has no such SKU.", code="sku_not_found")
        if changes.spec is not None:
            others = [item.spec for item in product.skus if item.id != sku.id]
            self._check_unique_specs([*others, changes.spec])
            sku.spec = changes.spec
        if changes.price_cents is not None:
            sku.price_cents = changes.price_cents
        await session.flush()
        if changes.stock is not None:
            await catalog_repository.set_stock(session, sku.id, changes.stock)
        if changes.stock_delta:
            if await catalog_repository.add_stock(session, sku.id, changes.stock_delta) is None:
                raise Conflict(
                    "Removing that many units would make the stock negative.",
                    code="stock_would_go_negative",
                )
        product.updated_at = utcnow()
        await session.flush()
        return sku

    # ---- images ------------------------------------------------------------------

    async def do_add_image(
        self, session: AsyncSession, user: User, product: Product, source: BinaryIO
    ) -> ProductImage:
        self.check_can_edit(user, product)
        if len(product.images) >= MAX_IMAGES_PER_PRODUCT:
            raise Conflict(
                f"A product has at most {MAX_IMAGES_PER_PRODUCT} images.", code="too_many_images"
            )
        stored = await self.do_store_upload(session, source)
        image = ProductImage(
            product=product,
            filename=stored.filename,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            position=await catalog_repository.next_image_position(session, product.id),
        )
        session.add(image)
        product.updated_at = utcnow()
        await session.flush()
        return image

    async def do_delete_image(
        self, session: AsyncSession, user: User, product_id: str, image_id: str
    ) -> None:
        product = await self.get_product_for_edit(session, user, product_id)
        image = next((item for item in product.images if item.id == image_id), None)
        if image is None:
            raise NotFound("This product has no such image.", code="image_not_found")
        product.images.remove(image)
        await session.delete(image)
        product.updated_at = utcnow()
        await session.flush()
        self.do_delete_upload_after_commit(session, image.filename)

    # ---- shaping -------------------------------------------------------------------

    def product_out(self, product: Product) -> ProductOut:
        return ProductOut(
            id=product.id,
            merchant_id=product.merchant_id,
            title=product.title,
            description=product.description,
            category=product.category,
            currency=product.currency,
            status=product.status,
            price_cents=min((sku.price_cents for sku in product.skus), default=None),
            stock=sum(sku.stock for sku in product.skus),
            cover_url=self.product_cover_url(product),
            images=[self.image_out(image) for image in product.images],
            skus=[SkuOut.model_validate(sku) for sku in product.skus],
            created_at=product.created_at,
            updated_at=product.updated_at,
        )

    def image_out(self, image: ProductImage) -> ImageOut:
        return ImageOut(
            id=image.id,
            url=self.image_url(image),
            content_type=image.content_type,
            size_bytes=image.size_bytes,
            position=image.position,
        )

    # ---- helpers -----------------------------------------------------------------

    def _check_unique_specs(self, specs: list[dict[str, str]]) -> None:
        seen: set[tuple[tuple[str, str], ...]] = set()
        for spec in specs:
            key = _spec_key(spec)
            if key in seen:
                raise Conflict(
                    "Two SKUs of one product cannot have the same spec.",
                    code="duplicate_sku_spec",
                )
            seen.add(key)

    def _no_skus(self) -> Conflict:
        return Conflict(
            "Add at least one SKU before putting the product on sale.",
            code="product_has_no_skus",
        )


catalog_service = CatalogService()
