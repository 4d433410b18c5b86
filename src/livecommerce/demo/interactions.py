"""Demo room interactions: a room coupon to claim and a lucky-bag lottery counting down."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import utcnow


async def seed_interactions(http: httpx.AsyncClient, host_token: str, session_id: str) -> None:
    host = {"Authorization": f"Bearer {host_token}"}
    issued = (await http.get("/api/v1/coupons/issued", headers=host)).json().get("items", [])
    coupon = next((item for item in issued if item["audience"] == "room"), None)
    if coupon is None:
        response = await http.post(
            "/api/v1/coupons",
            headers=host,
            json={
                "title": "直播间专享 满50减10",
                "audience": "room",
                "discount_kind": "amount",
                "amount_off_cents": 1000,
                "min_spend_cents": 5000,
                "currency": "CNY",
                "ends_at": (utcnow() + timedelta(days=30)).isoformat(),
                "total_limit": 500,
                "per_user_limit": 1,
            },
        )
        if response.status_code != 201:
            return
        coupon = response.json()
    if coupon.get("dropped_at") is None:  # handed out in the room, so viewers can claim it
        await http.post(
            f"/api/v1/live-sessions/{session_id}/coupons/{coupon['id']}/drop", headers=host
        )
    lotteries = (await http.get(f"/api/v1/live-sessions/{session_id}/lotteries")).json()
    if any(item["status"] == "open" for item in lotteries.get("items", [])):
        return
    await http.post(
        f"/api/v1/live-sessions/{session_id}/lotteries",
        headers=host,
        json={
            "title": "福袋：关注并发送「想要」",
            "prize_kind": "coupon",
            "prize_coupon_id": coupon["id"],
            "winners": 3,
            "countdown_s": 600,
            "conditions": {"follow": True, "keyword": "想要"},
        },
    )
