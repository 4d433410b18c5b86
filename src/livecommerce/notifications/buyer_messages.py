"""A room's 客服 (or its host) writes to the buyer of one of the room's orders: an order
update in the buyer's inbox (and e-mail as they chose), logged in the team's audit log."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.ids import new_id
from livecommerce.models import NotificationCategory, User
from livecommerce.notifications.service import notification_service
from livecommerce.orders.refund_requests import room_order_service


class BuyerMessageService:
    async def do_send(self, session: AsyncSession, user: User, order_id: str, body: str) -> str:
        """The notification's id (the buyer always gets it in the inbox unless they
        turned order updates off there)."""
        order, room, _ = await room_order_service.get_room_order(
            session, user, order_id, "message_buyer"
        )
        added = await notification_service.notify(
            session,
            [order.buyer_id],
            "buyer_message",
            {"room": room.name, "body": body, "order_id": order.id},
            link=f"/orders/{order.id}",
            dedupe_key=f"buyer-message:{new_id()}",
            category=NotificationCategory.ORDER_UPDATES,
        )
        return added[0] if added else ""


buyer_message_service = BuyerMessageService()
