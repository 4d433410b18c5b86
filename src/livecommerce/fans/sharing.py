"""Share links (分享) with an attribution code.

A viewer shares a room, a session or a product and gets ``/s/{code}``. Opening it
counts the visitor once per link (a signed-in user by id, anyone else by the browser's
``lc_visitor`` cookie; the sharer's own clicks do not count), publishes
``fans.share_visited`` (the traffic domain's source of the visit) and leads on to the
room, session or product. A paid order in the room within ``share_attribution_days``
of a signed-in visitor's arrival is credited to that link (the latest one the buyer
came through): its orders and spend, and the buyer once. Following the room in the same
window counts the visitor once as a follow of that link.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.service import catalog_service
from livecommerce.fans.events import ShareVisited
from livecommerce.fans.repository import fan_repository
from livecommerce.fans.schemas import ShareLinkIn, ShareLinkOut, ShareTotals
from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.errors import NotFound
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import ShareLink, User
from livecommerce.worker.events import publish

_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def share_path(link: ShareLink) -> str:
    if link.product_id is not None:
        return f"/products/{link.product_id}"
    if link.session_id is not None:
        return f"/live/{link.session_id}"
    return f"/hosts/{link.room_id}"


class ShareLinkNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such share link.", code="share_link_not_found")


class SharingService:
    async def do_create(self, session: AsyncSession, user: User, data: ShareLinkIn) -> ShareLink:
        """The caller's link to the target (the same link again when asked twice)."""
        room = await live_service.get_room(session, data.room_id)
        if data.session_id is not None:
            live_session = await live_service.get_session(session, data.session_id)
            if live_session.room_id != room.id:
                raise NotFound("No such session in this room.", code="live_session_not_found")
        if data.product_id is not None:
            await catalog_service.get_product(session, data.product_id)
        existing = await fan_repository.find_share_link(
            session, user.id, room.id, data.session_id, data.product_id
        )
        if existing is not None:
            return existing
        link = ShareLink(
            id=new_id(),
            code=_new_code(),
            sharer_id=user.id,
            room_id=room.id,
            session_id=data.session_id,
            product_id=data.product_id,
            visitors_count=0,
            follows_count=0,
            buyers_count=0,
            orders_count=0,
            order_cents=0,
        )
        session.add(link)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:  # a concurrent request made it (or, once in 10^14, the code)
            again = await fan_repository.find_share_link(
                session, user.id, room.id, data.session_id, data.product_id
            )
            if again is None:
                raise
            return again
        return link

    async def find_by_code(self, session: AsyncSession, code: str) -> ShareLink | None:
        """The share link with ``code``, if there is one."""
        return await fan_repository.get_share_link_by_code(session, code)

    async def do_visit(
        self, session: AsyncSession, code: str, user: User | None, visitor_id: str | None
    ) -> str:
        """Count a visit through ``code``; the path it leads to."""
        link = await fan_repository.get_share_link_by_code(session, code)
        if link is None:
            raise ShareLinkNotFound()
        key = user.id if user is not None else visitor_id
        now = utcnow()
        first = False
        if key is not None and (user is None or user.id != link.sharer_id):
            first = await fan_repository.insert_share_visit(
                session,
                {
                    "link_id": link.id,
                    "visitor_key": key,
                    "user_id": None if user is None else user.id,
                    "room_id": link.room_id,
                    "first_at": now,
                    "orders_count": 0,
                    "followed": False,
                },
            )
            if first:
                await fan_repository.change_share_link(session, link.id, visitors_count=1)
        await publish(
            session,
            ShareVisited(
                code=link.code,
                link_id=link.id,
                sharer_id=link.sharer_id,
                room_id=link.room_id,
                session_id=link.session_id,
                product_id=link.product_id,
                user_id=None if user is None else user.id,
                visitor_id=visitor_id if user is None else None,
                first=first,
                at=now,
            ),
        )
        # The code rides along so the room can tell the traffic domain where its visit came from.
        return f"{share_path(link)}?share={link.code}"

    async def do_attribute_order(
        self,
        session: AsyncSession,
        *,
        buyer_id: str,
        room_id: str,
        total_cents: int,
        paid_at: datetime,
    ) -> str | None:
        """Credit a paid order to the share link its buyer came through; the link's id."""
        days = runtime_of(session).settings.share_attribution_days
        at = as_utc(paid_at)
        visit = await fan_repository.latest_share_visit(
            session, buyer_id, room_id, at - timedelta(days=days), at
        )
        if visit is None:
            return None
        visit.orders_count += 1
        await fan_repository.change_share_link(
            session,
            visit.link_id,
            orders_count=1,
            order_cents=total_cents,
            buyers_count=1 if visit.orders_count == 1 else 0,
        )
        await session.flush()
        return visit.link_id

    async def do_attribute_follow(
        self, session: AsyncSession, *, user_id: str, room_id: str, followed_at: datetime
    ) -> str | None:
        """Count a follow for the share link its follower came through (the latest one, in
        ``share_attribution_days``), once per visitor and link; the link's id."""
        days = runtime_of(session).settings.share_attribution_days
        at = as_utc(followed_at)
        visit = await fan_repository.latest_share_visit(
            session, user_id, room_id, at - timedelta(days=days), at
        )
        if visit is None or visit.followed:
            return None
        visit.followed = True
        await fan_repository.change_share_link(session, visit.link_id, follows_count=1)
        await session.flush()
        return visit.link_id

    async def page_mine(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[ShareLinkOut]:
        found = await fan_repository.page_share_links(session, sharer_id=user.id, page=page)
        return Page(
            items=[self.link_out(session, link) for link in found.items],
            next_cursor=found.next_cursor,
        )

    async def room_totals(
        self, session: AsyncSession, user: User, room_id: str, page: PageRequest
    ) -> ShareTotals:
        """The host's view: every link to the room, added up, and the links one page a time."""
        room = await live_service.get_room_for_edit(session, user, room_id)
        links, visitors, follows, buyers, cents = await fan_repository.share_totals(
            session, room.id
        )
        found = await fan_repository.page_share_links(session, room_id=room.id, page=page)
        return ShareTotals(
            links=links,
            visitors=visitors,
            follows=follows,
            buyers=buyers,
            order_cents=cents,
            items=[self.link_out(session, link) for link in found.items],
            next_cursor=found.next_cursor,
        )

    def link_out(self, session: AsyncSession, link: ShareLink) -> ShareLinkOut:
        base = runtime_of(session).settings.public_url.rstrip("/")
        return ShareLinkOut(
            code=link.code,
            url=f"{base}/s/{link.code}",
            path=share_path(link),
            room_id=link.room_id,
            session_id=link.session_id,
            product_id=link.product_id,
            sharer_id=link.sharer_id,
            visitors=link.visitors_count,
            follows=link.follows_count,
            buyers=link.buyers_count,
            orders=link.orders_count,
            order_cents=link.order_cents,
            created_at=as_utc(link.created_at),
        )


sharing_service = SharingService()
