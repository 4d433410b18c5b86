from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from livecommerce.cli import app as cli_app
from livecommerce.insights.service import insights_service
from livecommerce.interactions import draw
from livecommerce.kit.clock import clock, utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourKind, User
from livecommerce.realtime.service import realtime_service
from tests.factories import Account, sign_up
from tests.interactions.helpers import next_of_type
from tests.live.helpers import ChannelListener
from tests.orders.shop import (
    Stage,
    add_address,
    create_listing,
    get_order,
    open_stage,
    stock_of,
    tick,
)


async def launch_lottery(
    client: httpx.AsyncClient, stage: Stage, *, expect: int = 201, **body: Any
) -> dict[str, Any]:
    payload = {"title": "福袋", "prize_kind": "product", "winners": 2, "countdown_s": 60, **body}
    response = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/lotteries",
        headers=stage.host.headers,
        json=payload,
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def enter(client: httpx.AsyncClient, account: Account, lottery_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/lotteries/{lottery_id}/enter", headers=account.headers)


async def chat(runtime: Runtime, account: Account, session_id: str, text: str) -> None:
    async with runtime.db.transaction() as session:
        user = await session.get(User, account.id)
        await realtime_service.do_send_chat(session, session_id=session_id, user=user, text=text)


async def watched(runtime: Runtime, account: Account, session_id: str, seconds: int) -> None:
    async with runtime.db.transaction() as session:
        await insights_service.do_record(
            session,
            BehaviourKind.HEARTBEAT,
            user_id=account.id,
            session_id=session_id,
            value=seconds,
        )


def test_draw_algorithm_is_the_documented_one() -> None:
    seed = "ab" * 32
    entrants = ["c" * 32, "a" * 32, "b" * 32, "a" * 32]
    tickets = {
        entrant: __import__("hmac").new(seed.encode(), entrant.encode(), hashlib.sha256).hexdigest()
        for entrant in set(entrants)
    }
    expected = sorted(tickets, key=lambda entrant: (tickets[entrant], entrant))[:2]
    assert draw.draw_winners(seed, entrants, 2) == expected
    assert draw.draw_winners(seed, entrants, 10) == sorted(
        tickets, key=lambda entrant: (tickets[entrant], entrant)
    )
    assert draw.draw_winners(seed, [], 3) == []
    assert draw.seed_hash(seed) == hashlib.sha256(seed.encode()).hexdigest()
    assert len(draw.new_seed()) == 64


async def test_a_lottery_from_launch_to_claim_is_verifiable(
    client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    async with ChannelListener(runtime, stage.session_id) as room:
        lottery = await launch_lottery(
            client,
            stage,
            prize_sku_id=listing.sku_id,
            conditions={"follow": True, "keyword": "想要", "watch_minutes": 1},
        )
        launched = await next_of_type(room, "lottery")
    assert launched["type"] == "lottery"
    assert launched["lottery"]["seed"] is None
    assert launched["lottery"]["seed_hash"] == lottery["seed_hash"]
    assert (lottery["status"], lottery["entrants"], lottery["winners"]) == ("open", None, None)
    assert await stock_of(client, listing) == 3  # two prizes set aside

    viewers = [await sign_up(client, name=f"观众{index}") for index in range(4)]
    refused = await enter(client, viewers[0], lottery["id"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "conditions_not_met"
    assert refused.json()["details"]["missing"] == ["follow", "keyword", "watch_minutes"]
    for viewer in viewers[:3]:
        followed = await client.post(
            f"/api/v1/rooms/{stage.room_id}/follow", headers=viewer.headers
        )
        assert followed.status_code == 200
        await chat(runtime, viewer, stage.session_id, "主播我想要这个！")
        await watched(runtime, viewer, stage.session_id, 60)
    # The fourth only chatted: not enough.
    await chat(runtime, viewers[3], stage.session_id, "想要")
    assert (await enter(client, viewers[3], lottery["id"])).json()["details"]["missing"] == [
        "follow",
        "watch_minutes",
    ]
    for viewer in viewers[:3]:
        entered = await enter(client, viewer, lottery["id"])
        assert entered.status_code == 200, entered.text
        assert entered.json()["you"] == {
            "entered": True,
            "won": False,
            "prize_order_id": None,
            "missing": [],
        }
    again = await enter(client, viewers[0], lottery["id"])
    assert again.json()["entrants_count"] == 3

    clock.advance(timedelta(seconds=61))
    async with ChannelListener(runtime, stage.session_id) as room:
        assert await tick(runtime) == 1
        result = await next_of_type(room, "lottery_result")
    assert result["type"] == "lottery_result"
    public = (await client.get(f"/api/v1/lotteries/{lottery['id']}")).json()
    assert public["status"] == "drawn"
    assert hashlib.sha256(public["seed"].encode()).hexdigest() == lottery["seed_hash"]
    assert public["entrants"] == sorted(viewer.id for viewer in viewers[:3])
    winner_ids = [winner["user_id"] for winner in public["winners"]]
    assert winner_ids == draw.draw_winners(public["seed"], public["entrants"], 2)
    assert [winner["display_name"] for winner in public["winners"]] == ["观**"] * 2
    assert result["lottery"]["winners"] == public["winners"]
    assert await stock_of(client, listing) == 3  # both prizes went to winners

    # Anyone can recompute the winners from the public data.
    entrants_file = tmp_path / "lottery.json"
    entrants_file.write_text(json.dumps(public), encoding="utf-8")
    outcome = CliRunner().invoke(
        cli_app,
        [
            "lottery",
            "verify",
            "--seed",
            public["seed"],
            "--seed-hash",
            lottery["seed_hash"],
            "--entrants",
            str(entrants_file),
            "--winners",
            "2",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.split() == winner_ids
    tampered = CliRunner().invoke(
        cli_app,
        [
            "lottery",
            "verify",
            "--seed",
            "00" * 32,
            "--seed-hash",
            lottery["seed_hash"],
            "--entrants",
            str(entrants_file),
            "--winners",
            "2",
        ],
    )
    assert tampered.exit_code == 1

    # Winners claim a zero-price order; losers cannot.
    winners = [viewer for viewer in viewers if viewer.id in winner_ids]
    [loser] = [viewer for viewer in viewers[:3] if viewer.id not in winner_ids]
    lost = await client.post(f"/api/v1/lotteries/{lottery['id']}/claim", headers=loser.headers)
    assert (lost.status_code, lost.json()["code"]) == (409, "not_a_winner")
    no_address = await client.post(
        f"/api/v1/lotteries/{lottery['id']}/claim", headers=winners[0].headers
    )
    assert (no_address.status_code, no_address.json()["code"]) == (409, "address_required")
    address = await add_address(client, winners[0])
    claimed = await client.post(
        f"/api/v1/lotteries/{lottery['id']}/claim",
        headers=winners[0].headers,
        json={"address_id": address["id"]},
    )
    assert claimed.status_code == 201, claimed.text
    order = claimed.json()
    assert (order["status"], order["total_cents"], order["items"][0]["quantity"]) == (
        "paid",
        0,
        1,
    )
    twice = await client.post(
        f"/api/v1/lotteries/{lottery['id']}/claim", headers=winners[0].headers
    )
    assert twice.json()["id"] == order["id"]
    assert (await get_order(client, winners[0], order["id"]))["shipping_address"]["recipient"] == (
        "张三"
    )
    mine = (
        await client.get(f"/api/v1/lotteries/{lottery['id']}", headers=winners[0].headers)
    ).json()
    assert mine["you"]["won"] is True
    assert mine["you"]["prize_order_id"] == order["id"]


async def test_unfilled_prizes_return_and_late_entries_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    listing = await create_listing(client, stock=5)
    stage = await open_stage(client, [listing])
    lottery = await launch_lottery(client, stage, prize_sku_id=listing.sku_id, winners=3)
    viewer = await sign_up(client)
    assert (await enter(client, viewer, lottery["id"])).status_code == 200
    drawn = await client.post(f"/api/v1/lotteries/{lottery['id']}/draw", headers=stage.host.headers)
    assert drawn.status_code == 200
    assert [winner["user_id"] for winner in drawn.json()["winners"]] == [viewer.id]
    assert await stock_of(client, listing) == 4  # two of three prizes came back
    late = await enter(client, await sign_up(client), lottery["id"])
    assert (late.status_code, late.json()["code"]) == (409, "lottery_closed")
    again = await client.post(f"/api/v1/lotteries/{lottery['id']}/draw", headers=stage.host.headers)
    assert (again.status_code, again.json()["code"]) == (409, "lottery_drawn")
    clock.advance(timedelta(seconds=61))
    assert await tick(runtime) == 1  # the stored draw finds nothing left to do
    assert await stock_of(client, listing) == 4


async def test_launch_rules(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=1)
    stage = await open_stage(client, [listing])
    assert (await launch_lottery(client, stage, expect=422))["code"] == "prize_required"
    short = await launch_lottery(client, stage, prize_sku_id=listing.sku_id, expect=409)
    assert short["code"] == "out_of_stock"
    viewer = await sign_up(client)
    response = await client.post(
        f"/api/v1/live-sessions/{stage.session_id}/lotteries",
        headers=viewer.headers,
        json={"title": "x", "prize_kind": "product", "prize_sku_id": listing.sku_id, "winners": 1},
    )
    assert response.status_code == 403
    missing = await client.get("/api/v1/lotteries/" + "0" * 32)
    assert (missing.status_code, missing.json()["code"]) == (404, "lottery_not_found")


async def test_a_coupon_prize_goes_into_the_winners_wallets(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=1)
    stage = await open_stage(client, [listing])
    coupon = await client.post(
        "/api/v1/coupons",
        headers=stage.host.headers,
        json={
            "title": "福袋券",
            "audience": "room",
            "discount_kind": "amount",
            "amount_off_cents": 1000,
            "ends_at": (utcnow() + timedelta(days=1)).isoformat(),
            "total_limit": 2,
        },
    )
    assert coupon.status_code == 201, coupon.text
    too_many = await launch_lottery(
        client,
        stage,
        prize_kind="coupon",
        prize_coupon_id=coupon.json()["id"],
        winners=3,
        expect=409,
    )
    assert too_many["code"] == "coupon_sold_out"
    lottery = await launch_lottery(
        client, stage, prize_kind="coupon", prize_coupon_id=coupon.json()["id"], winners=2
    )
    assert lottery["prize_title"] == "福袋券"
    viewers = [await sign_up(client) for _ in range(3)]
    for viewer in viewers:
        assert (await enter(client, viewer, lottery["id"])).status_code == 200
    drawn = await client.post(f"/api/v1/lotteries/{lottery['id']}/draw", headers=stage.host.headers)
    winner_ids = {winner["user_id"] for winner in drawn.json()["winners"]}
    assert len(winner_ids) == 2
    for viewer in viewers:
        wallet = (await client.get("/api/v1/coupons/mine", headers=viewer.headers)).json()["items"]
        assert [item["coupon"]["id"] for item in wallet] == (
            [coupon.json()["id"]] if viewer.id in winner_ids else []
        )
        claim = await client.post(
            f"/api/v1/lotteries/{lottery['id']}/claim", headers=viewer.headers
        )
        assert claim.status_code == 409
        assert claim.json()["code"] == (
            "nothing_to_claim" if viewer.id in winner_ids else "not_a_winner"
        )
    issued = await client.get(f"/api/v1/coupons/{coupon.json()['id']}")
    assert issued.json()["claimed_count"] == 2


async def test_my_prizes_keep_a_win_after_the_next_lottery(client: httpx.AsyncClient) -> None:
    listing = await create_listing(client, stock=1)
    stage = await open_stage(client, [listing])
    coupon = await client.post(
        "/api/v1/coupons",
        headers=stage.host.headers,
        json={
            "title": "福袋券",
            "audience": "room",
            "discount_kind": "amount",
            "amount_off_cents": 1000,
            "ends_at": (utcnow() + timedelta(days=1)).isoformat(),
            "total_limit": 5,
        },
    )
    assert coupon.status_code == 201, coupon.text
    winner, loser = await sign_up(client), await sign_up(client)
    first = await launch_lottery(
        client, stage, prize_kind="coupon", prize_coupon_id=coupon.json()["id"], winners=1
    )
    assert (await enter(client, winner, first["id"])).status_code == 200
    drawn = await client.post(f"/api/v1/lotteries/{first['id']}/draw", headers=stage.host.headers)
    assert [item["user_id"] for item in drawn.json()["winners"]] == [winner.id]
    second = await launch_lottery(
        client, stage, prize_kind="coupon", prize_coupon_id=coupon.json()["id"], winners=1
    )
    room = (await client.get(f"/api/v1/live-sessions/{stage.session_id}/interactions")).json()
    assert room["lottery"]["id"] == second["id"]  # the room shows the new one

    prizes = await client.get("/api/v1/lotteries/won", headers=winner.headers)
    assert prizes.status_code == 200, prizes.text
    [prize] = prizes.json()["items"]
    assert prize["lottery"]["id"] == first["id"]
    assert prize["lottery"]["prize_title"] == "福袋券"
    assert prize["lottery"]["you"]["won"] is True
    session = (await client.get(f"/api/v1/live-sessions/{stage.session_id}")).json()
    assert (prize["session_title"], prize["room_name"]) == (
        session["title"],
        session["room"]["name"],
    )
    assert (await client.get("/api/v1/lotteries/won", headers=loser.headers)).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert (await client.get("/api/v1/lotteries/won")).status_code == 401
