from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from livecommerce.accounts.dependencies import MerchantUser, OptionalUser
from livecommerce.catalog.images import CONTENT_TYPES
from livecommerce.catalog.schemas import (
    ImageOut,
    ProductCreate,
    ProductOut,
    ProductPage,
    ProductStatusChange,
    ProductStatusName,
    ProductUpdate,
    SkuCreate,
    SkuOut,
    SkuUpdate,
)
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.errors import ValidationFailed
from livecommerce.kit.http import DbSession, RuntimeDep
from livecommerce.kit.pagination import PageQuery
from livecommerce.kit.uploads import UPLOAD_OPENAPI, receive_upload

router = APIRouter(prefix="/api/v1", tags=["catalog"])
# Uploaded images are served outside the API prefix so pages can use them directly.
media_router = APIRouter(tags=["media"])


@router.post("/products", status_code=201)
async def create_product(body: ProductCreate, user: MerchantUser, session: DbSession) -> ProductOut:
    """Create a product with its SKUs (merchants; a draft unless ``status`` says otherwise)."""
    product = await catalog_service.do_create_product(session, user, body)
    return catalog_service.product_out(product)


@router.get("/products")
async def list_products(
    session: DbSession,
    user: OptionalUser,
    page: PageQuery,
    mine: bool = False,
    status: ProductStatusName | None = None,
    merchant_id: str | None = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ProductPage:
    """Products on sale; ``mine=true`` lists the calling merchant's own, drafts included.

    Pages by ``cursor`` (20 a page by default); ``offset`` is kept for old clients and
    cannot be combined with a cursor."""
    if page.after is not None and offset:
        raise ValidationFailed("Use either cursor or offset, not both.", code="cursor_with_offset")
    page = page.or_default(20)
    products, total = await catalog_service.list_products(
        session,
        user,
        mine=mine,
        status=status,
        merchant_id=merchant_id,
        category=category,
        query=q,
        page=page,
        offset=offset,
    )
    return ProductPage(
        items=[catalog_service.product_out(product) for product in products.items],
        total=total,
        limit=page.size,
        offset=offset,
        next_cursor=products.next_cursor,
    )


@router.get("/products/{product_id}")
async def get_product(product_id: str, session: DbSession, user: OptionalUser) -> ProductOut:
    product = await catalog_service.get_visible_product(session, user, product_id)
    return catalog_service.product_out(product)


@router.patch("/products/{product_id}")
async def update_product(
    product_id: str, body: ProductUpdate, user: MerchantUser, session: DbSession
) -> ProductOut:
    product = await catalog_service.do_update_product(session, user, product_id, body)
    return catalog_service.product_out(product)


@router.post("/products/{product_id}/status")
async def change_product_status(
    product_id: str, body: ProductStatusChange, user: MerchantUser, session: DbSession
) -> ProductOut:
    """Put a product on sale, take it off sale, or back to draft."""
    product = await catalog_service.do_change_status(session, user, product_id, body.status)
    return catalog_service.product_out(product)


@router.post("/products/{product_id}/skus", status_code=201)
async def add_sku(
    product_id: str, body: SkuCreate, user: MerchantUser, session: DbSession
) -> SkuOut:
    sku = await catalog_service.do_add_sku(session, user, product_id, body)
    return SkuOut.model_validate(sku)


@router.patch("/products/{product_id}/skus/{sku_id}")
async def update_sku(
    product_id: str, sku_id: str, body: SkuUpdate, user: MerchantUser, session: DbSession
) -> SkuOut:
    """Change a SKU's spec or price; set its stock (``stock``) or move it (``stock_delta``)."""
    sku = await catalog_service.do_update_sku(session, user, product_id, sku_id, body)
    return SkuOut.model_validate(sku)


@router.post("/products/{product_id}/images", status_code=201, openapi_extra=UPLOAD_OPENAPI)
async def upload_product_image(
    product_id: str, request: Request, user: MerchantUser, session: DbSession, runtime: RuntimeDep
) -> ImageOut:
    """Upload a JPEG, PNG, WebP or GIF image (multipart field ``file``)."""
    product = await catalog_service.get_product_for_edit(session, user, product_id)
    max_bytes = runtime.settings.upload_max_bytes
    async with receive_upload(request, max_bytes=max_bytes) as source:
        image = await catalog_service.do_add_image(session, user, product, source)
    return catalog_service.image_out(image)


@router.delete("/products/{product_id}/images/{image_id}", status_code=204)
async def delete_product_image(
    product_id: str, image_id: str, user: MerchantUser, session: DbSession
) -> Response:
    await catalog_service.do_delete_image(session, user, product_id, image_id)
    return Response(status_code=204)


@media_router.get("/media/{filename}", response_class=FileResponse)
async def get_media(filename: str, runtime: RuntimeDep) -> FileResponse:
    """An uploaded image. Names are random and never reused, so they cache forever."""
    path = catalog_service.media_file(runtime.settings.uploads_dir, filename)
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[path.suffix.removeprefix(".")],
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
