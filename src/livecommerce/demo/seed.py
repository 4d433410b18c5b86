"""Demo data, created through the public API the way a merchant and a host would.

Seeding is idempotent: run the demo twice on the same database and it reuses the
accounts, products and live session it made the first time.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
from PIL import Image, ImageDraw

from livecommerce.demo.fans import CATCHPHRASES, seed_fans
from livecommerce.demo.interactions import seed_interactions
from livecommerce.demo.partners import close_demo_period, publish_offers, seed_partners
from livecommerce.demo.team import seed_team
from livecommerce.demo.traffic import seed_feed_hosts
from livecommerce.demo.videos import seed_videos
from livecommerce.demo.world import (
    DEMO_PRODUCTS,
    DemoWorld,
    _check,
    api_token,
    bearer,
    ensure_account,
)
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

DEMO_ACCOUNTS: dict[str, tuple[str, str, Role]] = {
    "viewer": ("viewer@demo.livecommerce.local", "小雨", Role.VIEWER),
    "host": ("host@demo.livecommerce.local", "主播小李", Role.HOST),
    "merchant": ("merchant@demo.livecommerce.local", "山野茶铺", Role.MERCHANT),
    "admin": ("admin@demo.livecommerce.local", "平台管理员", Role.PLATFORM_ADMIN),
}


def demo_image(colour: tuple[int, int, int], size: int = 480) -> bytes:
    """A simple product picture: a tinted card with a few shapes (no fonts needed)."""
    image = Image.new("RGB", (size, size), (250, 247, 242))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (size // 8, size // 8, size * 7 // 8, size * 7 // 8), radius=size // 10, fill=colour
    )
    light = tuple(min(255, channel + 70) for channel in colour)
    draw.ellipse((size // 3, size // 3, size * 2 // 3, size * 2 // 3), fill=light)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def _seed_products(http: httpx.AsyncClient, merchant: dict[str, str]) -> list[str]:
    existing = _check(await http.get("/api/v1/products", params={"mine": "true"}, headers=merchant))
    by_title = {product["title"]: product["id"] for product in existing["items"]}
    product_ids: list[str] = []
    for spec in DEMO_PRODUCTS:
        product_id = by_title.get(spec["title"])
        if product_id is None:
            created = _check(
                await http.post(
                    "/api/v1/products",
                    headers=merchant,
                    json={
                        "title": spec["title"],
                        "description": spec["description"],
                        "category": spec["category"],
                        "currency": "CNY",
                        "status": "on_sale",
                        "skus": spec["skus"],
                    },
                )
            )
            product_id = created["id"]
            _check(
                await http.post(
                    f"/api/v1/products/{product_id}/images",
                    headers=merchant,
                    files={"file": ("product.png", demo_image(spec["colour"]), "image/png")},
                )
            )
        product_ids.append(product_id)
    return product_ids


async def _seed_room(http: httpx.AsyncClient, host: dict[str, str]) -> str:
    mine = await http.get("/api/v1/rooms/mine", headers=host)
    if mine.status_code == 200:
        room_id: str = mine.json()["id"]
        return room_id
    room = _check(
        await http.post(
            "/api/v1/rooms",
            headers=host,
            json={
                "name": "小李的茶与生活",
                "bio": "十年茶人，只推荐自己喝过的好茶。每晚 8 点不见不散。",
                "tags": ["茶叶", "生活方式", "源头好物"],
                "catchphrases": CATCHPHRASES,
            },
        )
    )
    room_id = room["id"]
    _check(
        await http.post(
            f"/api/v1/rooms/{room_id}/avatar",
            headers=host,
            files={"file": ("avatar.png", demo_image((194, 24, 91), 256), "image/png")},
        )
    )
    return room_id


async def _seed_sessions(
    http: httpx.AsyncClient, host: dict[str, str], room_id: str, product_ids: list[str]
) -> tuple[str, list[str]]:
    live = _check(await http.get("/api/v1/live-sessions", params={"status": "live"}))
    for item in live["items"]:
        if item["room_id"] == room_id:
            detail = _check(await http.get(f"/api/v1/live-sessions/{item['id']}"))
            return item["id"], [entry["id"] for entry in detail["showcase"]]
    now = utcnow()
    session = _check(
        await http.post(
            f"/api/v1/rooms/{room_id}/sessions",
            headers=host,
            json={"title": "源头茶园直发 · 今晚福利专场", "planned_start_at": now.isoformat()},
        )
    )
    session_id: str = session["id"]
    _check(
        await http.post(
            f"/api/v1/live-sessions/{session_id}/cover",
            headers=host,
            files={"file": ("cover.png", demo_image((56, 142, 60), 640), "image/png")},
        )
    )
    item_ids: list[str] = []
    for product_id, spec in zip(product_ids, DEMO_PRODUCTS, strict=True):
        body: dict[str, Any] = {"product_id": product_id}
        if spec["live_prices"] is not None:
            product = _check(await http.get(f"/api/v1/products/{product_id}"))
            body["live_prices"] = [
                {"sku_id": sku["id"], "live_price_cents": cents}
                for sku, cents in zip(product["skus"], spec["live_prices"], strict=True)
            ]
        item = _check(
            await http.post(f"/api/v1/live-sessions/{session_id}/showcase", headers=host, json=body)
        )
        item_ids.append(item["id"])
    _check(await http.post(f"/api/v1/live-sessions/{session_id}/start", headers=host))
    _check(
        await http.post(
            f"/api/v1/live-sessions/{session_id}/pin", headers=host, json={"item_id": item_ids[0]}
        )
    )
    return session_id, item_ids


async def _seed_upcoming(
    http: httpx.AsyncClient,
    host: dict[str, str],
    viewer: dict[str, str],
    room_id: str,
    product_ids: list[str],
) -> str:
    """The room's next session, a quarter of an hour away, reserved by the demo viewer: its
    reminder arrives (in the inbox and by e-mail) ten minutes before it is due, and again
    when the host goes live with it. Its showcase holds the room's products, so the host
    can invite the session's likeliest viewers from the audiences page."""
    upcoming = _check(
        await http.get(
            f"/api/v1/rooms/{room_id}/sessions", params={"status": "scheduled", "limit": 1}
        )
    )
    if upcoming["items"]:
        session_id: str = upcoming["items"][0]["id"]
    else:
        planned = utcnow() + timedelta(minutes=15)
        session = _check(
            await http.post(
                f"/api/v1/rooms/{room_id}/sessions",
                headers=host,
                json={"title": "茶具上新 · 预告专场", "planned_start_at": planned.isoformat()},
            )
        )
        session_id = session["id"]
        for product_id in product_ids:
            _check(
                await http.post(
                    f"/api/v1/live-sessions/{session_id}/showcase",
                    headers=host,
                    json={"product_id": product_id},
                )
            )
    _check(await http.post(f"/api/v1/live-sessions/{session_id}/reservation", headers=viewer))
    return session_id


