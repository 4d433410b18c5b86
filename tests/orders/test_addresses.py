from __future__ import annotations

from typing import Any

import httpx

from livecommerce.kit.runtime import Runtime
from livecommerce.orders.service import order_service
from tests.factories import sign_up
from tests.orders.shop import add_address


async def _list(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get("/api/v1/addresses", headers=headers)
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_first_address_is_default_and_another_default_replaces_it(
    client: httpx.AsyncClient,
) -> None:
    buyer = await sign_up(client)
    first = await add_address(client, buyer, "张三")
    assert first["is_default"] is True
    assert first["recipient"] == "张三"
    assert first["region"] == "浙江省 杭州市 西湖区"
    assert first["postal_code"] == "310000"
    second = await add_address(client, buyer, "李四")
    assert second["is_default"] is False

    response = await client.patch(
        f"/api/v1/addresses/{second['id']}", headers=buyer.headers, json={"is_default": True}
    )
    assert response.status_code == 200
    assert response.json()["is_default"] is True
    items = await _list(client, buyer.headers)
    assert [(item["id"], item["is_default"]) for item in items] == [
        (second["id"], True),
        (first["id"], False),
    ]

    third = await add_address(client, buyer, "王五", is_default=True)
    assert third["is_default"] is True
    items = await _list(client, buyer.headers)
    assert [item["id"] for item in items if item["is_default"]] == [third["id"]]
    assert len(items) == 3


async def test_patch_changes_fields_and_default_cannot_be_unset(client: httpx.AsyncClient) -> None:
    buyer = await sign_up(client)
    address = await add_address(client, buyer)
    response = await client.patch(
        f"/api/v1/addresses/{address['id']}",
        headers=buyer.headers,
        json={"line1": "  文三路 90 号 ", "phone": "13900000000"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["line1"] == "文三路 90 号"
    assert body["phone"] == "13900000000"
    assert body["recipient"] == "张三"
    assert body["is_default"] is True

    response = await client.patch(
        f"/api/v1/addresses/{address['id']}", headers=buyer.headers, json={"is_default": False}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "default_address_required"


async def test_deleting_the_default_promotes_the_newest(client: httpx.AsyncClient) -> None:
    buyer = await sign_up(client)
    first = await add_address(client, buyer, "A")
    second = await add_address(client, buyer, "B")
    third = await add_address(client, buyer, "C")
    response = await client.delete(f"/api/v1/addresses/{first['id']}", headers=buyer.headers)
    assert response.status_code == 204
    items = await _list(client, buyer.headers)
    assert [(item["id"], item["is_default"]) for item in items] == [
        (third["id"], True),
        (second["id"], False),
    ]
    response = await client.delete(f"/api/v1/addresses/{second['id']}", headers=buyer.headers)
    assert response.status_code == 204
    assert [item["id"] for item in await _list(client, buyer.headers)] == [third["id"]]
    response = await client.delete(f"/api/v1/addresses/{third['id']}", headers=buyer.headers)
    assert response.status_code == 204
    assert await _list(client, buyer.headers) == []
    # The next one is the default again.
    assert (await add_address(client, buyer, "D"))["is_default"] is True


async def test_addresses_are_private(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    other = await sign_up(client)
    address = await add_address(client, owner)
    assert await _list(client, other.headers) == []
    patch = await client.patch(
        f"/api/v1/addresses/{address['id']}", headers=other.headers, json={"line1": "x"}
    )
    assert patch.status_code == 404
    assert patch.json()["code"] == "address_not_found"
    delete = await client.delete(f"/api/v1/addresses/{address['id']}", headers=other.headers)
    assert delete.status_code == 404
    assert delete.json()["code"] == "address_not_found"
    assert len(await _list(client, owner.headers)) == 1


async def test_address_validation_and_sign_in(client: httpx.AsyncClient) -> None:
    buyer = await sign_up(client)
    response = await client.post(
        "/api/v1/addresses",
        headers=buyer.headers,
        json={"recipient": "   ", "phone": "138", "region": "x", "line1": "y"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert "recipient" in response.json()["message"]
    anonymous = await client.get("/api/v1/addresses")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


async def test_many_callers_are_read_with_their_default_addresses_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The flash sale's read of the callers of a moment: each live token with its user
    and that user's default address (None without one); unknown tokens left out; the
    answer is the same whether the tokens are read alone or together."""
    first = await sign_up(client, "viewer")
    await add_address(client, first, recipient="甲")
    second = await sign_up(client, "viewer")
    homeless = await sign_up(client, "viewer")
    await add_address(client, second, recipient="乙一")
    await add_address(client, second, recipient="乙二", is_default=True)
    tokens = [first.token, second.token, homeless.token, "nobody-holds-this"]

    def plain(found: dict[str, Any]) -> dict[str, Any]:
        return {
            token: (user.id, None if address is None else address.recipient)
            for token, (_expires, user, address) in found.items()
        }

    async with runtime.db.reading() as session:
        together = plain(await order_service.read_callers_with_default_address(session, tokens))
        alone: dict[str, Any] = {}
        for token in tokens:
            alone |= plain(await order_service.read_callers_with_default_address(session, [token]))
        none = await order_service.read_callers_with_default_address(session, [])
    assert together == {
        first.token: (first.id, "甲"),
        second.token: (second.id, "乙二"),
        homeless.token: (homeless.id, None),
    }
    assert alone == together
    assert none == {}
