from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.kit.errors import Conflict
from livecommerce.kit.http import DbSession
from livecommerce.kit.runtime import Runtime
from livecommerce.live.service import effective_price, live_service
from livecommerce.models import PinEvent, ShowcaseItem, Sku
from tests.catalog.helpers import create_product, image_bytes, upload
from tests.factories import Account, link_staff, sign_up
from tests.live.helpers import ChannelListener, create_room, schedule, start


async def _setup(client: httpx.AsyncClient) -> tuple[Account, Account, dict[str, Any]]:
    """A host that is a merchant's staff, and a scheduled session of its room."""
    host = await sign_up(client, "host")
    merchant = await sign_up(client, "merchant")
    await link_staff(client, merchant, host)
    room = await create_room(client, host)
    live_session = await schedule(client, host, room["id"])
    return host, merchant, live_session


async def _add(
    client: httpx.AsyncClient, host: Account, session_id: str, product_id: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/live-sessions/{session_id}/showcase",
        json={"product_id": product_id, **extra},
        headers=host.headers,
    )


def _prices(product: dict[str, Any], *cents: int) -> list[dict[str, Any]]:
    """Live prices for the product's first SKUs, in order."""
    return [
        {"sku_id": sku["id"], "live_price_cents": price}
        for sku, price in zip(product["skus"], cents, strict=False)
    ]


async def test_staff_host_puts_the_merchants_product_in_the_showcase(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, merchant, live_session = await _setup(client)
    product = await create_product(client, merchant, title="羊绒围巾")
    image = (
        await upload(client, f"/api/v1/products/{product['id']}/images", merchant, image_bytes())
    ).json()

    async with ChannelListener(runtime, live_session["id"]) as listener:
        response = await _add(
            client,
            host,
            live_session["id"],
            product["id"],
            live_prices=_prices(product, 15900, 17900),
        )
        assert response.status_code == 201, response.text
        item = response.json()
        assert item == {
            "id": item["id"],
            "session_id": live_session["id"],
            "product_id": product["id"],
            "title": "羊绒围巾",
            "image_url": image["url"],
            "currency": "CNY",
            "live_price_cents": 15900,
            "price_cents": 15900,
            "skus": [
                {
                    "id": product["skus"][0]["id"],
                    "spec": {"colour": "红", "size": "M"},
                    "price_cents": 15900,
                    "list_price_cents": 19900,
                    "live_price_cents": 15900,
                    "stock": 10,
                },
                {
                    "id": product["skus"][1]["id"],
                    "spec": {"colour": "红", "size": "L"},
                    "price_cents": 17900,
                    "list_price_cents": 20900,
                    "live_price_cents": 17900,
                    "stock": 5,
                },
            ],
            "position": 0,
        }
        messages = await listener.wait_for(1)
    assert messages == [{"type": "showcase", "items": [item]}]

    detail = (await client.get(f"/api/v1/live-sessions/{live_session['id']}")).json()
    assert detail["showcase"] == [item]
    showcase = (await client.get(f"/api/v1/live-sessions/{live_session['id']}/showcase")).json()
    assert showcase == {"items": [item]}

    async with runtime.db.transaction() as session:
        found = await live_service.get_showcase_item_for_product(
            session, live_session["id"], product["id"]
        )
        assert found is not None
        assert found.id == item["id"]
        sku = await session.get(Sku, product["skus"][1]["id"])
        assert sku is not None
        assert effective_price(found, sku) == 17900
        assert live_service.effective_price(None, sku) == 20900
        assert (
            await live_service.get_showcase_item_for_product(session, live_session["id"], "0" * 32)
            is None
        )


async def test_catalog_prices_when_no_live_price(client: httpx.AsyncClient) -> None:
    host, merchant, live_session = await _setup(client)
    product = await create_product(client, merchant)
    item = (await _add(client, host, live_session["id"], product["id"])).json()
    assert item["live_price_cents"] is None
    assert item["price_cents"] == 19900
    assert [sku["price_cents"] for sku in item["skus"]] == [19900, 20900]
    assert item["image_url"] is None

    url = f"/api/v1/live-sessions/{live_session['id']}/showcase/{item['id']}"
    # One price for every SKU of a multi-SKU product is refused: prices are per SKU.
    single = await client.patch(url, json={"live_price_cents": 9900}, headers=host.headers)
    assert (single.status_code, single.json()["code"]) == (422, "live_price_per_sku")
    cleared = await client.patch(
        url, json={"live_prices": _prices(product, 9900)}, headers=host.headers
    )
    assert cleared.status_code == 200
    assert (cleared.json()["price_cents"], cleared.json()["live_price_cents"]) == (9900, 9900)
    assert [sku["price_cents"] for sku in cleared.json()["skus"]] == [9900, 20900]
    back = await client.patch(
        f"/api/v1/live-sessions/{live_session['id']}/showcase/{item['id']}",
        json={"live_price_cents": None},
        headers=host.headers,
    )
    assert back.json()["price_cents"] == 19900


async def test_showcase_rules(client: httpx.AsyncClient) -> None:
    host, merchant, live_session = await _setup(client)
    on_sale = await create_product(client, merchant)
    draft = await create_product(client, merchant, status="draft")
    off = await create_product(client, merchant, status="off_sale")
    session_id = live_session["id"]

    for product in (draft, off):
        response = await _add(client, host, session_id, product["id"])
        assert response.status_code == 409
        assert response.json()["code"] == "product_not_on_sale"
    unknown = await _add(client, host, session_id, "0" * 32)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "product_not_found"
    for price in (0, -100):
        response = await _add(client, host, session_id, on_sale["id"], live_price_cents=price)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"
    assert (await _add(client, host, session_id, on_sale["id"])).status_code == 201
    duplicate = await _add(client, host, session_id, on_sale["id"])
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "already_in_showcase"

    await start(client, host, session_id)
    await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host.headers)
    another = await create_product(client, merchant, title="另一件")
    after_end = await _add(client, host, session_id, another["id"])
    assert after_end.status_code == 409
    assert after_end.json()["code"] == "invalid_session_state"


