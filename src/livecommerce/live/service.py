"""Rooms (persona), follows, live sessions, the showcase and the pinned product."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import (
    Conflict,
    Forbidden,
    LiveCommerceError,
    NotFound,
    ValidationFailed,
)
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit, runtime_of
from livecommerce.live.events import (
    RoomChanged,
    RoomFollowed,
    RoomUnfollowed,
    SessionCancelled,
    SessionChanged,
    SessionEnded,
    SessionReserved,
    SessionScheduled,
    SessionStarted,
)
from livecommerce.live.repository import ON_AIR, live_repository
from livecommerce.live.schemas import (
    LivePrices,
    LiveSessionDetail,
    LiveSessionSummary,
    RoomBrief,
    RoomCreate,
    RoomOut,
    RoomUpdate,
    SessionCreate,
    SessionUpdate,
    ShowcaseItemOut,
    ShowcaseSkuOut,
)
from livecommerce.live.team import team_service
from livecommerce.models import (
    LiveSession,
    LiveSessionStatus,
    Product,
    ProductStatus,
    Role,
    Room,
    ShowcaseItem,
    ShowcaseSkuPrice,
    Sku,
    User,
)
from livecommerce.selling.service import SellAction, selling_service
from livecommerce.worker.events import publish

MAX_SHOWCASE_ITEMS = 200
# A session may be scheduled a little in the past (a host starting right away).
SCHEDULE_GRACE = timedelta(minutes=10)
_EDITABLE_SHOWCASE = (
    LiveSessionStatus.SCHEDULED,
    LiveSessionStatus.LIVE,
    LiveSessionStatus.INTERRUPTED,
)


def effective_price(item: ShowcaseItem | None, sku: Sku) -> int:
    """What one unit of ``sku`` costs in the room: its live price if set, else its own."""
    live = None if item is None else item.live_price_of(sku.id)
    return sku.price_cents if live is None else live


def resolve_live_prices(product: Product, prices: LivePrices) -> dict[str, int]:
    """The live price of each SKU from a request: one price (single-SKU products only)
    or one per SKU; SKUs left out sell at their catalog price."""
    if prices.live_price_cents is not None and prices.live_prices is not None:
        raise ValidationFailed(
            "Give either one live price or a live price per SKU, not both.",
            code="ambiguous_live_price",
        )
    if prices.live_price_cents is not None:
        if len(product.skus) != 1:
            raise ValidationFailed(
                "This product has several SKUs: give each its own live price (live_prices).",
                code="live_price_per_sku",
                details={"sku_ids": [sku.id for sku in product.skus]},
            )
        return {product.skus[0].id: prices.live_price_cents}
    resolved: dict[str, int] = {}
    sku_ids = {sku.id for sku in product.skus}
    for entry in prices.live_prices or []:
        if entry.sku_id not in sku_ids:
            raise ValidationFailed(
                "This SKU belongs to another product.",
                code="sku_not_in_product",
                details={"sku_id": entry.sku_id},
            )
        if entry.sku_id in resolved:
            raise ValidationFailed(
                "Each SKU may have one live price.",
                code="duplicate_sku",
                details={"sku_id": entry.sku_id},
            )
        resolved[entry.sku_id] = entry.live_price_cents
    return resolved


def _sku_price_rows(prices: dict[str, int]) -> list[ShowcaseSkuPrice]:
    return [
        ShowcaseSkuPrice(sku_id=sku_id, live_price_cents=cents) for sku_id, cents in prices.items()
    ]


def _invalid_state(live_session: LiveSession, action: str) -> Conflict:
    return Conflict(
        f"A {live_session.status} session cannot be {action}.",
        code="invalid_session_state",
        details={"status": str(live_session.status)},
    )


class LiveService:
    effective_price = staticmethod(effective_price)

    # ---- reads other domains use ---------------------------------------------------------

    async def get_session(self, session: AsyncSession, session_id: str) -> LiveSession:
        live_session = await live_repository.get_session(session, session_id)
        if live_session is None:
            raise NotFound("No such live session.", code="live_session_not_found")
        return live_session

    async def get_room(self, session: AsyncSession, room_id: str) -> Room:
        room = await live_repository.get_room(session, room_id)
        if room is None:
            raise NotFound("No such room.", code="room_not_found")
        return room

    async def get_showcase_item_for_product(
        self, session: AsyncSession, session_id: str, product_id: str
    ) -> ShowcaseItem | None:
        return await live_repository.get_showcase_item_for_product(session, session_id, product_id)

    async def check_can_moderate(
        self,
        session: AsyncSession,
        user: User,
        live_session: LiveSession,
        action: str | None = None,
        target: str | None = None,
        *,
        record: bool = True,
    ) -> None:
        """The host of the session's room, a platform admin, or (for ``action``) a member
        of the room's team whose role includes it (logged; see ``live/team.py``)."""
        room = await self.get_room(session, live_session.room_id)
        await team_service.check_action(session, user, room, action, target, record=record)

    async def check_room_action(
        self,
        session: AsyncSession,
        user: User,
        room: Room,
        action: str,
        target: str | None,
        *,
        record: bool = True,
    ) -> None:
        """The room's host, an admin, or a team member whose role includes ``action``."""
        await team_service.check_action(session, user, room, action, target, record=record)

    async def can_moderate(
        self, session: AsyncSession, user: User | None, live_session: LiveSession
    ) -> bool:
        """Whether the room's moderator controls show: host, admin or 场控."""
        if user is None:
            return False
        room = await self.get_room(session, live_session.room_id)
        return await team_service.allows(session, user, room, "chat.moderate")

    def check_can_manage_room(self, user: User, room: Room) -> None:
        if not self._manages(user, room):
            raise Forbidden("Only the room's host may do this.", code="not_room_host")

    def _manages(self, user: User, room: Room) -> bool:
        return user.role == Role.PLATFORM_ADMIN or room.host_id == user.id

    def manages(self, user: User, room: Room) -> bool:
        """The room's host or a platform admin: who sees the room's money."""
        return self._manages(user, room)

    # ---- rooms -------------------------------------------------------------------------

    async def get_room_of_host(self, session: AsyncSession, user: User) -> Room:
        room = await live_repository.get_room_by_host(session, user.id)
        if room is None:
            raise NotFound("You have not created your room yet.", code="room_not_found")
        return room

    async def do_create_room(self, session: AsyncSession, user: User, data: RoomCreate) -> Room:
        account_service.check_role(user, Role.HOST, Role.MERCHANT)
        if await live_repository.get_room_by_host(session, user.id) is not None:
            raise Conflict("You already have a room; edit it instead.", code="room_exists")
        room = Room(
            host_id=user.id,
            name=data.name,
            bio=data.bio,
            tags=data.tags,
            catchphrase=data.catchphrase.strip(),
            catchphrases=[],
            followers_count=0,
        )
        if data.catchphrases is not None:
            self._set_catchphrases(room, data.catchphrases)
        elif room.catchphrase:
            room.catchphrases = [room.catchphrase]
        session.add(room)
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent request created it first
            raise Conflict("You already have a room; edit it instead.", code="room_exists") from exc
        await publish(session, RoomChanged(room_id=room.id))
        return room

    async def do_update_room(
        self, session: AsyncSession, user: User, room_id: str, changes: RoomUpdate
    ) -> Room:
        room = await self.get_room(session, room_id)
        self.check_can_manage_room(user, room)
        if changes.name is not None:
            room.name = changes.name
        if changes.bio is not None:
            room.bio = changes.bio
        if changes.tags is not None:
            room.tags = changes.tags
        if changes.catchphrases is not None:
            self._set_catchphrases(room, changes.catchphrases)
        elif changes.catchphrase is not None:
            first = changes.catchphrase.strip()
            rest = [str(value) for value in room.catchphrases[1:] if str(value) != first]
            self._set_catchphrases(room, [first, *rest] if first else rest)
        await session.flush()
        await publish(session, RoomChanged(room_id=room.id))
        return room

    def _set_catchphrases(self, room: Room, values: list[str]) -> None:
        room.catchphrases = list(values)
        room.catchphrase = values[0] if values else ""

    async def get_room_for_edit(self, session: AsyncSession, user: User, room_id: str) -> Room:
        room = await self.get_room(session, room_id)
        self.check_can_manage_room(user, room)
        return room

    async def do_set_room_avatar(
        self, session: AsyncSession, user: User, room: Room, source: BinaryIO
    ) -> Room:
        self.check_can_manage_room(user, room)
        stored = await catalog_service.do_store_upload(session, source)
        previous = room.avatar_filename
        room.avatar_filename = stored.filename
        await session.flush()
        if previous:
            catalog_service.do_delete_upload_after_commit(session, previous)
        return room

    async def do_follow(self, session: AsyncSession, user: User, room_id: str) -> int:
        """Follow a room (idempotent); the room's followers count afterwards."""
        room = await self.get_room(session, room_id)
        if await live_repository.insert_follow(session, user.id, room.id):
            count = await live_repository.change_followers(session, room.id, 1)
            await publish(session, RoomFollowed(room_id=room.id, user_id=user.id, at=utcnow()))
            return count
        return await live_repository.followers_count(session, room.id)

    async def is_following(self, session: AsyncSession, user_id: str, room_id: str) -> bool:
        return await live_repository.is_following(session, user_id, room_id)

    async def do_unfollow(self, session: AsyncSession, user: User, room_id: str) -> int:
        room = await self.get_room(session, room_id)
        if await live_repository.delete_follow(session, user.id, room.id):
            count = await live_repository.change_followers(session, room.id, -1)
            await publish(session, RoomUnfollowed(room_id=room.id, user_id=user.id, at=utcnow()))
            return count
        return await live_repository.followers_count(session, room.id)

    async def room_out(self, session: AsyncSession, room: Room, viewer: User | None) -> RoomOut:
        host = await account_service.get_user(session, room.host_id)
        following = (
            None
            if viewer is None
            else await live_repository.is_following(session, viewer.id, room.id)
        )
        on_air = await live_repository.get_on_air_session(session, room.id)
        await session.refresh(room, ["followers_count"])
        return RoomOut(
            **self.room_brief(room).model_dump(),
            host_id=room.host_id,
            host_name=host.display_name,
            following=following,
            current_session_id=None if on_air is None else on_air.id,
            created_at=room.created_at,
        )

    async def get_rooms(self, session: AsyncSession, room_ids: set[str]) -> dict[str, Room]:
        return await live_repository.get_rooms(session, room_ids)

    async def get_rooms_of_hosts(
        self, session: AsyncSession, host_ids: set[str]
    ) -> dict[str, Room]:
        """The rooms of these hosts, by host id (a host has at most one room)."""
        return await live_repository.get_rooms_of_hosts(session, host_ids)

    async def all_room_ids(self, session: AsyncSession) -> list[str]:
        return await live_repository.all_room_ids(session)

    async def sessions_describing_room(
        self, session: AsyncSession, room_id: str, *, limit: int = 5
    ) -> list[LiveSession]:
        """The sessions that say what a room is about: on air, upcoming, then the latest."""
        return await live_repository.sessions_of_rooms_for_search(session, room_id, limit=limit)

    async def on_air_sessions(
        self, session: AsyncSession, room_ids: set[str]
    ) -> dict[str, LiveSession]:
        """Each of these rooms' session on air (live or interrupted), by room."""
        return await live_repository.on_air_sessions_of_rooms(session, room_ids)

    async def sessions_selling_now(
        self, session: AsyncSession, product_id: str, *, limit: int = 20
    ) -> list[LiveSessionSummary]:
        """Sessions on air whose showcase holds the product, newest first."""
        live_sessions = await live_repository.on_air_sessions_selling(
            session, product_id, limit=limit
        )
        return await self.session_summaries(session, live_sessions)

    def room_brief(self, room: Room) -> RoomBrief:
        return RoomBrief(
            id=room.id,
            name=room.name,
            avatar_url=self._media_url(room.avatar_filename),
            bio=room.bio,
            tags=[str(tag) for tag in room.tags],
            catchphrase=room.catchphrase,
            catchphrases=[str(value) for value in room.catchphrases or []]
            or ([room.catchphrase] if room.catchphrase else []),
            followers_count=room.followers_count,
        )

    # ---- sessions ----------------------------------------------------------------------

    async def list_sessions(
        self, session: AsyncSession, *, status: str | None, room_id: str | None, limit: int
    ) -> list[LiveSession]:
        page = await self.page_sessions(
            session, status=status, room_id=room_id, page=PageRequest(limit=limit)
        )
        return page.items

    async def current_or_next_session(
        self, session: AsyncSession, room_id: str, *, upcoming_first: bool = False
    ) -> LiveSession | None:
        """The room's session on air, else its soonest planned one (``upcoming_first``:
        the other way round, for work done before a session)."""
        order = [LiveSessionStatus.LIVE, LiveSessionStatus.SCHEDULED]
        if upcoming_first:
            order.reverse()
        for status in order:
            found = await self.list_sessions(session, status=status, room_id=room_id, limit=1)
            if found:
                return found[0]
        return None

    async def page_sessions(
        self,
        session: AsyncSession,
        *,
        status: str | None,
        room_id: str | None,
        page: PageRequest,
        room_ids: Sequence[str] | None = None,
    ) -> Page[LiveSession]:
        """Sessions by state (none: all but cancelled ones, except in one room's list),
        of one room, of some rooms (``room_ids``) or of every room."""
        statuses: list[str] | None
        if status is None:
            statuses = [str(value) for value in LiveSessionStatus if value != "cancelled"]
            if room_id is not None:
                statuses = None
        elif status == LiveSessionStatus.LIVE:
            # An interrupted stream is still the session on air: it resumes when back.
            statuses = [str(value) for value in ON_AIR]
        else:
            statuses = [status]
        return await live_repository.list_sessions(
            session, statuses=statuses, room_id=room_id, page=page, room_ids=room_ids
        )

    async def do_schedule_session(
        self, session: AsyncSession, user: User, room_id: str, data: SessionCreate
    ) -> LiveSession:
        room = await self.get_room_for_edit(session, user, room_id)
        self._check_planned_start(data.planned_start_at)
        live_session = LiveSession(
            room_id=room.id,
            title=data.title,
            status=LiveSessionStatus.SCHEDULED,
            planned_start_at=data.planned_start_at,
            peak_online=0,
        )
        session.add(live_session)
        await session.flush()
        await publish(session, SessionChanged(session_id=live_session.id, room_id=room.id))
        await publish(session, self._scheduled(live_session))
        return live_session

    def _scheduled(self, live_session: LiveSession) -> SessionScheduled:
        return SessionScheduled(
            session_id=live_session.id,
            room_id=live_session.room_id,
            planned_start_at=live_session.planned_start_at,
            reservation_count=live_session.reservation_count or 0,
        )

    async def get_session_for_edit(
        self, session: AsyncSession, user: User, session_id: str, action: str | None = None
    ) -> LiveSession:
        live_session = await self.get_session(session, session_id)
        await self.check_can_moderate(session, user, live_session, action, session_id)
        return live_session

    async def do_update_session(
        self, session: AsyncSession, user: User, session_id: str, changes: SessionUpdate
    ) -> LiveSession:
        live_session = await self.get_session_for_edit(session, user, session_id)
        if live_session.status in (LiveSessionStatus.ENDED, LiveSessionStatus.CANCELLED):
            raise _invalid_state(live_session, "edited")
        if changes.title is not None:
            live_session.title = changes.title
        if changes.planned_start_at is not None:
            if live_session.status != LiveSessionStatus.SCHEDULED:
                raise _invalid_state(live_session, "rescheduled")
            self._check_planned_start(changes.planned_start_at)
            moved = live_session.planned_start_at != changes.planned_start_at
            live_session.planned_start_at = changes.planned_start_at
            if moved:
                await session.refresh(live_session, ["reservation_count"])
                await publish(session, self._scheduled(live_session))
        await session.flush()
        await publish(
            session, SessionChanged(session_id=live_session.id, room_id=live_session.room_id)
        )
        return live_session

    async def do_set_session_cover(
        self, session: AsyncSession, user: User, live_session: LiveSession, source: BinaryIO
    ) -> LiveSession:
        await self.check_can_moderate(session, user, live_session)
        stored = await catalog_service.do_store_upload(session, source)
        previous = live_session.cover_filename
        live_session.cover_filename = stored.filename
        await session.flush()
        if previous:
            catalog_service.do_delete_upload_after_commit(session, previous)
        return live_session

    async def do_start_session(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        """scheduled → live, or interrupted → live when the stream is back."""
        live_session = await self.get_session_for_edit(session, user, session_id)
        return await self._go_live(session, live_session)

    async def do_end_session(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        live_session = await self.get_session_for_edit(session, user, session_id)
        return await self.do_finish(session, live_session)

    async def do_cancel_session(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        live_session = await self.get_session_for_edit(session, user, session_id)
        await self._transition(
            session,
            live_session,
            "cancelled",
            (LiveSessionStatus.SCHEDULED,),
            {"status": LiveSessionStatus.CANCELLED, "ended_at": utcnow()},
        )
        await session.refresh(live_session, ["reservation_count"])
        await publish(
            session,
            SessionCancelled(
                session_id=live_session.id,
                room_id=live_session.room_id,
                at=utcnow(),
                reservation_count=live_session.reservation_count,
            ),
        )
        await publish(
            session, SessionChanged(session_id=live_session.id, room_id=live_session.room_id)
        )
        return live_session

    # ---- reservations (直播预约) ----------------------------------------------------------

    async def do_reserve(self, session: AsyncSession, user: User, session_id: str) -> int:
        """Reserve an upcoming session (idempotent); its reservation count afterwards."""
        live_session = await self.get_session(session, session_id)
        if live_session.status != LiveSessionStatus.SCHEDULED:
            raise Conflict(
                "Only a session that has not started yet can be reserved.",
                code="session_not_upcoming",
                details={"status": str(live_session.status)},
            )
        if not await live_repository.insert_reservation(session, user.id, live_session.id):
            return await live_repository.reservation_count(session, live_session.id)
        count = await live_repository.change_reservations(session, live_session.id, 1)
        await publish(
            session,
            SessionReserved(
                session_id=live_session.id,
                room_id=live_session.room_id,
                user_id=user.id,
                planned_start_at=live_session.planned_start_at,
                reservation_count=count,
            ),
        )
        return count

    async def do_unreserve(self, session: AsyncSession, user: User, session_id: str) -> int:
        """Withdraw a reservation (idempotent, in any state); the count afterwards."""
        live_session = await self.get_session(session, session_id)
        if await live_repository.delete_reservation(session, user.id, live_session.id):
            return await live_repository.change_reservations(session, live_session.id, -1)
        return await live_repository.reservation_count(session, live_session.id)

    async def reservers_among(
        self,
        session: AsyncSession,
        session_id: str,
        user_ids: Sequence[str],
        since: datetime | None = None,
    ) -> set[str]:
        """Which of these users reserved the session (since then, if given)."""
        return await live_repository.reservers_among(session, session_id, user_ids, since)

    async def showcase_product_ids(self, session: AsyncSession, session_id: str) -> list[str]:
        """The products of a session's showcase, in the showcase's order."""
        items = await live_repository.list_showcase(session, session_id)
        return [item.product_id for item in items]

    async def reserver_ids(
        self, session: AsyncSession, session_id: str, *, after: str | None, limit: int
    ) -> list[str]:
        """Who reserved a session, in a stable order, one batch at a time (reminders)."""
        return await live_repository.reserver_ids(session, session_id, after=after, limit=limit)

    async def do_mark_interrupted(
        self, session: AsyncSession, live_session: LiveSession
    ) -> LiveSession:
        """The stream dropped (media ingest): live → interrupted."""
        await self._transition(
            session,
            live_session,
            "interrupted",
            (LiveSessionStatus.LIVE,),
            {"status": LiveSessionStatus.INTERRUPTED},
        )
        return live_session

    async def do_resume(self, session: AsyncSession, live_session: LiveSession) -> LiveSession:
        """The stream is back (media ingest): scheduled or interrupted → live."""
        return await self._go_live(session, live_session)

    async def do_finish(self, session: AsyncSession, live_session: LiveSession) -> LiveSession:
        """live or interrupted → ended; the pinned product is taken down."""
        await self._transition(
            session,
            live_session,
            "ended",
            ON_AIR,
            {"status": LiveSessionStatus.ENDED, "ended_at": utcnow(), "pinned_item_id": None},
        )
        await publish(
            session,
            SessionEnded(session_id=live_session.id, room_id=live_session.room_id, at=utcnow()),
        )
        return live_session

    async def _go_live(self, session: AsyncSession, live_session: LiveSession) -> LiveSession:
        startable = (LiveSessionStatus.SCHEDULED, LiveSessionStatus.INTERRUPTED)
        if live_session.status not in startable:
            raise _invalid_state(live_session, "started")
        other = await live_repository.get_on_air_session(
            session, live_session.room_id, other_than=live_session.id
        )
        if other is not None:
            raise Conflict(
                "This room already has a session on air; end it first.",
                code="room_already_live",
                details={"session_id": other.id},
            )
        values: dict[str, Any] = {"status": LiveSessionStatus.LIVE}
        resumed = live_session.started_at is not None
        if not resumed:
            values["started_at"] = utcnow()
        await self._transition(
            session,
            live_session,
            "started",
            startable,
            values,
        )
        await session.refresh(live_session, ["reservation_count"])
        await publish(
            session,
            SessionStarted(
                session_id=live_session.id,
                room_id=live_session.room_id,
                resumed=resumed,
                at=utcnow(),
                reservation_count=live_session.reservation_count,
            ),
        )
        return live_session

    async def _transition(
        self,
        session: AsyncSession,
        live_session: LiveSession,
        action: str,
        from_statuses: tuple[str, ...],
        values: dict[str, Any],
    ) -> None:
        if not await live_repository.transition(session, live_session, from_statuses, values):
            await session.refresh(live_session)
            raise _invalid_state(live_session, action)
        publish_after_commit(
            session,
            live_channel(live_session.id),
            {"type": "session_state", "status": str(live_session.status)},
        )

    def _check_planned_start(self, planned_start_at: datetime) -> None:
        if planned_start_at < utcnow() - SCHEDULE_GRACE:
            raise ValidationFailed(
                "The planned start is in the past.", code="planned_start_in_past"
            )

    # ---- showcase ------------------------------------------------------------------------

    async def list_showcase(
        self, session: AsyncSession, live_session: LiveSession
    ) -> list[ShowcaseItemOut]:
        items = await live_repository.list_showcase(session, live_session.id)
        products = await catalog_service.get_products(session, {item.product_id for item in items})
        return [self.showcase_item_out(item, products[item.product_id]) for item in items]

    async def get_pinned_item_out(
        self, session: AsyncSession, live_session: LiveSession
    ) -> ShowcaseItemOut | None:
        """The pinned showcase item as the room shows it (the ``pinned`` message's item)."""
        if live_session.pinned_item_id is None:
            return None
        item = await live_repository.get_showcase_item(session, live_session.pinned_item_id)
        if item is None:
            return None
        product = await catalog_service.get_product(session, item.product_id)
        return self.showcase_item_out(item, product)

    async def do_add_showcase_item(
        self,
        session: AsyncSession,
        user: User,
        session_id: str,
        product_id: str,
        prices: LivePrices,
    ) -> ShowcaseItemOut:
        live_session = await self._showcase_session_for_edit(session, user, session_id)
        product = await catalog_service.get_product(session, product_id)
        if product.status != ProductStatus.ON_SALE:
            raise Conflict(
                "Only products on sale can be put in the showcase.", code="product_not_on_sale"
            )
        live_prices = resolve_live_prices(product, prices)
        await self.check_host_may_sell(
            session, live_session, product, SellAction.SHOWCASE, live_prices
        )
        if await live_repository.get_showcase_item_for_product(session, session_id, product.id):
            raise Conflict("This product is already in the showcase.", code="already_in_showcase")
        if await live_repository.count_showcase(session, session_id) >= MAX_SHOWCASE_ITEMS:
            raise Conflict(
                f"A showcase holds at most {MAX_SHOWCASE_ITEMS} products.", code="showcase_full"
            )
        item = ShowcaseItem(
            session_id=live_session.id,
            product_id=product.id,
            position=await live_repository.next_showcase_position(session, live_session.id),
            sku_prices=_sku_price_rows(live_prices),
        )
        session.add(item)
        try:
            await session.flush()
        except IntegrityError as exc:  # the same product added concurrently
            raise Conflict(
                "This product is already in the showcase.", code="already_in_showcase"
            ) from exc
        await self._announce_showcase(session, live_session)
        return self.showcase_item_out(item, product)

    async def do_update_showcase_item(
        self,
        session: AsyncSession,
        user: User,
        session_id: str,
        item_id: str,
        prices: LivePrices,
    ) -> ShowcaseItemOut:
        live_session = await self._showcase_session_for_edit(session, user, session_id)
        item = await self._get_item(session, live_session, item_id)
        product = await catalog_service.get_product(session, item.product_id)
        live_prices = resolve_live_prices(product, prices)
        await self.check_host_may_sell(
            session, live_session, product, SellAction.SHOWCASE, live_prices
        )
        kept = [row for row in item.sku_prices if row.sku_id in live_prices]
        for row in kept:
            row.live_price_cents = live_prices[row.sku_id]
        known = {row.sku_id for row in kept}
        item.sku_prices = kept + _sku_price_rows(
            {sku_id: cents for sku_id, cents in live_prices.items() if sku_id not in known}
        )
        await session.flush()
        await self._announce_showcase(session, live_session)
        if live_session.pinned_item_id == item.id:
            await self._announce_pinned(session, live_session)
        return self.showcase_item_out(item, product)

    async def check_still_sold_here(
        self,
        session: AsyncSession,
        live_session: LiveSession,
        product: Product,
        sku: Sku,
        unit_price_cents: int,
    ) -> None:
        """A buyer's order in the room: the host's right to sell the product at this price
        still holds (an offer may have closed, or a staff link ended, since it was listed)."""
        try:
            await self.check_host_may_sell(
                session, live_session, product, SellAction.SHOWCASE, {sku.id: unit_price_cents}
            )
        except LiveCommerceError as exc:
            raise Conflict(
                "This product is no longer sold in this room.", code="not_sold_here"
            ) from exc

    async def check_host_may_sell(
        self,
        session: AsyncSession,
        live_session: LiveSession,
        product: Product,
        action: SellAction,
        prices: dict[str, int] | None = None,
    ) -> None:
        """The session's host may sell ``product`` this way at these SKU prices."""
        room = await self.get_room(session, live_session.room_id)
        await selling_service.check_may_sell(session, room.host_id, product, action, prices)

    async def do_remove_showcase_item(
        self, session: AsyncSession, user: User, session_id: str, item_id: str
    ) -> None:
        live_session = await self._showcase_session_for_edit(session, user, session_id)
        item = await self._get_item(session, live_session, item_id)
        if live_session.pinned_item_id == item.id:
            live_session.pinned_item_id = None
            await live_repository.add_pin_event(session, live_session.id, None)
            await self._announce_pinned(session, live_session)
        await session.delete(item)
        await session.flush()
        await self._announce_showcase(session, live_session)

    async def do_reorder_showcase(
        self, session: AsyncSession, user: User, session_id: str, item_ids: list[str]
    ) -> list[ShowcaseItemOut]:
        live_session = await self._showcase_session_for_edit(session, user, session_id)
        items = await live_repository.list_showcase(session, live_session.id)
        by_id = {item.id: item for item in items}
        if len(item_ids) != len(set(item_ids)) or set(item_ids) != set(by_id):
            raise ValidationFailed(
                "List every showcase item exactly once, in the new order.",
                code="invalid_showcase_order",
            )
        for position, item_id in enumerate(item_ids):
            by_id[item_id].position = position
        await session.flush()
        return await self._announce_showcase(session, live_session)

    async def do_pin(
        self, session: AsyncSession, user: User, session_id: str, item_id: str | None
    ) -> ShowcaseItemOut | None:
        """Pin a showcase item (讲解中), or unpin with None; only while live."""
        live_session = await self.get_session_for_edit(session, user, session_id, "pin")
        if live_session.status != LiveSessionStatus.LIVE:
            raise _invalid_state(live_session, "given a pinned product")
        if item_id is not None:
            await self._get_item(session, live_session, item_id)
        elif live_session.pinned_item_id is None:
            return None  # nothing pinned: nothing to record or announce
        live_session.pinned_item_id = item_id
        await live_repository.add_pin_event(session, live_session.id, item_id)
        return await self._announce_pinned(session, live_session)

    def showcase_item_out(self, item: ShowcaseItem, product: Product) -> ShowcaseItemOut:
        skus = [
            ShowcaseSkuOut(
                id=sku.id,
                spec=dict(sku.spec),
                price_cents=effective_price(item, sku),
                list_price_cents=sku.price_cents,
                live_price_cents=item.live_price_of(sku.id),
                stock=sku.stock,
            )
            for sku in product.skus
        ]
        live = [sku.live_price_cents for sku in skus if sku.live_price_cents is not None]
        return ShowcaseItemOut(
            id=item.id,
            session_id=item.session_id,
            product_id=product.id,
            title=product.title,
            image_url=catalog_service.product_cover_url(product),
            currency=product.currency,
            live_price_cents=min(live, default=None),
            price_cents=min((sku.price_cents for sku in skus), default=0),
            skus=skus,
            position=item.position,
        )

    async def _showcase_session_for_edit(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        live_session = await self.get_session_for_edit(session, user, session_id, "showcase")
        if live_session.status not in _EDITABLE_SHOWCASE:
            raise _invalid_state(live_session, "given a new showcase")
        return live_session

    async def _get_item(
        self, session: AsyncSession, live_session: LiveSession, item_id: str
    ) -> ShowcaseItem:
        item = await live_repository.get_showcase_item(session, item_id)
        if item is None or item.session_id != live_session.id:
            raise NotFound(
                "This session has no such showcase item.", code="showcase_item_not_found"
            )
        return item

    async def _announce_showcase(
        self, session: AsyncSession, live_session: LiveSession
    ) -> list[ShowcaseItemOut]:
        items = await self.list_showcase(session, live_session)
        publish_after_commit(
            session,
            live_channel(live_session.id),
            {"type": "showcase", "items": [item.model_dump(mode="json") for item in items]},
        )
        return items

    async def _announce_pinned(
        self, session: AsyncSession, live_session: LiveSession
    ) -> ShowcaseItemOut | None:
        pinned = await self.get_pinned_item_out(session, live_session)
        publish_after_commit(
            session,
            live_channel(live_session.id),
            {"type": "pinned", "item": None if pinned is None else pinned.model_dump(mode="json")},
        )
        return pinned

    # ---- shaping ---------------------------------------------------------------------------

    def online_count(self, session: AsyncSession, session_id: str) -> int:
        """Viewers connected now, from the realtime hub (0 before it can count)."""
        hub = runtime_of(session).extras.get("hub")
        count = getattr(hub, "online_count", None)
        return int(count(session_id)) if callable(count) else 0

    async def session_summaries(
        self, session: AsyncSession, live_sessions: list[LiveSession], viewer: User | None = None
    ) -> list[LiveSessionSummary]:
        rooms = await live_repository.get_rooms(session, {item.room_id for item in live_sessions})
        reserved: set[str] = (
            set()
            if viewer is None
            else await live_repository.reserved_session_ids(
                session, viewer.id, {item.id for item in live_sessions}
            )
        )
        hosts = await account_service.get_users(session, {room.host_id for room in rooms.values()})
        summaries = []
        for live_session in live_sessions:
            room = rooms[live_session.room_id]
            host = hosts.get(room.host_id)
            summaries.append(
                LiveSessionSummary(
                    id=live_session.id,
                    title=live_session.title,
                    status=str(live_session.status),
                    room_id=room.id,
                    room_name=room.name,
                    host_id=room.host_id,
                    host_name="" if host is None else host.display_name,
                    cover_url=self._media_url(live_session.cover_filename),
                    planned_start_at=live_session.planned_start_at,
                    started_at=live_session.started_at,
                    online=self.online_count(session, live_session.id),
                    reservation_count=live_session.reservation_count,
                    reserved=None if viewer is None else live_session.id in reserved,
                )
            )
        return summaries

    async def session_detail(
        self, session: AsyncSession, live_session: LiveSession, viewer: User | None = None
    ) -> LiveSessionDetail:
        await session.refresh(live_session, ["reservation_count"])
        (summary,) = await self.session_summaries(session, [live_session], viewer)
        room = await self.get_room(session, live_session.room_id)
        await session.refresh(room, ["followers_count"])
        showcase = await self.list_showcase(session, live_session)
        pinned = next((item for item in showcase if item.id == live_session.pinned_item_id), None)
        return LiveSessionDetail(
            **summary.model_dump(),
            ended_at=live_session.ended_at,
            room=self.room_brief(room),
            showcase=showcase,
            pinned=pinned,
        )

    def _media_url(self, filename: str | None) -> str | None:
        return None if filename is None else catalog_service.media_url(filename)


live_service = LiveService()
