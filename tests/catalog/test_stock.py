from __future__ import annotations

import asyncio

import httpx
import pytest

from livecommerce.catalog.service import catalog_service
from livecommerce.kit.errors import Conflict, NotFound, ValidationFailed
from livecommerce.kit.runtime import Runtime
from tests.catalog.helpers import create_product
from tests.factories import sign_up


async def _stock(client: httpx.AsyncClient, product_id: str) -> list[int]:
    product = (await client.get(f"/api/v1/products/{product_id}")).json()
    return [sku["stock"] for sku in product["skus"]]


async def test_concurrent_take_stock_never_oversells(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(
        client, merchant, skus=[{"spec": {"size": "M"}, "price_cents": 9900, "stock": 7}]
    )
    sku_id = product["skus"][0]["id"]

    async def take_one() -> None:
        async with runtime.db.transaction() as session:
            await catalog_service.do_take_stock(session, sku_id, 1)

    results = await asyncio.gather(*(take_one() for _ in range(20)), return_exceptions=True)
    succeeded = [result for result in results if result is None]
    failed = [result for result in results if result is not None]
    assert len(succeeded) == 7
    assert len(failed) == 13
    assert all(isinstance(error, Conflict) and error.code == "out_of_stock" for error in failed)
    assert await _stock(client, product["id"]) == [0]


async def test_take_and_return_stock(client: httpx.AsyncClient, runtime: Runtime) -> None:
    merchant = await sign_up(client, "merchant")
    product = await create_product(client, merchant)
    sku_id = product["skus"][1]["id"]  # stock 5

    async with runtime.db.transaction() as session:
        sku = await catalog_service.get_sku(session, sku_id)
        assert sku.product.title == product["title"]
        await catalog_service.do_take_stock(session, sku_id, 5)
        assert sku.stock == 0  # a loaded SKU sees the new stock
    assert await _stock(client, product["id"]) == [10, 0]

    with pytest.raises(Conflict) as raised:
        async with runtime.db.transaction() as session:
            await catalog_service.do_take_stock(session, sku_id, 1)
    assert raised.value.code == "out_of_stock"

    async with runtime.db.transaction() as session:
        await catalog_service.do_return_stock(session, sku_id, 2)
    assert await _stock(client, product["id"]) == [10, 2]

    # A failure later in the unit of work gives the stock back with the rollback.
    async def take_then_fail() -> None:
        async with runtime.db.transaction() as session:
            await catalog_service.do_take_stock(session, sku_id, 2)
            raise RuntimeError("payment provider unreachable")

    with pytest.raises(RuntimeError):
        await take_then_fail()
    assert await _stock(client, product["id"]) == [10, 2]


async def test_stock_arguments_are_checked(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        with pytest.raises(ValidationFailed):
            await catalog_service.do_take_stock(session, "0" * 32, 0)
        with pytest.raises(Conflict):
            await catalog_service.do_take_stock(session, "0" * 32, 1)
        with pytest.raises(NotFound) as missing:
            await catalog_service.do_return_stock(session, "0" * 32, 1)
        assert missing.value.code == "sku_not_found"
        with pytest.raises(NotFound) as unknown:
            await catalog_service.get_sku(session, "0" * 32)
        assert unknown.value.code == "sku_not_found"
        with pytest.raises(NotFound) as no_product:
            await catalog_service.get_product(session, "0" * 32)
        assert no_product.value.code == "product_not_found"