async def test_reorder_and_remove(client: httpx.AsyncClient, runtime: Runtime) -> None:
    host, merchant, live_session = await _setup(client)
    session_id = live_session["id"]
    products = [await create_product(client, merchant, title=f"商品{i}") for i in range(3)]
    items = [(await _add(client, host, session_id, p["id"])).json() for p in products]
    assert [item["position"] for item in items] == [0, 1, 2]
    order_url = f"/api/v1/live-sessions/{session_id}/showcase/order"

    new_order = [items[2]["id"], items[0]["id"], items[1]["id"]]
    async with ChannelListener(runtime, session_id) as listener:
        reordered = await client.put(order_url, json={"item_ids": new_order}, headers=host.headers)
        assert reordered.status_code == 200
        body = reordered.json()
        assert [item["id"] for item in body["items"]] == new_order
        assert [item["position"] for item in body["items"]] == [0, 1, 2]
        messages = await listener.wait_for(1)
    assert messages == [{"type": "showcase", "items": body["items"]}]

    for bad in (new_order[:2], [*new_order, new_order[0]], [*new_order[:2], "0" * 32]):
        response = await client.put(order_url, json={"item_ids": bad}, headers=host.headers)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_showcase_order"

    removed = await client.delete(
        f"/api/v1/live-sessions/{session_id}/showcase/{items[0]['id']}", headers=host.headers
    )
    assert removed.status_code == 204
    showcase = (await client.get(f"/api/v1/live-sessions/{session_id}/showcase")).json()
    assert [item["id"] for item in showcase["items"]] == [items[2]["id"], items[1]["id"]]
    missing = await client.delete(
        f"/api/v1/live-sessions/{session_id}/showcase/{items[0]['id']}", headers=host.headers
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "showcase_item_not_found"


async def test_another_host_cannot_change_showcase_or_pin(client: httpx.AsyncClient) -> None:
    host, merchant, live_session = await _setup(client)
    other = await sign_up(client, "host")
    session_id = live_session["id"]
    product = await create_product(client, merchant)
    item = (await _add(client, host, session_id, product["id"])).json()
    await start(client, host, session_id)
    base = f"/api/v1/live-sessions/{session_id}"
    attempts = [
        client.post(f"{base}/showcase", json={"product_id": product["id"]}, headers=other.headers),
        client.patch(
            f"{base}/showcase/{item['id']}", json={"live_price_cents": 1}, headers=other.headers
        ),
        client.delete(f"{base}/showcase/{item['id']}", headers=other.headers),
        client.put(
            f"{base}/showcase/order", json={"item_ids": [item["id"]]}, headers=other.headers
        ),
        client.post(f"{base}/pin", json={"item_id": item["id"]}, headers=other.headers),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "not_room_host"
    detail = (await client.get(base)).json()
    assert detail["showcase"] == [item]
    assert detail["pinned"] is None


async def _pin_events(runtime: Runtime, session_id: str) -> list[str | None]:
    async with runtime.db.transaction() as session:
        result = await session.execute(
            select(PinEvent.showcase_item_id)
            .where(PinEvent.session_id == session_id)
            .order_by(PinEvent.at, PinEvent.id)
        )
        return list(result.scalars())


async def test_pin_publishes_and_records(client: httpx.AsyncClient, runtime: Runtime) -> None:
    host, merchant, live_session = await _setup(client)
    session_id = live_session["id"]
    product = await create_product(client, merchant, title="爆款保温杯")
    item = (
        await _add(
            client, host, session_id, product["id"], live_prices=_prices(product, 4900, 4900)
        )
    ).json()
    pin_url = f"/api/v1/live-sessions/{session_id}/pin"

    not_live = await client.post(pin_url, json={"item_id": item["id"]}, headers=host.headers)
    assert not_live.status_code == 409
    assert not_live.json()["code"] == "invalid_session_state"
    await start(client, host, session_id)

    async with ChannelListener(runtime, session_id) as listener:
        pinned = await client.post(pin_url, json={"item_id": item["id"]}, headers=host.headers)
        assert pinned.status_code == 200
        assert pinned.json() == {"item": item}
        messages = await listener.wait_for(1)
        assert messages == [
            {
                "type": "pinned",
                "item": {
                    "id": item["id"],
                    "session_id": session_id,
                    "product_id": product["id"],
                    "title": "爆款保温杯",
                    "image_url": None,
                    "currency": "CNY",
                    "live_price_cents": 4900,
                    "price_cents": 4900,
                    "skus": [
                        {
                            "id": product["skus"][0]["id"],
                            "spec": {"colour": "红", "size": "M"},
                            "price_cents": 4900,
                            "list_price_cents": 19900,
                            "live_price_cents": 4900,
                            "stock": 10,
                        },
                        {
                            "id": product["skus"][1]["id"],
                            "spec": {"colour": "红", "size": "L"},
                            "price_cents": 4900,
                            "list_price_cents": 20900,
                            "live_price_cents": 4900,
                            "stock": 5,
                        },
                    ],
                    "position": 0,
                },
            }
        ]
        detail = (await client.get(f"/api/v1/live-sessions/{session_id}")).json()
        assert detail["pinned"] == item

        unpinned = await client.post(pin_url, json={"item_id": None}, headers=host.headers)
        assert unpinned.json() == {"item": None}
        await listener.wait_for(2)
        assert listener.messages[1] == {"type": "pinned", "item": None}
        # Unpinning when nothing is pinned records and announces nothing.
        assert (
            await client.post(pin_url, json={"item_id": None}, headers=host.headers)
        ).json() == {"item": None}

    assert await _pin_events(runtime, session_id) == [item["id"], None]
    unknown = await client.post(pin_url, json={"item_id": "0" * 32}, headers=host.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "showcase_item_not_found"


async def test_removing_the_pinned_item_unpins_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host, merchant, live_session = await _setup(client)
    session_id = live_session["id"]
    product = await create_product(client, merchant)
    item = (await _add(client, host, session_id, product["id"])).json()
    await start(client, host, session_id)
    await client.post(
        f"/api/v1/live-sessions/{session_id}/pin",
        json={"item_id": item["id"]},
        headers=host.headers,
    )
    async with ChannelListener(runtime, session_id) as listener:
        removed = await client.delete(
            f"/api/v1/live-sessions/{session_id}/showcase/{item['id']}", headers=host.headers
        )
        assert removed.status_code == 204
        messages = await listener.wait_for(2)
    assert messages == [{"type": "pinned", "item": None}, {"type": "showcase", "items": []}]
    assert (await client.get(f"/api/v1/live-sessions/{session_id}")).json()["pinned"] is None
    assert await _pin_events(runtime, session_id) == [item["id"], None]


async def test_pin_in_another_sessions_showcase_is_404(client: httpx.AsyncClient) -> None:
    host, merchant, live_session = await _setup(client)
    product = await create_product(client, merchant)
    other_session = await schedule(client, host, live_session["room_id"], title="下一场")
    foreign = (await _add(client, host, other_session["id"], product["id"])).json()
    await start(client, host, live_session["id"])
    response = await client.post(
        f"/api/v1/live-sessions/{live_session['id']}/pin",
        json={"item_id": foreign["id"]},
        headers=host.headers,
    )
    assert response.status_code == 404
    assert response.json()["code"] == "showcase_item_not_found"


async def test_rolled_back_request_publishes_nothing(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A request that fails after pinning rolls back the pin and announces nothing."""

    async def pin_then_fail(
        session_id: str, item_id: str, user: CurrentUser, session: DbSession
    ) -> None:
        await live_service.do_pin(session, user, session_id, item_id)
        raise Conflict("The request failed after pinning.", code="late_failure")

    app.add_api_route("/test/pin-then-fail/{session_id}/{item_id}", pin_then_fail, methods=["POST"])

    host, merchant, live_session = await _setup(client)
    session_id = live_session["id"]
    first = (
        await _add(client, host, session_id, (await create_product(client, merchant))["id"])
    ).json()
    second = (
        await _add(
            client, host, session_id, (await create_product(client, merchant, title="二号"))["id"]
        )
    ).json()
    await start(client, host, session_id)

    async with ChannelListener(runtime, session_id) as listener:
        failed = await client.post(
            f"/test/pin-then-fail/{session_id}/{first['id']}", headers=host.headers
        )
        assert failed.status_code == 409
        assert failed.json()["code"] == "late_failure"
        # A later, successful pin is the first and only message on the channel.
        ok = await client.post(
            f"/api/v1/live-sessions/{session_id}/pin",
            json={"item_id": second["id"]},
            headers=host.headers,
        )
        assert ok.status_code == 200
        await listener.wait_for(1)
        assert listener.messages == [{"type": "pinned", "item": second}]

    assert await _pin_events(runtime, session_id) == [second["id"]]
    assert (await client.get(f"/api/v1/live-sessions/{session_id}")).json()["pinned"] == second
    async with runtime.db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ShowcaseItem)
            .where(ShowcaseItem.session_id == session_id)
        )
    assert count == 2
