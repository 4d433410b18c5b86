"""The host's team: every action of every role, allowed and refused, in its own room
and in another; the audit log of what each member did; removal takes effect at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from livecommerce.kit.runtime import Runtime
from tests.factories import Account, link_staff, sign_up
from tests.fans.helpers import chat
from tests.orders.shop import (
    Listing,
    Stage,
    buyer_with_address,
    create_listing,
    open_stage,
    pay,
    place_order,
)
from tests.team.helpers import hire

Action = Callable[[Account], Awaitable[httpx.Response]]

# What each role may do (True) in its room; every other cell is refused.
ALLOWED = {
    "moderator": {"delete_chat", "mute", "pin", "flash_sale", "lottery", "coupon", "answer"},
    "service": {"room_orders", "answer", "message_buyer", "refund_request"},
    "selection": {"showcase", "marketplace", "sample_request"},
}
HOST_ONLY = {"edit_session", "fan_message", "team"}


async def _actions(
    client: httpx.AsyncClient,
    runtime: Runtime,
    stage: Stage,
    viewer: Account,
    listing: Listing,
    spare: Listing,
    sold: Listing,
) -> dict[str, Callable[[], Awaitable[Action]]]:
    """Each action as a factory: a fresh target, then the request as ``actor``."""
    sid, rid = stage.session_id, stage.room_id
    buyer, address_id = await buyer_with_address(client, "买家")

    async def paid_order() -> str:
        order = await place_order(client, buyer, address_id, sold, session_id=sid)
        await pay(client, buyer, order["id"])
        return str(order["id"])

    first_order = await paid_order()
    showcase = (await client.get(f"/api/v1/live-sessions/{sid}/showcase")).json()["items"]
    product_id, sku_id = listing.product_id, listing.sku_id

    async def delete_chat() -> Action:
        message_id = await chat(runtime, viewer, sid, "广告广告")
        return lambda actor: client.delete(
            f"/api/v1/live-sessions/{sid}/chat/{message_id}", headers=actor.headers
        )

    async def mute() -> Action:
        return lambda actor: client.post(
            f"/api/v1/rooms/{rid}/mutes", json={"user_id": viewer.id}, headers=actor.headers
        )

    async def pin() -> Action:
        item_id = showcase[0]["id"]
        return lambda actor: client.post(
            f"/api/v1/live-sessions/{sid}/pin", json={"item_id": item_id}, headers=actor.headers
        )

    async def flash_sale() -> Action:
        body = {
            "product_id": product_id,
            "sku_id": sku_id,
            "price_cents": 990,
            "units": 1,
            "per_buyer_limit": 1,
            "starts_in_s": 0,
            "duration_s": 300,
        }
        return lambda actor: client.post(
            f"/api/v1/live-sessions/{sid}/flash-sales", json=body, headers=actor.headers
        )

    async def lottery() -> Action:
        body = {"title": "福袋", "prize_kind": "product", "winners": 1, "countdown_s": 60}
        body["prize_sku_id"] = sku_id
        return lambda actor: client.post(
            f"/api/v1/live-sessions/{sid}/lotteries", json=body, headers=actor.headers
        )

    async def coupon() -> Action:
        issued = await client.post(
            "/api/v1/coupons",
            headers=stage.host.headers,
            json={
                "title": "直播间券",
                "audience": "room",
                "discount_kind": "amount",
                "amount_off_cents": 500,
                "min_spend_cents": 0,
                "ends_at": "2099-01-01T00:00:00Z",
                "total_limit": 10,
            },
        )
        assert issued.status_code == 201, issued.text
        coupon_id = issued.json()["id"]
        return lambda actor: client.post(
            f"/api/v1/live-sessions/{sid}/coupons/{coupon_id}/drop", headers=actor.headers
        )

    async def answer() -> Action:
        asked = await client.post(
            f"/api/v1/live-sessions/{sid}/questions",
            json={"text": "有大码吗？"},
            headers=viewer.headers,
        )
        assert asked.status_code == 201, asked.text
        question_id = asked.json()["id"]
        return lambda actor: client.post(
            f"/api/v1/questions/{question_id}/answered",
            json={"answer": "有的"},
            headers=actor.headers,
        )

    async def room_orders() -> Action:
        return lambda actor: client.get(f"/api/v1/rooms/{rid}/orders", headers=actor.headers)

    async def showcase_add() -> Action:
        return lambda actor: client.post(
            f"/api/v1/live-sessions/{sid}/showcase",
            json={"product_id": spare.product_id},
            headers=actor.headers,
        )

    async def message_buyer() -> Action:
        return lambda actor: client.post(
            f"/api/v1/orders/{first_order}/buyer-messages",
            json={"body": "您的订单明天发货"},
            headers=actor.headers,
        )

    async def refund_request() -> Action:
        order_id = await paid_order()
        return lambda actor: client.post(
            f"/api/v1/orders/{order_id}/refund-requests",
            json={"reason": "尺码不合适"},
            headers=actor.headers,
        )

    async def marketplace() -> Action:
        return lambda actor: client.get(
            "/api/v1/mcn/offers", params={"room_id": rid}, headers=actor.headers
        )

    async def sample_request() -> Action:
        product = await create_listing(client, merchant=spare.merchant, title="样品")
        offer = await client.post(
            "/api/v1/mcn/offers",
            json={"product_id": product.product_id, "commission_bp": 1500, "sample_policy": "free"},
            headers=spare.merchant.headers,
        )
        assert offer.status_code == 201, offer.text
        offer_id = offer.json()["id"]
        return lambda actor: client.post(
            f"/api/v1/mcn/offers/{offer_id}/samples",
            json={"note": "想试用", "room_id": rid},
            headers=actor.headers,
        )

    async def edit_session() -> Action:
        return lambda actor: client.patch(
            f"/api/v1/live-sessions/{sid}", json={"title": "新标题"}, headers=actor.headers
        )

    async def fan_message() -> Action:
        return lambda actor: client.post(
            f"/api/v1/rooms/{rid}/fan-messages",
            json={"title": "你好", "body": "今晚见"},
            headers=actor.headers,
        )

    async def team() -> Action:
        return lambda actor: client.post(
            f"/api/v1/rooms/{rid}/team", json={"role": "moderator"}, headers=actor.headers
        )

    return {
        "delete_chat": delete_chat,
        "mute": mute,
        "pin": pin,
        "flash_sale": flash_sale,
        "lottery": lottery,
        "coupon": coupon,
        "answer": answer,
        "room_orders": room_orders,
        "showcase": showcase_add,
        "message_buyer": message_buyer,
        "refund_request": refund_request,
        "marketplace": marketplace,
        "sample_request": sample_request,
        "edit_session": edit_session,
        "fan_message": fan_message,
        "team": team,
    }


SUCCESS = {
    "delete_chat": 204,
    "mute": 201,
    "pin": 200,
    "flash_sale": 201,
    "lottery": 201,
    "coupon": 200,
    "answer": 200,
    "room_orders": 200,
    "showcase": 201,
    "message_buyer": 201,
    "refund_request": 201,
    "marketplace": 200,
    "sample_request": 201,
    "edit_session": 200,
    "fan_message": 200,
    "team": 201,
}


async def test_every_action_of_every_role(client: httpx.AsyncClient, runtime: Runtime) -> None:
    listing = await create_listing(client, stock=5)
    sold = await create_listing(client, stock=20, title="热卖商品")
    spare = await create_listing(client, stock=5, title="备选商品")
    stage = await open_stage(client, [listing, sold])
    await link_staff(client, spare.merchant, stage.host)
    other_stage = await open_stage(client, [await create_listing(client, stock=1)])
    viewer = await sign_up(client, name="观众")
    staff: dict[str, Account] = {}
    for role, name in (("moderator", "场控"), ("service", "客服"), ("selection", "选品")):
        staff[role] = await sign_up(client, name=name)
        joined = await hire(client, stage.host, stage.room_id, role, staff[role])
        assert (joined["role"], joined["status"]) == (role, "active")
    # A 场控 of another room: nothing here.
    staff["elsewhere"] = await sign_up(client, name="别家场控")
    await hire(client, other_stage.host, other_stage.room_id, "moderator", staff["elsewhere"])

    actions = await _actions(client, runtime, stage, viewer, listing, spare, sold)
    outcome: dict[tuple[str, str], tuple[int, str | None]] = {}
    expected: dict[tuple[str, str], tuple[int, str | None]] = {}
    for name, make in actions.items():
        # The refused first, then the allowed members (or the host): each a fresh target.
        allowed_roles = [role for role, names in ALLOWED.items() if name in names]
        order = [r for r in staff if r not in allowed_roles] + allowed_roles
        for role in order:
            act = await make()
            response = await act(staff[role])
            code = None if response.status_code < 300 else response.json()["code"]
            outcome[(role, name)] = (response.status_code, code)
            if role in allowed_roles:
                expected[(role, name)] = (SUCCESS[name], None)
            elif role == "elsewhere" or name in HOST_ONLY:
                expected[(role, name)] = (403, "not_room_host")
            else:
                expected[(role, name)] = (403, "staff_role_forbidden")
        if not allowed_roles:
            act = await make()
            response = await act(stage.host)
            outcome[("host", name)] = (response.status_code, None)
            expected[("host", name)] = (SUCCESS[name], None)
    assert outcome == expected

    log = await client.get(f"/api/v1/rooms/{stage.room_id}/team/log", headers=stage.host.headers)
    assert log.status_code == 200
    done = sorted(
        (item["display_name"], item["role"], item["action"]) for item in log.json()["items"]
    )
    assert done == sorted(
        [
            ("场控", "moderator", "chat.moderate"),
            ("场控", "moderator", "chat.moderate"),
            ("场控", "moderator", "pin"),
            ("场控", "moderator", "flash_sale"),
            ("场控", "moderator", "lottery"),
            ("场控", "moderator", "coupon"),
            ("场控", "moderator", "question"),
            ("客服", "service", "question"),
            ("客服", "service", "message_buyer"),
            ("客服", "service", "refund_request"),
            ("选品", "selection", "showcase"),
            ("选品", "selection", "sample_request"),
        ]
    )
    refused = await client.get(
        f"/api/v1/rooms/{stage.room_id}/team/log", headers=staff["moderator"].headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_room_host")
    # A viewer on nobody's team meets the role check the room tools always had.
    plain = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/lotteries",
        json={"title": "x", "prize_kind": "product", "winners": 1, "countdown_s": 60},
        headers=viewer.headers,
    )
    assert (plain.status_code, plain.json()["code"]) == (403, "role_required")


async def test_a_removed_member_loses_access_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    moderator = await sign_up(client, name="场控")
    joined = await hire(client, stage.host, stage.room_id, "moderator", moderator)
    rooms = await client.get("/api/v1/team/rooms", headers=moderator.headers)
    assert [(r["room_id"], r["role"]) for r in rooms.json()["items"]] == [
        (stage.room_id, "moderator")
    ]
    team = await client.get(f"/api/v1/rooms/{stage.room_id}/team", headers=stage.host.headers)
    assert [(m["display_name"], m["role"], m["status"]) for m in team.json()["items"]] == [
        ("场控", "moderator", "active")
    ]
    viewer = await sign_up(client)
    mute: dict[str, Any] = {"user_id": viewer.id, "minutes": 5}
    url = f"/api/v1/rooms/{stage.room_id}/mutes"
    assert (await client.post(url, json=mute, headers=moderator.headers)).status_code == 201
    removed = await client.delete(
        f"/api/v1/rooms/{stage.room_id}/team/{joined['id']}", headers=stage.host.headers
    )
    assert (removed.status_code, removed.json()["status"]) == (200, "revoked")
    again = await client.post(url, json=mute, headers=moderator.headers)
    assert (again.status_code, again.json()["code"]) == (403, "not_room_host")
    rooms = await client.get("/api/v1/team/rooms", headers=moderator.headers)
    assert rooms.json()["items"] == []
