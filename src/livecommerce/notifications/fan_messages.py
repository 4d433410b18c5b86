"""A host's messages to an audience of its fans (私域触达), sent as notifications.

The audience is read when the message is sent (followers, fan-club members at a level
or up, reservers of one session, buyers); everyone's choices for ``fan_messages`` decide
the inbox and the e-mail (an unsubscribed person gets no e-mail of it). A room sends at
most ``fan_messages_per_host_per_day`` messages per UTC day; more are refused with 429
``fan_messages_rate_limited``, counted in the shared broker so every worker agrees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.fans.service import fan_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import RateLimited
from livecommerce.kit.ids import new_id
from livecommerce.kit.runtime import runtime_of
from livecommerce.models import NotificationCategory, Room
from livecommerce.notifications.schemas import (
    FanMessageIn,
    FanMessageOut,
    FanMessagePreview,
    FanMessageTarget,
)
from livecommerce.notifications.service import notification_service

_DAY_S = 24 * 3600


def _window(now: datetime) -> tuple[str, int]:
    """The day's counter key suffix and the seconds until the next day."""
    day = int(now.timestamp()) // _DAY_S
    return str(day), (day + 1) * _DAY_S - int(now.timestamp())


class FanMessageService:
    async def audience_of(
        self, session: AsyncSession, room: Room, target: FanMessageTarget
    ) -> list[str]:
        return await fan_service.segment_ids(
            session,
            room.id,
            audience=target.audience,
            min_level=target.min_level,
            session_id=target.session_id,
            product_id=target.product_id,
        )

    async def preview(
        self, session: AsyncSession, room: Room, target: FanMessageTarget
    ) -> FanMessagePreview:
        """How many the message would reach, before it is written."""
        ids = await self.audience_of(session, room, target)
        reachable = await notification_service.count_reachable(
            session, ids, NotificationCategory.FAN_MESSAGES
        )
        runtime = runtime_of(session)
        suffix, _ = _window(utcnow())
        sent = await runtime.broker.get_int(f"fan-messages:{room.id}:{suffix}") or 0
        return FanMessagePreview(
            audience=len(ids),
            reachable=reachable,
            sent_today=sent,
            limit_per_day=runtime.settings.fan_messages_per_host_per_day,
        )

    async def do_send(
        self, session: AsyncSession, room: Room, message: FanMessageIn
    ) -> FanMessageOut:
        ids = await self.audience_of(session, room, message)
        runtime = runtime_of(session)
        limit = runtime.settings.fan_messages_per_host_per_day
        suffix, left_s = _window(utcnow())
        key = f"fan-messages:{room.id}:{suffix}"
        sent = await runtime.broker.incr(key, expire_s=_DAY_S + 60)
        if sent > limit:
            await runtime.broker.incr(key, -1, expire_s=_DAY_S + 60)
            raise RateLimited(
                "Your fans have had enough messages today; try again tomorrow.",
                code="fan_messages_rate_limited",
                details={"limit_per_day": limit},
                retry_after_s=left_s,
            )
        message_id = new_id()
        added = await notification_service.notify(
            session,
            [user_id for user_id in ids if user_id != room.host_id],
            "message",
            {"title": message.title, "body": message.body, "room": room.name},
            link=message.link or f"/hosts/{room.id}",
            dedupe_key=f"fan-message:{message_id}",
            category=NotificationCategory.FAN_MESSAGES,
        )
        return FanMessageOut(id=message_id, audience=len(ids), delivered=len(added))


fan_message_service = FanMessageService()
