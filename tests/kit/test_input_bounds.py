"""Bounds, time zones, strict integers and clean text in request schemas: 422, never 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from livecommerce.kit.runtime import Runtime
from livecommerce.kit.types import Name, Paragraph, UtcDatetime, text_problem
from tests.catalog.helpers import make_admin
from tests.factories import sign_up
from tests.ledger.world import create_agency, create_offer, open_room
from tests.orders.shop import create_listing


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_failed"
    assert field in [error["field"] for error in body["details"]["errors"]], body


class _When(BaseModel):
    at: UtcDatetime


class _Texts(BaseModel):
    name: Name
    body: Paragraph = ""


def test_datetimes_need_an_offset_and_are_kept_in_utc() -> None:
    when = _When.model_validate({"at": "2026-05-01T20:00:00+08:00"})
    assert when.at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert when.at.tzinfo is UTC
    for naive in ("2026-05-01T20:00:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"):
        with pytest.raises(ValidationError):
            _When.model_validate({"at": naive})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a\x00b", "must not contain control characters"),
        ("a\x1bb", "must not contain control characters"),
        ("a\nb", "must not contain control characters"),
        ("evil\u202egpj.exe", "must not contain bidirectional override characters"),
        ("\u2066x\u2069", "must not contain bidirectional override characters"),
        ("\u200b\u200c\u200d\ufeff", "must not be blank"),
        ("好物 👨\u200d👩\u200d👧", None),
        ("Café 2", None),
    ],
)
def test_text_problems(value: str, problem: str | None) -> None:
    assert text_problem(value) == problem


def test_paragraphs_keep_new_lines_and_refuse_other_controls() -> None:
    assert _Texts.model_validate({"name": " 名 ", "body": "一\r\n二\t三"}).body == "一\n二\t三"
    for bad in ({"name": "\u200b"}, {"name": "x", "body": "a\x07"}):
        with pytest.raises(ValidationError):
            _Texts.model_validate(bad)


async def test_naive_and_out_of_range_datetimes_are_refused_in_offers_contracts_settlements(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    merchant = await sign_up(client, "merchant")
    listing = await create_listing(client, merchant=merchant)
    naive = await client.post(
        "/api/v1/mcn/offers",
        headers=merchant.headers,
        json={
            "product_id": listing.product_id,
            "commission_bp": 500,
            "starts_at": "2026-01-01T00:00:00",
        },
    )
    _refused(naive, "starts_at")
    offer = await create_offer(
        client, merchant, listing.product_id, ends_at="2099-01-01T08:00:00+08:00"
    )
    assert offer["ends_at"].startswith("2099-01-01T00:00:00")
    patched = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}",
        headers=merchant.headers,
        json={"ends_at": "2099-01-01T00:00:00"},
    )
    _refused(patched, "ends_at")
    far = await client.patch(
        f"/api/v1/mcn/offers/{offer['id']}",
        headers=merchant.headers,
        json={"ends_at": "9999-12-31T23:59:59-05:00"},
    )
    _refused(far, "ends_at")

    agency_admin, _agency_id = await create_agency(client)
    host = await sign_up(client, "host")
    contract = await client.post(
        "/api/v1/mcn/contracts",
        headers=agency_admin.headers,
        json={"host_id": host.id, "share_bp": 1000, "starts_at": "2026-01-01T00:00:00"},
    )
    _refused(contract, "starts_at")

    admin = await sign_up(client, "viewer")
    await make_admin(runtime, admin)
    settlement = await client.post(
        "/api/v1/ledger/settlements",
        headers=admin.headers,
        json={"period_end": "2026-01-01T00:00:00"},
    )
    _refused(settlement, "period_end")


async def test_unbounded_and_non_integer_numbers_are_refused(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    listing = await create_listing(client, merchant=merchant)
    offer = await create_offer(client, merchant, listing.product_id)
    host = await sign_up(client, "host")
    session_id = await open_room(client, host, [])
    huge = await client.post(
        f"/api/v1/mcn/offers/{offer['id']}/showcase",
        headers=host.headers,
        json={"session_id": session_id, "live_price_cents": 10**30},
    )
    _refused(huge, "live_price_cents")

    buyer = await sign_up(client, "viewer")
    for quantity in ("1", True, 1.0):
        order = await client.post(
            "/api/v1/orders",
            headers=buyer.headers,
            json={"sku_id": listing.sku_id, "quantity": quantity, "address_id": "x" * 32},
        )
        _refused(order, "quantity")
    price: Any
    for price in ("100", True, 2**63):
        product = await client.post(
            "/api/v1/products",
            headers=merchant.headers,
            json={"title": "好物", "skus": [{"price_cents": price, "stock": 1}]},
        )
        _refused(product, "skus.0.price_cents")


@pytest.mark.parametrize(
    "bad",
    ["bell\x07", "esc\x1b", "\u202egnp.exe", "\u200b\u200b", "   ", "tab\tname"],
)
async def test_names_and_titles_refuse_invisible_and_control_characters(
    client: httpx.AsyncClient, bad: str
) -> None:
    merchant = await sign_up(client, "merchant")
    product = await client.post("/api/v1/products", headers=merchant.headers, json={"title": bad})
    _refused(product, "title")
    host = await sign_up(client, "host")
    room = await client.post("/api/v1/rooms", headers=host.headers, json={"name": bad})
    _refused(room, "name")
    signup = await client.post(
        "/api/v1/auth/signup",
        json={"email": "x@example.com", "password": "long enough", "display_name": bad},
    )
    _refused(signup, "display_name")


async def test_a_nul_in_a_name_is_refused_before_validation(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    product = await client.post(
        "/api/v1/products", headers=merchant.headers, json={"title": "nul\x00name"}
    )
    assert (product.status_code, product.json()["code"]) == (400, "null_character")
