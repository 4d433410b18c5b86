"""Fan clubs' queries: the only place in fans that builds SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select, tuple_, union, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.clock import as_utc
from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    FanChatAward,
    FanClub,
    FanClubMember,
    FanIntimacyDay,
    FanStats,
    Follow,
    Order,
    OrderItem,
    OrderStatus,
    Reservation,
    RoomMute,
    ShareLink,
    ShareVisit,
    User,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _insert_ignoring_conflicts(session: AsyncSession, model: Any, values: dict[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(model).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(model).values(values).on_conflict_do_nothing()
    return insert(model).values(values)  # pragma: no cover - the supported databases are above


class FanRepository:
    # ---- clubs ---------------------------------------------------------------------------

    async def get_club(self, session: AsyncSession, room_id: str) -> FanClub | None:
        return await session.get(FanClub, room_id)

    async def ensure_club(self, session: AsyncSession, room_id: str, badge_name: str) -> FanClub:
        await session.execute(
            _insert_ignoring_conflicts(
                session, FanClub, {"room_id": room_id, "badge_name": badge_name}
            )
        )
        club = await session.get(FanClub, room_id)
        assert club is not None
        return club

    async def clubs_selling(self, session: AsyncSession, product_id: str) -> list[FanClub]:
        result = await session.execute(
            select(FanClub).where(FanClub.badge_product_id == product_id)
        )
        return list(result.scalars())

    async def change_members(self, session: AsyncSession, room_id: str, delta: int) -> None:
        await session.execute(
            update(FanClub)
            .where(FanClub.room_id == room_id, FanClub.members_count + delta >= 0)
            .values(members_count=FanClub.members_count + delta)
        )

    async def members_count(self, session: AsyncSession, room_id: str) -> int:
        result = await session.execute(
            select(FanClub.members_count).where(FanClub.room_id == room_id)
        )
        return int(result.scalar_one_or_none() or 0)

    # ---- members -------------------------------------------------------------------------

    async def insert_member(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        """Insert unless the viewer is a member already; True when a row was added."""
        statement = _insert_ignoring_conflicts(session, FanClubMember, values)
        result = await session.execute(statement.returning(FanClubMember.id))
        return result.first() is not None

    async def get_member(
        self, session: AsyncSession, room_id: str, user_id: str, *, for_update: bool = False
    ) -> FanClubMember | None:
        query = select(FanClubMember).where(
            FanClubMember.room_id == room_id, FanClubMember.user_id == user_id
        )
        if for_update:
            query = query.with_for_update()
        result = await session.execute(query.execution_options(populate_existing=True))
        return result.scalar_one_or_none()

    async def members_of(
        self, session: AsyncSession, pairs: set[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        """Which (room, user) pairs are members: one query for a batch of events."""
        if not pairs:
            return set()
        result = await session.execute(
            select(FanClubMember.room_id, FanClubMember.user_id).where(
                tuple_(FanClubMember.room_id, FanClubMember.user_id).in_(sorted(pairs))
            )
        )
        return {(room_id, user_id) for room_id, user_id in result.all()}

    async def delete_member(self, session: AsyncSession, room_id: str, user_id: str) -> bool:
        result = await session.execute(
            delete(FanClubMember)
            .where(FanClubMember.room_id == room_id, FanClubMember.user_id == user_id)
            .returning(FanClubMember.id)
        )
        return result.first() is not None

    async def touch_member(
        self, session: AsyncSession, room_id: str, user_id: str, at: datetime
    ) -> None:
        """Move ``last_active_at`` forward to ``at`` (never back)."""
        await session.execute(
            update(FanClubMember)
            .where(
                FanClubMember.room_id == room_id,
                FanClubMember.user_id == user_id,
                FanClubMember.last_active_at < at,
            )
            .values(last_active_at=at)
        )

    async def badges_of(
        self, session: AsyncSession, room_id: str, user_ids: set[str]
    ) -> dict[str, FanClubMember]:
        if not user_ids:
            return {}
        result = await session.execute(
            select(FanClubMember).where(
                FanClubMember.room_id == room_id, FanClubMember.user_id.in_(sorted(user_ids))
            )
        )
        return {member.user_id: member for member in result.scalars()}

    async def level_of(self, session: AsyncSession, room_id: str, user_id: str) -> int | None:
        result = await session.execute(
            select(FanClubMember.level).where(
                FanClubMember.room_id == room_id, FanClubMember.user_id == user_id
            )
        )
        level = result.scalar_one_or_none()
        return None if level is None else int(level)

    async def memberships_count(self, session: AsyncSession, user_id: str) -> int:
        result = await session.execute(select(func.count()).where(FanClubMember.user_id == user_id))
        return int(result.scalar_one())

    async def page_present(
        self, session: AsyncSession, session_id: str, since: datetime, page: PageRequest
    ) -> Page[FanClubMember]:
        """Members watching a session now, highest level (then intimacy) first."""
        query = select(FanClubMember).where(
            FanClubMember.present_session_id == session_id, FanClubMember.present_at >= since
        )
        keyset = (
            desc(FanClubMember.level),
            desc(FanClubMember.intimacy),
            asc(FanClubMember.id),
        )
        return await fetch_page(session, query, keyset, page)

    # ---- intimacy days -------------------------------------------------------------------

    async def day_for_update(
        self, session: AsyncSession, room_id: str, user_id: str, day: date
    ) -> FanIntimacyDay:
        await session.execute(
            _insert_ignoring_conflicts(
                session, FanIntimacyDay, {"room_id": room_id, "user_id": user_id, "day": day}
            )
        )
        result = await session.execute(
            select(FanIntimacyDay)
            .where(
                FanIntimacyDay.room_id == room_id,
                FanIntimacyDay.user_id == user_id,
                FanIntimacyDay.day == day,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one()

    async def get_day(
        self, session: AsyncSession, room_id: str, user_id: str, day: date
    ) -> FanIntimacyDay | None:
        return await session.get(FanIntimacyDay, (room_id, user_id, day))

    # ---- chat awards ---------------------------------------------------------------------

    async def insert_chat_award(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        """Store what a message earned unless a row exists (a removal came first)."""
        statement = _insert_ignoring_conflicts(session, FanChatAward, values)
        result = await session.execute(statement.returning(FanChatAward.message_id))
        return result.first() is not None

    async def get_chat_award_for_update(
        self, session: AsyncSession, message_id: str
    ) -> FanChatAward | None:
        result = await session.execute(
            select(FanChatAward)
            .where(FanChatAward.message_id == message_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    # ---- the host's fan list -------------------------------------------------------------

    async def stats_for_update(self, session: AsyncSession, room_id: str, user_id: str) -> FanStats:
        await session.execute(
            _insert_ignoring_conflicts(session, FanStats, {"room_id": room_id, "user_id": user_id})
        )
        result = await session.execute(
            select(FanStats)
            .where(FanStats.room_id == room_id, FanStats.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.scalar_one()

    async def page_fans(
        self,
        session: AsyncSession,
        room_id: str,
        *,
        segment: str,
        min_level: int | None,
        sort: str,
        page: PageRequest,
    ) -> Page[tuple[Any, ...]]:
        """Followers and fan-club members of a room (follows are the room's to read here:
        the list is the host's), with their membership and stats, one tuple a person."""
        people = union(
            select(Follow.user_id.label("user_id")).where(Follow.room_id == room_id),
            select(FanClubMember.user_id.label("user_id")).where(FanClubMember.room_id == room_id),
        ).subquery()
        user_id = people.c.user_id
        following = (
            select(Follow.user_id)
            .where(Follow.room_id == room_id, Follow.user_id == user_id)
            .exists()
        )
        choices: dict[str, list[Any]] = {
            "level": [
                func.coalesce(FanClubMember.level, 0),
                func.coalesce(FanClubMember.intimacy, 0),
            ],
            "last_seen": [
                func.coalesce(FanStats.last_seen_at, literal(EPOCH, FanStats.last_seen_at.type))
            ],
            "spend": [func.coalesce(FanStats.spend_cents, 0)],
            "orders": [func.coalesce(FanStats.orders_count, 0)],
            "sessions": [func.coalesce(FanStats.sessions_watched, 0)],
        }
        sort_columns = choices[sort]
        query = (
            select(
                user_id,
                User.display_name,
                following,
                FanClubMember.level,
                FanClubMember.intimacy,
                FanClubMember.joined_at,
                FanStats.last_seen_at,
                FanStats.sessions_watched,
                FanStats.orders_count,
                FanStats.spend_cents,
                FanClubMember.last_active_at,
                *(column.label(f"sort_{index}") for index, column in enumerate(sort_columns)),
            )
            .join(User, User.id == user_id)
            .outerjoin(
                FanClubMember,
                and_(FanClubMember.room_id == room_id, FanClubMember.user_id == user_id),
            )
            .outerjoin(FanStats, and_(FanStats.room_id == room_id, FanStats.user_id == user_id))
        )
        if segment == "followers":
            query = query.where(following)
        elif segment == "members":
            query = query.where(FanClubMember.id.is_not(None))
        if min_level is not None:
            query = query.where(FanClubMember.level >= min_level)

        count = len(sort_columns)

        def key(row: tuple[Any, ...]) -> list[Any]:
            values = [as_utc(v) if isinstance(v, datetime) else v for v in row[-count:]]
            return [*values, row[0]]

        orders = (*(desc(column) for column in sort_columns), asc(user_id))
        return await fetch_page(session, query, orders, page, key=key, whole_rows=True)

    # ---- segments of the host's messages ----------------------------------------------

    async def segment_ids(
        self,
        session: AsyncSession,
        room_id: str,
        *,
        audience: str,
        min_level: int | None,
        session_id: str | None,
    ) -> list[str]:
        """The user ids of one audience of a room, sorted (stable batches and tests)."""
        followers = select(Follow.user_id).where(Follow.room_id == room_id)
        members = select(FanClubMember.user_id).where(FanClubMember.room_id == room_id)
        if min_level is not None:
            members = members.where(FanClubMember.level >= min_level)
        query: Any
        if audience == "followers":
            query = followers
        elif audience == "members":
            query = members
        elif audience == "reservers":
            query = select(Reservation.user_id).where(Reservation.session_id == session_id)
        elif audience == "buyers":
            query = select(FanStats.user_id).where(
                FanStats.room_id == room_id, FanStats.orders_count > 0
            )
        else:
            query = union(followers, members)
        rows = (await session.execute(query)).scalars().all()
        return sorted(set(rows))

    # Orders that were paid (a refunded one was bought too: its buyer is still a buyer).
    _BOUGHT = (
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.REFUNDED,
    )

    async def product_buyer_ids(
        self, session: AsyncSession, room_id: str, product_id: str
    ) -> list[str]:
        """Who paid for ``product_id`` in the room, sorted."""
        result = await session.execute(
            select(Order.buyer_id)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(
                Order.room_id == room_id,
                OrderItem.product_id == product_id,
                Order.status.in_(self._BOUGHT),
            )
            .distinct()
        )
        return sorted(result.scalars().all())

    async def product_sold_in_room(
        self, session: AsyncSession, room_id: str, product_id: str
    ) -> bool:
        result = await session.execute(
            select(OrderItem.id)
            .join(Order, OrderItem.order_id == Order.id)
            .where(
                Order.room_id == room_id,
                OrderItem.product_id == product_id,
                Order.status.in_(self._BOUGHT),
            )
            .limit(1)
        )
        return result.scalar_one_or_none() is not None

    async def products_sold(
        self, session: AsyncSession, room_id: str
    ) -> list[tuple[str, str, int]]:
        """(product id, title, buyers) of the products paid for in the room, most buyers
        first: the first 100 (a message's audience choice, not a report)."""
        buyers = func.count(func.distinct(Order.buyer_id))
        result = await session.execute(
            select(OrderItem.product_id, func.max(OrderItem.title), buyers)
            .join(Order, OrderItem.order_id == Order.id)
            .where(Order.room_id == room_id, Order.status.in_(self._BOUGHT))
            .group_by(OrderItem.product_id)
            .order_by(buyers.desc(), OrderItem.product_id)
            .limit(100)
        )
        return [(str(pid), str(title), int(count)) for pid, title, count in result.all()]

    # ---- share links ---------------------------------------------------------------------

    async def get_share_link_by_code(self, session: AsyncSession, code: str) -> ShareLink | None:
        result = await session.execute(select(ShareLink).where(ShareLink.code == code))
        return result.scalar_one_or_none()

    async def find_share_link(
        self,
        session: AsyncSession,
        sharer_id: str,
        room_id: str,
        session_id: str | None,
        product_id: str | None,
    ) -> ShareLink | None:
        result = await session.execute(
            select(ShareLink).where(
                ShareLink.sharer_id == sharer_id,
                ShareLink.room_id == room_id,
                ShareLink.session_id.is_(None)
                if session_id is None
                else ShareLink.session_id == session_id,
                ShareLink.product_id.is_(None)
                if product_id is None
                else ShareLink.product_id == product_id,
            )
        )
        return result.scalars().first()

    async def insert_share_visit(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        """True when this visitor came through this link for the first time."""
        statement = _insert_ignoring_conflicts(session, ShareVisit, values)
        result = await session.execute(statement.returning(ShareVisit.link_id))
        return result.first() is not None

    async def change_share_link(self, session: AsyncSession, link_id: str, **deltas: int) -> None:
        await session.execute(
            update(ShareLink)
            .where(ShareLink.id == link_id)
            .values({name: getattr(ShareLink, name) + delta for name, delta in deltas.items()})
        )

    async def latest_share_visit(
        self, session: AsyncSession, user_id: str, room_id: str, since: datetime, until: datetime
    ) -> ShareVisit | None:
        """The buyer's latest arrival in the room through someone's link, in the window."""
        result = await session.execute(
            select(ShareVisit)
            .where(
                ShareVisit.user_id == user_id,
                ShareVisit.room_id == room_id,
                ShareVisit.first_at >= since,
                ShareVisit.first_at <= until,
            )
            .order_by(ShareVisit.first_at.desc(), ShareVisit.link_id.desc())
            .limit(1)
            .with_for_update()
        )
        return result.scalar_one_or_none()

    async def page_share_links(
        self,
        session: AsyncSession,
        *,
        sharer_id: str | None = None,
        room_id: str | None = None,
        page: PageRequest,
    ) -> Page[ShareLink]:
        query = select(ShareLink)
        if sharer_id is not None:
            query = query.where(ShareLink.sharer_id == sharer_id)
        if room_id is not None:
            query = query.where(ShareLink.room_id == room_id)
        return await fetch_page(
            session, query, (desc(ShareLink.created_at), desc(ShareLink.id)), page
        )

    async def share_totals(
        self, session: AsyncSession, room_id: str
    ) -> tuple[int, int, int, int, int]:
        """(links, visitors, follows, buyers, order cents) of every share link to a room."""
        result = await session.execute(
            select(
                func.count(ShareLink.id),
                func.coalesce(func.sum(ShareLink.visitors_count), 0),
                func.coalesce(func.sum(ShareLink.follows_count), 0),
                func.coalesce(func.sum(ShareLink.buyers_count), 0),
                func.coalesce(func.sum(ShareLink.order_cents), 0),
            ).where(ShareLink.room_id == room_id)
        )
        links, visitors, follows, buyers, cents = result.one()
        return int(links), int(visitors), int(follows), int(buyers), int(cents)

    # ---- mutes (read from the moderation table, as the room stores them) -----------------

    async def is_muted(
        self, session: AsyncSession, room_id: str, user_id: str, at: datetime
    ) -> bool:
        result = await session.execute(
            select(RoomMute.id).where(
                RoomMute.room_id == room_id,
                RoomMute.user_id == user_id,
                RoomMute.created_at <= at,
                or_(RoomMute.until.is_(None), RoomMute.until > at),
            )
        )
        return result.first() is not None


fan_repository = FanRepository()
