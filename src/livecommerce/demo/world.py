"""What the demo seeders share: the demo products, accounts' password, the world they
build and the small HTTP helpers they build it with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from livecommerce.accounts.service import account_service
from livecommerce.kit.runtime import Runtime
from livecommerce.models import Role

DEMO_PASSWORD = "demo-pass-123"

DEMO_PRODUCTS: list[dict[str, Any]] = [
    {
        "title": "明前龙井 250g 礼盒",
        "description": "西湖产区明前头采，豆香浓郁。直播间专享价。",
        "category": "茶叶",
        "colour": (46, 125, 50),
        "live_prices": [12900, 25900],  # per SKU, in the order of "skus"; None: catalog
        "skus": [
            {"spec": {"规格": "250g 礼盒"}, "price_cents": 16800, "stock": 800},
            {"spec": {"规格": "500g 家庭装"}, "price_cents": 29800, "stock": 400},
        ],
    },
    {
        "title": "手工紫砂壶 西施",
        "description": "宜兴原矿紫泥，容量 220ml。",
        "category": "茶具",
        "colour": (141, 73, 37),
        "live_prices": None,
        "skus": [
            {"spec": {"泥料": "紫泥"}, "price_cents": 35900, "stock": 120},
            {"spec": {"泥料": "朱泥"}, "price_cents": 39900, "stock": 80},
        ],
    },
    {
        "title": "冻干柠檬片 12 袋",
        "description": "独立小包装，泡水即饮。",
        "category": "食品",
        "colour": (249, 168, 37),
        "live_prices": [2990],
        "skus": [{"spec": {"口味": "原味"}, "price_cents": 3990, "stock": 2000}],
    },
    {
        "title": "速干防晒衣 UPF50+",
        "description": "轻薄透气，户外通勤两用。",
        "category": "服饰",
        "colour": (21, 101, 192),
        "live_prices": [8900, 8900, 8900],
        "skus": [
            {"spec": {"颜色": "雾蓝", "尺码": "M"}, "price_cents": 12900, "stock": 300},
            {"spec": {"颜色": "雾蓝", "尺码": "L"}, "price_cents": 12900, "stock": 300},
            {"spec": {"颜色": "奶白", "尺码": "M"}, "price_cents": 12900, "stock": 300},
        ],
    },
]


@dataclass
class DemoWorld:
    session_id: str
    room_id: str
    tokens: dict[str, str] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)
    showcase_item_ids: list[str] = field(default_factory=list)
    upcoming_session_id: str = ""
    share_url: str = ""  # the demo viewer's share link to the live session


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"demo seeding failed: {response.request.method} {response.request.url.path} "
            f"→ {response.status_code} {response.text}"
        )
    return response.json() if response.content else None


async def ensure_account(
    runtime: Runtime, email: str, display_name: str, role: Role, password: str = DEMO_PASSWORD
) -> None:
    async with runtime.db.transaction() as session:
        if await account_service.find_user_by_email(session, email) is None:
            await account_service.do_sign_up(
                session, email=email, password=password, display_name=display_name, role=role
            )


async def api_token(http: httpx.AsyncClient, email: str, password: str = DEMO_PASSWORD) -> str:
    body = _check(
        await http.post("/api/v1/auth/token", json={"email": email, "password": password})
    )
    token: str = body["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