async def ensure_address(http: httpx.AsyncClient, headers: dict[str, str], name: str) -> None:
    existing = _check(await http.get("/api/v1/addresses", headers=headers))
    if existing["items"]:
        return
    _check(
        await http.post(
            "/api/v1/addresses",
            headers=headers,
            json={
                "recipient": name,
                "phone": "13800000000",
                "region": "浙江省 杭州市 西湖区",
                "line1": "龙井路 1 号",
                "postal_code": "310000",
            },
        )
    )


async def seed_demo(http: httpx.AsyncClient, runtime: Runtime) -> DemoWorld:
    tokens: dict[str, str] = {}
    logins: dict[str, str] = {}
    for role, (email, name, account_role) in DEMO_ACCOUNTS.items():
        await ensure_account(runtime, email, name, account_role)
        tokens[role] = await api_token(http, email)
        logins[role] = email
    merchant = bearer(tokens["merchant"])
    host = bearer(tokens["host"])
    product_ids = await _seed_products(http, merchant)
    # The host sells the merchant's products through its offers (with their price floors).
    await publish_offers(http, merchant, host, product_ids)
    room_id = await _seed_room(http, host)
    session_id, item_ids = await _seed_sessions(http, host, room_id, product_ids)
    await ensure_address(http, bearer(tokens["viewer"]), DEMO_ACCOUNTS["viewer"][1])
    upcoming_id = await _seed_upcoming(http, host, bearer(tokens["viewer"]), room_id, product_ids)
    world = DemoWorld(
        session_id=session_id,
        upcoming_session_id=upcoming_id,
        room_id=room_id,
        tokens=tokens,
        logins=logins,
        showcase_item_ids=item_ids,
    )
    await seed_partners(http, runtime, world)
    await seed_interactions(http, tokens["host"], session_id)
    await seed_fans(http, runtime, world)
    await seed_team(http, runtime, world)
    await seed_feed_hosts(http, runtime, tokens["viewer"])
    await seed_videos(http, runtime, world, product_ids)
    await close_demo_period(http, world)
    return world
