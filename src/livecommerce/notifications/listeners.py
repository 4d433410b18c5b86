"""What notifications hears: reserved sessions' changes and orders' steps.

Each handler only stores rows (timers, inbox rows, e-mail jobs): the fan-out to a
session's reservers and every e-mail run later in the worker loop, never in the
request that caused them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.live.events import (
    SessionCancelled,
    SessionReserved,
    SessionScheduled,
    SessionStarted,
    StaffInvited,
)
from livecommerce.notifications.service import notification_service
from livecommerce.notifications.templates import money_text
from livecommerce.orders.events import OrderPaid, OrderRefunded, OrderShipped
from livecommerce.orders.service import order_service

# A session nobody reserved costs nothing: its events get no outbox row here, and its
# timers are planned when its first viewer reserves it.


@subscribe(
    SessionReserved,
    "notifications.first_reservation",
    when=lambda event: event.reservation_count == 1,
)
async def first_reservation(session: AsyncSession, event: SessionReserved) -> None:
    notification_service.do_plan_reminders(session, event.session_id, event.planned_start_at)


@subscribe(
    SessionScheduled,
    "notifications.plan_reminders",
    when=lambda event: event.reservation_count > 0,
)
async def plan_reminders(session: AsyncSession, event: SessionScheduled) -> None:
    notification_service.do_plan_reminders(session, event.session_id, event.planned_start_at)


@subscribe(
    SessionStarted,
    "notifications.session_live",
    when=lambda event: not event.resumed and event.reservation_count > 0,
)
async def session_live(session: AsyncSession, event: SessionStarted) -> None:
    notification_service.do_queue_reminder(session, event.session_id, "live")


@subscribe(
    SessionCancelled,
    "notifications.session_cancelled",
    when=lambda event: event.reservation_count > 0,
)
async def session_cancelled(session: AsyncSession, event: SessionCancelled) -> None:
    notification_service.do_queue_reminder(session, event.session_id, "cancelled")


def _order_link(order_id: str) -> str:
    return f"/orders#{order_id}"


@subscribe(OrderPaid, "notifications.order_paid")
async def order_paid(session: AsyncSession, event: OrderPaid) -> None:
    await notification_service.notify(
        session,
        [event.buyer_id],
        "order_paid",
        {"order": event.order_id[:8], "amount": money_text(event.total_cents, event.currency)},
        link=_order_link(event.order_id),
        dedupe_key=f"order:{event.order_id}:paid",
    )


@subscribe(OrderShipped, "notifications.order_shipped")
async def order_shipped(session: AsyncSession, event: OrderShipped) -> None:
    await notification_service.notify(
        session,
        [event.buyer_id],
        "order_shipped",
        {
            "order": event.order_id[:8],
            "carrier": event.carrier,
            "tracking": event.tracking_number,
        },
        link=_order_link(event.order_id),
        dedupe_key=f"order:{event.order_id}:shipped",
    )


@subscribe(OrderRefunded, "notifications.order_refunded")
async def order_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    order = await order_service.get_order(session, event.order_id)
    await notification_service.notify(
        session,
        [order.buyer_id],
        "order_refunded",
        {"order": event.order_id[:8], "amount": money_text(event.total_cents, event.currency)},
        link=_order_link(event.order_id),
        dedupe_key=f"order:{event.order_id}:refunded",
    )


_ROLE_NAMES = {
    "moderator": ("场控", "moderator (场控)"),
    "service": ("客服", "customer service (客服)"),
    "selection": ("选品", "selection (选品)"),
}


@subscribe(StaffInvited, "notifications.staff_invited", when=lambda event: bool(event.user_id))
async def staff_invited(session: AsyncSession, event: StaffInvited) -> None:
    assert event.user_id is not None
    zh, en = _ROLE_NAMES[event.role]
    await notification_service.notify(
        session,
        [event.user_id],
        "staff_invite",
        {"room": event.room_name, "role_zh": zh, "role_en": en},
        link=event.path,
        dedupe_key=f"staff-invite:{event.staff_id}",
    )
