"""Share links count follows: a signed-in visitor who came through a link and follows the
room within the attribution window counts once for that link (not again after unfollowing
and following back), a late follow or one without a visit counts for nobody."""

from __future__ import annotations

from datetime import timedelta

import httpx

from livecommerce.kit.clock import clock
from livecommerce.kit.runtime import Runtime
from tests.factories import Account, sign_up
from tests.orders.shop import create_listing, open_stage


async def _follow(client: httpx.AsyncClient, room_id: str, account: Account) -> None:
    response = await client.post(f"/api/v1/rooms/{room_id}/follow", headers=account.headers)
    assert response.status_code == 200, response.text


async def test_follows_through_a_share_link(client: httpx.AsyncClient, runtime: Runtime) -> None:
    clock.freeze(clock.now())
    stage = await open_stage(client, [await create_listing(client)])
    sharer = await sign_up(client, name="分享达人")
    other_sharer = await sign_up(client, name="另一个分享者")
    codes = {}
    for account in (sharer, other_sharer):
        created = await client.post(
            "/api/v1/share-links", json={"room_id": stage.room_id}, headers=account.headers
        )
        assert created.status_code == 201, created.text
        codes[account.id] = created.json()["code"]
    fan = await sign_up(client, name="马上关注")
    late = await sign_up(client, name="八天后关注")
    direct = await sign_up(client, name="直接关注")
    switched = await sign_up(client, name="先后两个链接")
    for account, sharers in ((fan, [sharer]), (late, [sharer]), (switched, [sharer, other_sharer])):
        for who in sharers:
            visit = await client.get(
                f"/s/{codes[who.id]}", headers=account.headers, follow_redirects=False
            )
            assert visit.status_code in (302, 303, 307), visit.text
            clock.advance(timedelta(seconds=1))  # the later visit is the latest
    anonymous = await client.get(f"/s/{codes[sharer.id]}", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307)

    await _follow(client, stage.room_id, fan)
    assert (
        await client.delete(f"/api/v1/rooms/{stage.room_id}/follow", headers=fan.headers)
    ).status_code == 200
    await _follow(client, stage.room_id, fan)  # back again: still one follow for the link
    await _follow(client, stage.room_id, direct)
    await _follow(client, stage.room_id, switched)  # the latest link gets it
    clock.advance(timedelta(days=runtime.settings.share_attribution_days, seconds=1))
    await _follow(client, stage.room_id, late)

    counts = {}
    for account in (sharer, other_sharer):
        mine = await client.get("/api/v1/share-links", headers=account.headers)
        (row,) = mine.json()["items"]
        counts[account.id] = (row["visitors"], row["follows"], row["buyers"])
    assert counts == {sharer.id: (4, 1, 0), other_sharer.id: (1, 1, 0)}
    host_view = await client.get(
        f"/api/v1/rooms/{stage.room_id}/share-links", headers=stage.host.headers
    )
    totals = host_view.json()
    assert (totals["links"], totals["visitors"], totals["follows"], totals["buyers"]) == (
        2,
        5,
        2,
        0,
    )
