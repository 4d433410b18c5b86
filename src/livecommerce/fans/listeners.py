"""Fan clubs react to what viewers do: intimacy from behaviour, chat and paid orders."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.fans.service import Activity, fan_service
from livecommerce.fans.sharing import sharing_service
from livecommerce.insights.events import BehaviourRecorded
from livecommerce.kit.events import subscribe
from livecommerce.live.events import RoomFollowed
from livecommerce.orders.events import OrderPaid
from livecommerce.realtime.events import ChatDeleted, ChatSent

# Behaviour kinds (models.BehaviourKind values) and what they are to a fan club.
_ACTIONS = {
    "heartbeat": "watch",
    "like": "like",
    "share": "share",
    "enter": "visit",
    "leave": "leave",
}


@subscribe(
    BehaviourRecorded,
    "fans.record_behaviour",
    when=lambda event: event.has_kind(*_ACTIONS),
)
async def record_behaviour(session: AsyncSession, event: BehaviourRecorded) -> None:
    activities = [
        Activity(
            room_id=item.room_id,
            user_id=item.user_id,
            session_id=item.session_id,
            action=_ACTIONS[item.kind],
            amount=item.value,
            at=item.at,
        )
        for item in event.items
        if item.kind in _ACTIONS
    ]
    for activity in sorted(activities, key=lambda a: (a.room_id, a.user_id, a.at)):
        await fan_service.do_note_visit(session, activity)
    await fan_service.do_record_activities(session, activities)


# In the chat's own unit of work: one cheap write beside the message, no outbox row per
# message; a message never exists without its points counted (or not, for non-members).
@subscribe(ChatSent, "fans.record_chat", in_unit=True)
async def record_chat(session: AsyncSession, event: ChatSent) -> None:
    await fan_service.do_award_chat(
        session,
        message_id=event.message_id,
        room_id=event.room_id,
        user_id=event.user_id,
        session_id=event.session_id,
        at=event.at,
    )


@subscribe(ChatDeleted, "fans.revoke_chat")
async def revoke_chat(session: AsyncSession, event: ChatDeleted) -> None:
    await fan_service.do_revoke_chat(
        session,
        message_id=event.message_id,
        room_id=event.room_id,
        user_id=event.user_id,
        sent_at=event.sent_at,
    )


@subscribe(OrderPaid, "fans.record_order")
async def record_order(session: AsyncSession, event: OrderPaid) -> None:
    if event.product_id is not None:
        await fan_service.do_join_paid(
            session, product_id=event.product_id, buyer_id=event.buyer_id, order_id=event.order_id
        )
    if event.room_id is not None:
        await sharing_service.do_attribute_order(
            session,
            buyer_id=event.buyer_id,
            room_id=event.room_id,
            total_cents=event.total_cents,
            paid_at=event.paid_at,
        )
        await fan_service.do_note_visit(
            session,
            Activity(
                room_id=event.room_id,
                user_id=event.buyer_id,
                session_id=event.session_id,
                action="buy",
                amount=event.total_cents,
                at=event.paid_at,
            ),
        )
        await fan_service.do_record(
            session,
            Activity(
                room_id=event.room_id,
                user_id=event.buyer_id,
                session_id=event.session_id,
                action="buy",
                amount=1,
                at=event.paid_at,
            ),
        )


@subscribe(RoomFollowed, "fans.record_follow")
async def record_follow(session: AsyncSession, event: RoomFollowed) -> None:
    await sharing_service.do_attribute_follow(
        session, user_id=event.user_id, room_id=event.room_id, followed_at=event.at
    )
