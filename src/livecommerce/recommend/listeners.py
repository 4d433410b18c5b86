"""The recommender notices new behaviour: a training check is kept pending while it arrives."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.events import BehaviourRecorded
from livecommerce.kit.events import subscribe
from livecommerce.orders.events import OrderPaid
from livecommerce.recommend.service import recommend_service


@subscribe(
    BehaviourRecorded,
    "recommend.note_click",
    when=lambda event: event.has_kind("product_click"),
)
async def note_click(session: AsyncSession, event: BehaviourRecorded) -> None:
    await recommend_service.do_note_activity(session)


@subscribe(OrderPaid, "recommend.note_order")
async def note_order(session: AsyncSession, event: OrderPaid) -> None:
    await recommend_service.do_note_activity(session)
