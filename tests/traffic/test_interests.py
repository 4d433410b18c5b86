"""The feed's `tags` policy reads a signed-in viewer's interests from their profile (and none
when they switched personalisation off); anonymous viewers and users without a profile get
interests learned from their behaviour events."""

from __future__ import annotations

import httpx

from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import Runtime
from livecommerce.models import BehaviourEvent, UserProfile
from livecommerce.profiles.service import profile_service
from livecommerce.traffic.interests import viewer_interests
from tests.factories import sign_up
from tests.live.helpers import create_room


async def test_profiles_decide_for_signed_in_viewers_behaviour_for_the_rest(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    host = await sign_up(client, "host")
    room = await create_room(client, host, name="茶室", tags=["茶叶"])
    profiled = await sign_up(client, "viewer")
    switched_off = await sign_up(client, "viewer")
    no_profile = await sign_up(client, "viewer")
    now = utcnow()
    async with runtime.db.transaction() as session:
        # Everybody watched the tea room: that is what behaviour alone would say.
        for user_id, visitor_id in (
            (profiled.id, None),
            (switched_off.id, None),
            (no_profile.id, None),
            (None, "browser-1"),
        ):
            session.add(
                BehaviourEvent(
                    kind="enter",
                    user_id=user_id,
                    visitor_id=visitor_id,
                    room_id=room["id"],
                    value=1,
                    payload={},
                    occurred_at=now,
                )
            )
        for user_id in (profiled.id, switched_off.id):
            session.add(
                UserProfile(
                    user_id=user_id,
                    personalised=True,
                    interests={"服饰": 2.0},
                    tags={"美妆": 4.0, "茶叶": 1.0},
                    hosts={},
                    scored_at=now,
                    price_bands={},
                    hours=[0] * 24,
                    sources={},
                    orders_count=0,
                    spent_cents=0,
                    last_order_at=None,
                    events_count=3,
                    updated_at=now,
                )
            )
    async with runtime.db.transaction() as session:
        await profile_service.do_set_personalised(session, switched_off.id, False)

    async with runtime.db.reading() as session:
        assert await viewer_interests(session, user_id=profiled.id, visitor_id=None) == {
            "美妆": 1.0,
            "服饰": 0.5,
            "茶叶": 0.25,
        }
        assert await viewer_interests(session, user_id=switched_off.id, visitor_id=None) == {}
        assert await viewer_interests(session, user_id=no_profile.id, visitor_id=None) == {
            "茶叶": 1.0
        }
        assert await viewer_interests(session, user_id=None, visitor_id="browser-1") == {
            "茶叶": 1.0
        }
        assert await viewer_interests(session, user_id=None, visitor_id="browser-2") == {}
