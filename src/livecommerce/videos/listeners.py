"""What short videos do when other domains' facts arrive."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.events import subscribe
from livecommerce.live.events import SessionEnded
from livecommerce.orders.events import OrderPaid
from livecommerce.videos.service import video_service


@subscribe(SessionEnded, "videos.plan_session_clips")
async def plan_session_clips(session: AsyncSession, event: SessionEnded) -> None:
    """Cut the session's 讲解 clips a few seconds later, when its recording is closed."""
    video_service.do_plan_clips_later(session, event.session_id)


@subscribe(OrderPaid, "videos.count_order", when=lambda event: event.video_id is not None)
async def count_order(session: AsyncSession, event: OrderPaid) -> None:
    """A paid order bought from a video counts in its orders and GMV."""
    assert event.video_id is not None
    await video_service.do_count_order(
        session,
        video_id=event.video_id,
        order_id=event.order_id,
        buyer_id=event.buyer_id,
        product_id=event.product_id,
        total_cents=event.total_cents,
        currency=event.currency,
    )
