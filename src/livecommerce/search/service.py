"""Search: what each room, host and product says about itself, kept in the index, and
ranked, highlighted pages of matches for a query."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.db import Database
from livecommerce.kit.errors import ValidationFailed
from livecommerce.kit.pagination import BadCursor, PageRequest, encode_cursor
from livecommerce.live.service import live_service
from livecommerce.models import LiveSession, LiveSessionStatus, ProductStatus, Room, SearchKind
from livecommerce.search.repository import NewDocument, search_repository
from livecommerce.search.schemas import (
    ReindexResult,
    SearchItem,
    SearchPage,
    SearchType,
    TextPart,
)
from livecommerce.search.terms import SNIPPET_CHARS, highlight, parse_query

DEFAULT_PAGE = 20
# Ranked results are paged by position; nobody reads past this many.
MAX_OFFSET = 1000
MAX_BODY_CHARS = 2000
_ON_AIR = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)


class UnknownSearchType(ValidationFailed):
    code = "unknown_search_type"

    def __init__(self) -> None:
        super().__init__("type must be room, product or host (or left out for all kinds).")


def _join(*pieces: str) -> str:
    return " · ".join(piece.strip() for piece in pieces if piece and piece.strip())[:MAX_BODY_CHARS]


def _offset(after: list[Any] | None) -> int:
    if after is None:
        return 0
    if len(after) != 1:
        raise BadCursor()
    (value,) = after
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise BadCursor()
    return value


def _parts(parts: list[Any]) -> list[TextPart]:
    return [TextPart(text=part.text, hit=part.hit) for part in parts]


class SearchService:
    # ---- keeping the index current --------------------------------------------------------

    async def do_prepare_engine(self, db: Database) -> None:
        """At start-up: create SQLite's FTS5 table if missing (filling it from the stored
        documents); PostgreSQL's terms column and GIN index come with the migration."""
        async with db.transaction() as session:
            created = await search_repository.ensure_engine(await session.connection())
            if created:
                await search_repository.refill_engine(session)

    async def do_index_room(self, session: AsyncSession, room_id: str) -> None:
        """(Re)index a room and its host from what they say now."""
        room = (await live_service.get_rooms(session, {room_id})).get(room_id)
        if room is None:
            await search_repository.remove(session, SearchKind.ROOM, room_id)
            return
        host = await account_service.get_user(session, room.host_id)
        sessions = await live_service.sessions_describing_room(session, room.id)
        live = any(item.status in _ON_AIR for item in sessions)
        tags = " ".join(str(tag) for tag in room.tags)
        await search_repository.upsert(
            session,
            NewDocument(
                kind=SearchKind.ROOM,
                ref_id=room.id,
                title=room.name,
                body=_join(*(item.title for item in sessions), tags, host.display_name),
                live=live,
                popularity=room.followers_count,
            ),
        )
        await search_repository.upsert(
            session,
            NewDocument(
                kind=SearchKind.HOST,
                ref_id=host.id,
                title=host.display_name,
                body=_join(room.name, room.catchphrase, tags, room.bio),
                live=live,
                popularity=room.followers_count,
            ),
        )

    async def do_refresh_followers(self, session: AsyncSession, room_id: str) -> None:
        """A room was followed or unfollowed: its and its host's documents take the room's
        followers count now (a tie-break between equally relevant results). The count is
        read, not added to, so events handled late or twice leave it right."""
        room = (await live_service.get_rooms(session, {room_id})).get(room_id)
        if room is None:
            return
        await search_repository.set_popularity(
            session, SearchKind.ROOM, room.id, room.followers_count
        )
        await search_repository.set_popularity(
            session, SearchKind.HOST, room.host_id, room.followers_count
        )

    async def followers_in_index(self, session: AsyncSession, kind: str, ref_id: str) -> int | None:
        """The followers count the index holds for a room or host document (None: not
        indexed)."""
        return await search_repository.popularity(session, kind, ref_id)

    async def do_index_product(self, session: AsyncSession, product_id: str) -> None:
        """(Re)index a product on sale; drafts and products taken off sale leave the index."""
        product = (await catalog_service.get_products(session, {product_id})).get(product_id)
        if product is None or product.status != ProductStatus.ON_SALE:
            await search_repository.remove(session, SearchKind.PRODUCT, product_id)
            return
        merchant = await account_service.get_user(session, product.merchant_id)
        await search_repository.upsert(
            session,
            NewDocument(
                kind=SearchKind.PRODUCT,
                ref_id=product.id,
                title=product.title,
                body=_join(product.category, merchant.display_name, product.description),
                live=False,
                popularity=0,
            ),
        )

    async def do_reindex(self, session: AsyncSession) -> ReindexResult:
        """Rebuild the whole index from the rooms and the products on sale."""
        await search_repository.clear(session)
        room_ids = await live_service.all_room_ids(session)
        for room_id in room_ids:
            await self.do_index_room(session, room_id)
        product_ids = await catalog_service.on_sale_product_ids(session)
        for product_id in product_ids:
            await self.do_index_product(session, product_id)
        return ReindexResult(rooms=len(room_ids), hosts=len(room_ids), products=len(product_ids))

    # ---- searching ------------------------------------------------------------------------

    def check_type(self, value: str | None) -> SearchType | None:
        if value is None or value == "":
            return None
        try:
            return SearchType(value)
        except ValueError:
            raise UnknownSearchType() from None

    async def search(
        self, session: AsyncSession, raw_query: str, type_name: str | None, page: PageRequest
    ) -> SearchPage:
        kind = self.check_type(type_name)
        offset = _offset(page.after)
        size = page.or_default(DEFAULT_PAGE).size
        query = parse_query(raw_query)
        understood = " ".join(query.needles)
        if query.empty or offset >= MAX_OFFSET:
            return SearchPage(query=understood, items=[], next_cursor=None)
        hits = await search_repository.search(
            session, query, kind=None if kind is None else str(kind), limit=size + 1, offset=offset
        )
        more = len(hits) > size
        hits = hits[:size]
        rooms = await live_service.get_rooms(
            session, {hit.ref_id for hit in hits if hit.kind == SearchKind.ROOM}
        )
        hosts_rooms = await live_service.get_rooms_of_hosts(
            session, {hit.ref_id for hit in hits if hit.kind == SearchKind.HOST}
        )
        all_rooms = {**rooms, **{room.id: room for room in hosts_rooms.values()}}
        showing = await self._showing(session, all_rooms)
        products = await catalog_service.get_products(
            session, {hit.ref_id for hit in hits if hit.kind == SearchKind.PRODUCT}
        )
        merchants = await account_service.get_users(
            session, {product.merchant_id for product in products.values()}
        )
        items: list[SearchItem] = []
        for hit in hits:
            common: dict[str, Any] = {
                "kind": SearchType(hit.kind),
                "id": hit.ref_id,
                "title": hit.title,
                "title_parts": _parts(highlight(hit.title, query)),
                "snippet_parts": _parts(highlight(hit.body, query, window=SNIPPET_CHARS)),
            }
            if hit.kind == SearchKind.PRODUCT:
                product = products.get(hit.ref_id)
                if product is None:
                    continue
                prices = [sku.price_cents for sku in product.skus]
                merchant = merchants.get(product.merchant_id)
                items.append(
                    SearchItem(
                        **common,
                        url=f"/products/{product.id}",
                        image_url=catalog_service.product_cover_url(product),
                        price_min_cents=min(prices, default=None),
                        price_max_cents=max(prices, default=None),
                        currency=product.currency,
                        merchant_name=None if merchant is None else merchant.display_name,
                    )
                )
                continue
            room = rooms.get(hit.ref_id) if hit.kind == SearchKind.ROOM else None
            if hit.kind == SearchKind.HOST:
                room = hosts_rooms.get(hit.ref_id)
            if room is None:
                continue
            items.append(SearchItem(**common, **showing[room.id]))
        next_cursor = encode_cursor([offset + size]) if more else None
        return SearchPage(query=understood, items=items, next_cursor=next_cursor)

    async def _showing(
        self, session: AsyncSession, rooms: dict[str, Room]
    ) -> dict[str, dict[str, Any]]:
        """What a room's result shows: live state, online count, the session to open."""
        on_air = await live_service.on_air_sessions(session, set(rooms))
        summaries = {
            summary.room_id: summary
            for summary in await live_service.session_summaries(session, list(on_air.values()))
        }
        shown: dict[str, dict[str, Any]] = {}
        for room in rooms.values():
            summary = summaries.get(room.id)
            target: LiveSession | None = on_air.get(room.id)
            if target is None:
                described = await live_service.sessions_describing_room(session, room.id, limit=1)
                target = described[0] if described else None
            shown[room.id] = {
                "url": None if target is None else f"/live/{target.id}",
                "image_url": live_service.room_brief(room).avatar_url,
                "room_id": room.id,
                "live": summary is not None,
                "session_id": None if target is None else target.id,
                "session_title": None if target is None else target.title,
                "online": None if summary is None else summary.online,
                "followers": room.followers_count,
            }
        return shown


search_service = SearchService()
