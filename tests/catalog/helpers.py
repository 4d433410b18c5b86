"""Catalog test data, created through the HTTP API."""

from __future__ import annotations

import io
from typing import Any

import httpx
from sqlalchemy import update

from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role, User
from tests.factories import Account


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, image_format)
    return buffer.getvalue()


def noisy_png(min_bytes: int) -> bytes:
    """A real PNG at least ``min_bytes`` long (random pixels do not compress)."""
    import os

    from PIL import Image

    side = 64
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        if buffer.tell() >= min_bytes:
            return buffer.getvalue()
        side *= 2


async def make_admin(runtime: Runtime, account: Account) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == account.id).values(role=Role.PLATFORM_ADMIN)
        )
    account.role = "platform_admin"


async def create_product(
    client: httpx.AsyncClient,
    merchant: Account,
    *,
    title: str = "真丝连衣裙",
    status: str = "on_sale",
    skus: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    if skus is None:
        skus = [
            {"spec": {"colour": "红", "size": "M"}, "price_cents": 19900, "stock": 10},
            {"spec": {"colour": "红", "size": "L"}, "price_cents": 20900, "stock": 5},
        ]
    response = await client.post(
        "/api/v1/products",
        json={"title": title, "status": status, "skus": skus, **extra},
        headers=merchant.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(
    client: httpx.AsyncClient,
    url: str,
    account: Account,
    content: bytes,
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.post(
        url, files={"file": (filename, content, content_type)}, headers=account.headers
    )
