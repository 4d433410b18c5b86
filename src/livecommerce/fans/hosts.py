"""The host's public persona page (主播主页): who they are, when they are on, what they sell."""

from __future__ import annotations

from typing import Protocol, cast

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.fans.schemas import HostPageOut, HostProductOut, HostSessionOut
from livecommerce.fans.service import fan_service
from livecommerce.kit.pagination import PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.schemas import ShowcaseItemOut
from livecommerce.live.service import live_service
from livecommerce.models import LiveSession, LiveSessionStatus, User

UPCOMING_LIMIT = 10
PAST_LIMIT = 10
SHOP_LIMIT = 24


class _Recordings(Protocol):
    def has_recording(self, session_id: str) -> bool: ...


class _MediaPlane(Protocol):
    """The media plane (``runtime.extras["media"]``) as the host page reads it."""

    recordings: _Recordings


def catchphrases_of(catchphrase: str, catchphrases: list[object]) -> list[str]:
    found = [str(value) for value in catchphrases if str(value)]
    if catchphrase and catchphrase not in found:
        found.insert(0, catchphrase)
    return found


class HostPageService:
    async def get_host_page(
        self, session: AsyncSession, room_id: str, viewer: User | None
    ) -> HostPageOut:
        room = await live_service.get_room(session, room_id)
        room_out = await live_service.room_out(session, room, viewer)
        host = await account_service.get_user(session, room.host_id)
        live = await live_service.page_sessions(
            session, status=LiveSessionStatus.LIVE, room_id=room.id, page=PageRequest(limit=1)
        )
        upcoming = await live_service.page_sessions(
            session,
            status=LiveSessionStatus.SCHEDULED,
            room_id=room.id,
            page=PageRequest(limit=UPCOMING_LIMIT),
        )
        past = await live_service.page_sessions(
            session,
            status=LiveSessionStatus.ENDED,
            room_id=room.id,
            page=PageRequest(limit=PAST_LIMIT),
        )
        live_now = None
        shop: dict[str, HostProductOut] = {}
        if live.items:
            live_now = await self._session_out(session, live.items[0], shop, viewer)
        upcoming_out = [
            await self._session_out(session, item, shop, viewer) for item in upcoming.items
        ]
        past_out = [await self._session_out(session, item, shop, viewer) for item in past.items]
        return HostPageOut(
            room_id=room.id,
            name=room.name,
            host_id=room.host_id,
            host_name=host.display_name,
            avatar_url=room_out.avatar_url,
            bio=room.bio,
            tags=room_out.tags,
            catchphrases=room_out.catchphrases,
            followers_count=room_out.followers_count,
            fans_count=await fan_service.count_members(session, room.id),
            following=room_out.following,
            fan_club=await fan_service.get_club_out(session, room.id, viewer),
            live_now=live_now,
            upcoming=upcoming_out,
            past=past_out,
            shop=list(shop.values())[:SHOP_LIMIT],
        )

    async def _session_out(
        self,
        session: AsyncSession,
        live_session: LiveSession,
        shop: dict[str, HostProductOut],
        viewer: User | None,
    ) -> HostSessionOut:
        showcase = await live_service.list_showcase(session, live_session)
        products = [_product(item) for item in showcase]
        for product in products:
            shop.setdefault(product.product_id, product)
        (summary,) = await live_service.session_summaries(session, [live_session], viewer)
        return HostSessionOut(
            id=live_session.id,
            title=live_session.title,
            status=str(live_session.status),
            cover_url=summary.cover_url,
            planned_start_at=live_session.planned_start_at,
            started_at=live_session.started_at,
            ended_at=live_session.ended_at,
            online=summary.online,
            reservation_count=summary.reservation_count,
            reserved=summary.reserved,
            replay_url=self._replay_url(session, live_session),
            products=products,
        )

    def _replay_url(self, session: AsyncSession, live_session: LiveSession) -> str | None:
        if live_session.status != LiveSessionStatus.ENDED:
            return None
        media = cast("_MediaPlane | None", runtime_of(session).extras.get("media"))
        if media is None or not media.recordings.has_recording(live_session.id):
            return None
        return f"/replay/{live_session.id}"


def _product(item: ShowcaseItemOut) -> HostProductOut:
    return HostProductOut(
        product_id=item.product_id,
        title=item.title,
        image_url=item.image_url,
        currency=item.currency,
        price_cents=item.price_cents,
    )


host_page_service = HostPageService()
