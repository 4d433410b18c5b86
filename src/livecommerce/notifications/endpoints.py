from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.fans.service import fan_service
from livecommerce.kit.http import DbSession
from livecommerce.kit.language import pick_language
from livecommerce.kit.pagination import PageQuery
from livecommerce.live.service import live_service
from livecommerce.models import Notification, User
from livecommerce.notifications.buyer_messages import buyer_message_service
from livecommerce.notifications.fan_messages import fan_message_service
from livecommerce.notifications.schemas import (
    BuyerMessageIn,
    BuyerMessageOut,
    ChannelChoice,
    FanMessageIn,
    FanMessageOut,
    FanMessagePreview,
    FanMessageTarget,
    NotificationList,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    SoldProductList,
    SoldProductOut,
    UnreadOut,
    UnsubscribedOut,
)
from livecommerce.notifications.service import notification_service
from livecommerce.notifications.templates import render

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

TokenQuery = Annotated[str, Query(min_length=10, max_length=300)]


def _language(request: Request, user: User) -> str:
    return pick_language(
        request.cookies.get("lang"), user.locale, request.headers.get("accept-language")
    )


def notification_out(notification: Notification, language: str) -> NotificationOut:
    title, body = render(notification.template, notification.params, language)
    return NotificationOut(
        id=notification.id,
        category=notification.category,
        template=notification.template,
        title=title,
        body=body,
        link=notification.link,
        params={key: str(value) for key, value in notification.params.items()},
        read=notification.read_at is not None,
        created_at=notification.created_at,
    )


@router.get("")
async def list_notifications(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    unread_only: bool = False,
) -> NotificationList:
    """The caller's inbox, newest first (50 by default), rendered in the caller's language."""
    found = await notification_service.page_inbox(session, user, unread_only=unread_only, page=page)
    language = _language(request, user)
    return NotificationList(
        items=[notification_out(item, language) for item in found.items],
        next_cursor=found.next_cursor,
        unread=await notification_service.unread_count(session, user),
    )


@router.get("/unread")
async def unread_count(user: CurrentUser, session: DbSession) -> UnreadOut:
    """The bell's number."""
    return UnreadOut(unread=await notification_service.unread_count(session, user))


@router.post("/{notification_id}/read")
async def mark_read(notification_id: str, user: CurrentUser, session: DbSession) -> UnreadOut:
    """Mark one notification read (again: nothing changes)."""
    unread = await notification_service.do_mark_read(session, user, notification_id)
    return UnreadOut(unread=unread)


@router.post("/read-all")
async def mark_all_read(user: CurrentUser, session: DbSession) -> UnreadOut:
    return UnreadOut(unread=await notification_service.do_mark_all_read(session, user))


async def _preferences_out(session: DbSession, user: User) -> PreferencesOut:
    choices = await notification_service.get_preferences(session, user)
    return PreferencesOut(
        items=[
            ChannelChoice(category=category, in_app=in_app, email=email)
            for category, (in_app, email) in choices.items()
        ]
    )


@router.get("/preferences")
async def get_preferences(user: CurrentUser, session: DbSession) -> PreferencesOut:
    """Per category (reminders, fan_messages, order_updates, marketing,
    team) and channel."""
    return await _preferences_out(session, user)


@router.put("/preferences")
async def set_preferences(
    body: PreferencesIn, user: CurrentUser, session: DbSession
) -> PreferencesOut:
    """Change some channels of some categories; fields left out keep their value."""
    for change in body.items:
        await notification_service.do_set_preference(
            session, user.id, change.category, in_app=change.in_app, email=change.email
        )
    return await _preferences_out(session, user)


@router.post("/unsubscribe")
async def unsubscribe(token: TokenQuery, session: DbSession) -> UnsubscribedOut:
    """One-click unsubscribe (RFC 8058): the ``List-Unsubscribe`` URL of every e-mail. No
    log-in: the signed token names the user and the category whose e-mail stops."""
    category = await notification_service.do_unsubscribe(session, token)
    return UnsubscribedOut(category=category)


fan_messages_router = APIRouter(prefix="/api/v1/rooms", tags=["notifications"])


@fan_messages_router.post("/{room_id}/fan-messages/preview")
async def preview_fan_message(
    room_id: str, body: FanMessageTarget, user: CurrentUser, session: DbSession
) -> FanMessagePreview:
    """The size of an audience before writing to it: everyone in it, and those whose
    choices let a fan message reach them; the day's messages sent and the limit."""
    room = await live_service.get_room_for_edit(session, user, room_id)
    return await fan_message_service.preview(session, room, body)


@fan_messages_router.post("/{room_id}/fan-messages")
async def send_fan_message(
    room_id: str, body: FanMessageIn, user: CurrentUser, session: DbSession
) -> FanMessageOut:
    """The host writes to an audience of its fans (all, followers, members at a level or
    up, reservers of a session, buyers, buyers of one product sold in the room:
    ``product_buyers`` with ``product_id``), through their inbox and e-mail as each chose.
    Over the day's limit: 429 ``fan_messages_rate_limited``."""
    room = await live_service.get_room_for_edit(session, user, room_id)
    return await fan_message_service.do_send(session, room, body)


@fan_messages_router.get("/{room_id}/fan-messages/products")
async def fan_message_products(
    room_id: str, user: CurrentUser, session: DbSession
) -> SoldProductList:
    """The products sold in the room (paid orders), with how many bought each: the
    choices of the ``product_buyers`` audience."""
    room = await live_service.get_room_for_edit(session, user, room_id)
    rows = await fan_service.products_sold(session, room.id)
    return SoldProductList(
        items=[SoldProductOut(product_id=pid, title=title, buyers=n) for pid, title, n in rows]
    )


buyer_messages_router = APIRouter(prefix="/api/v1/orders", tags=["notifications"])


@buyer_messages_router.post("/{order_id}/buyer-messages", status_code=201)
async def message_buyer(
    order_id: str, body: BuyerMessageIn, user: CurrentUser, session: DbSession
) -> BuyerMessageOut:
    """The room's 客服 (or its host) writes to the buyer of a room order: an order update
    in their inbox and e-mail as they chose; the team's log names who wrote."""
    notification_id = await buyer_message_service.do_send(session, user, order_id[:32], body.body)
    return BuyerMessageOut(order_id=order_id, notification_id=notification_id)
