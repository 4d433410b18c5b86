"""The search index follows rooms, sessions and products as they change (after commit)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.events import ProductChanged
from livecommerce.kit.events import subscribe
from livecommerce.live.events import (
    RoomChanged,
    RoomFollowed,
    RoomUnfollowed,
    SessionChanged,
    SessionEnded,
    SessionStarted,
)
from livecommerce.search.service import search_service


@subscribe(ProductChanged, "search.index_product")
async def index_product(session: AsyncSession, event: ProductChanged) -> None:
    await search_service.do_index_product(session, event.product_id)


@subscribe(RoomChanged, "search.index_room")
async def index_room(session: AsyncSession, event: RoomChanged) -> None:
    await search_service.do_index_room(session, event.room_id)


@subscribe(SessionChanged, "search.index_room_of_session")
async def index_room_of_session(session: AsyncSession, event: SessionChanged) -> None:
    await search_service.do_index_room(session, event.room_id)


@subscribe(SessionStarted, "search.index_room_on_air")
async def index_room_on_air(session: AsyncSession, event: SessionStarted) -> None:
    await search_service.do_index_room(session, event.room_id)


@subscribe(SessionEnded, "search.index_room_off_air")
async def index_room_off_air(session: AsyncSession, event: SessionEnded) -> None:
    await search_service.do_index_room(session, event.room_id)


@subscribe(RoomFollowed, "search.followers_on_follow")
async def followers_on_follow(session: AsyncSession, event: RoomFollowed) -> None:
    await search_service.do_refresh_followers(session, event.room_id)


@subscribe(RoomUnfollowed, "search.followers_on_unfollow")
async def followers_on_unfollow(session: AsyncSession, event: RoomUnfollowed) -> None:
    await search_service.do_refresh_followers(session, event.room_id)
