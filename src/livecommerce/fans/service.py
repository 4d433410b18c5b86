"""Fan clubs (粉丝团): joining, intimacy (亲密度) from what members do, levels and badges.

Intimacy is earned incrementally from the facts other domains publish (behaviour
events stored by insights, chat sent and removed, orders paid; see ``listeners.py``),
never by reading history again. Only members earn. Each action has a weight and a
daily cap per room, and all actions together a daily cap; a day is the platform's
(``fans_day_utc_offset_hours``). Nothing is earned while muted in the room, and a
chat message removed by moderation gives back what it earned. Levels 1-20 follow
``fans_level_thresholds``; a level-up is announced in the room. The badge (灯牌)
dims after ``fans_badge_dim_days`` without activity in the room and lights again on
the next visit.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.config import Settings
from livecommerce.fans.repository import fan_repository
from livecommerce.fans.schemas import (
    FanBadge,
    FanClubOut,
    FanClubUpdate,
    FanDayOut,
    FanMembershipOut,
    FanOnlineOut,
    FanRow,
)
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit, runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import FanClub, FanClubMember, FanIntimacyDay, Room, User

ACTIONS = ("watch", "chat", "like", "share", "buy")
# A member counts as online in a session while a visit or heartbeat is this recent
# (heartbeats come once a minute).
PRESENCE_TTL_S = 150
ONLINE_PAGE = 50
MAX_LEVEL = 20
FAN_LEVEL_UP = "fan_level_up"  # the room message (docs/protocol.md)


@dataclass(frozen=True)
class Activity:
    """One thing a viewer did in a room, as the listeners hand it over."""

    room_id: str
    user_id: str
    session_id: str | None
    action: str  # one of ACTIONS, "visit" (lights the badge, earns nothing) or "leave"
    amount: int  # seconds watched, likes, messages, shares, orders
    at: datetime


def day_of(settings: Settings, at: datetime) -> date:
    return (as_utc(at) + timedelta(hours=settings.fans_day_utc_offset_hours)).date()


def level_for(settings: Settings, intimacy: int) -> int:
    return min(1 + bisect_right(settings.fans_level_thresholds, intimacy), MAX_LEVEL)


def next_level_at(settings: Settings, level: int) -> int | None:
    return None if level >= MAX_LEVEL else settings.fans_level_thresholds[level - 1]


def is_lit(settings: Settings, last_active_at: datetime, now: datetime) -> bool:
    return as_utc(now) - as_utc(last_active_at) < timedelta(days=settings.fans_badge_dim_days)


def points_per(settings: Settings, action: str) -> int:
    return {
        "watch": settings.fans_watch_points_per_minute,
        "chat": settings.fans_chat_points,
        "like": settings.fans_like_points,
        "share": settings.fans_share_points,
        "buy": settings.fans_buy_points,
    }[action]


def daily_caps(settings: Settings) -> dict[str, int]:
    return {
        "watch": settings.fans_watch_daily_cap,
        "chat": settings.fans_chat_daily_cap,
        "like": settings.fans_like_daily_cap,
        "share": settings.fans_share_daily_cap,
        "buy": settings.fans_buy_daily_cap,
        "total": settings.fans_daily_cap,
    }


def _earned(day: FanIntimacyDay, action: str) -> int:
    value: int = getattr(day, f"{action}_points") or 0
    return value


class FanService:
    # ---- reads other domains use ---------------------------------------------------------

    async def get_badge(self, session: AsyncSession, room_id: str, user_id: str) -> FanBadge | None:
        member = await fan_repository.get_member(session, room_id, user_id)
        if member is None:
            return None
        club = await self._club(session, room_id)
        return self._badge(runtime_of(session).settings, club, member)

    async def get_badges(
        self, session: AsyncSession, room_id: str, user_ids: set[str]
    ) -> dict[str, FanBadge]:
        members = await fan_repository.badges_of(session, room_id, user_ids)
        if not members:
            return {}
        club = await self._club(session, room_id)
        settings = runtime_of(session).settings
        return {uid: self._badge(settings, club, member) for uid, member in members.items()}

    async def get_level(self, session: AsyncSession, room_id: str, user_id: str) -> int | None:
        """The viewer's level in the room's fan club; None when not a member."""
        return await fan_repository.level_of(session, room_id, user_id)

    async def check_level(
        self, session: AsyncSession, room_id: str, user_id: str, min_level: int
    ) -> None:
        """403 ``fan_club_level_required`` unless the user is in the room's fan club at
        ``min_level`` or up (details: the level needed and theirs, null outside the club):
        fan-club coupons and flash-sale early access ask this."""
        level = await fan_repository.level_of(session, room_id, user_id)
        if level is None or level < min_level:
            raise Forbidden(
                f"Fan-club members at level {min_level} or up only.",
                code="fan_club_level_required",
                details={"min_level": min_level, "level": level},
            )

    async def count_members(self, session: AsyncSession, room_id: str) -> int:
        return await fan_repository.members_count(session, room_id)

    # ---- the club ------------------------------------------------------------------------

    async def get_club_out(
        self, session: AsyncSession, room_id: str, viewer: User | None
    ) -> FanClubOut:
        room = await live_service.get_room(session, room_id)
        club = await fan_repository.get_club(session, room.id)
        you = None
        if viewer is not None:
            member = await fan_repository.get_member(session, room.id, viewer.id)
            if member is not None:
                you = await self.membership_out(session, club or self._default(room), member)
        settings = runtime_of(session).settings
        product_id = None if club is None else club.badge_product_id
        return FanClubOut(
            room_id=room.id,
            badge_name=self._default(room).badge_name if club is None else club.badge_name,
            members_count=0 if club is None else club.members_count,
            paid=settings.fans_paid_join and product_id is not None,
            badge_product_id=product_id,
            you=you,
        )

    async def do_update_club(
        self, session: AsyncSession, user: User, room_id: str, changes: FanClubUpdate
    ) -> FanClubOut:
        room = await live_service.get_room_for_edit(session, user, room_id)
        club = await fan_repository.ensure_club(session, room.id, self._default(room).badge_name)
        if changes.badge_name is not None:
            club.badge_name = changes.badge_name
        if changes.clear_badge_product:
            club.badge_product_id = None
        elif changes.badge_product_id is not None:
            product = await catalog_service.get_product(session, changes.badge_product_id)
            if product.merchant_id != room.host_id:
                raise Conflict(
                    "The badge must be one of the host's own products.",
                    code="badge_product_not_yours",
                )
            club.badge_product_id = product.id
        await session.flush()
        return await self.get_club_out(session, room.id, user)

    async def do_join(self, session: AsyncSession, user: User, room_id: str) -> FanClubOut:
        room = await live_service.get_room(session, room_id)
        if room.host_id == user.id:
            raise Conflict("A host is not a fan of their own room.", code="own_fan_club")
        club = await fan_repository.ensure_club(session, room.id, self._default(room).badge_name)
        settings = runtime_of(session).settings
        if settings.fans_paid_join and club.badge_product_id is not None:
            if await fan_repository.get_member(session, room.id, user.id) is None:
                raise Conflict(
                    "This fan club is joined by buying its badge.",
                    code="fan_club_badge_required",
                    details={"product_id": club.badge_product_id},
                )
        await self._add_member(session, room.id, user.id, paid_order_id=None)
        return await self.get_club_out(session, room.id, user)

    async def do_join_paid(
        self, session: AsyncSession, *, product_id: str, buyer_id: str, order_id: str
    ) -> int:
        """A paid order of a badge product makes its buyer a member; how many clubs."""
        joined = 0
        for club in await fan_repository.clubs_selling(session, product_id):
            if await self._add_member(session, club.room_id, buyer_id, paid_order_id=order_id):
                joined += 1
        return joined

    async def do_leave(self, session: AsyncSession, user: User, room_id: str) -> FanClubOut:
        room = await live_service.get_room(session, room_id)
        if await fan_repository.delete_member(session, room.id, user.id):
            await fan_repository.change_members(session, room.id, -1)
        return await self.get_club_out(session, room.id, user)

    async def _add_member(
        self, session: AsyncSession, room_id: str, user_id: str, *, paid_order_id: str | None
    ) -> bool:
        now = utcnow()
        added = await fan_repository.insert_member(
            session,
            {
                "id": new_id(),
                "room_id": room_id,
                "user_id": user_id,
                "intimacy": 0,
                "level": 1,
                "joined_at": now,
                "last_active_at": now,
                "paid_order_id": paid_order_id,
            },
        )
        if added:
            await fan_repository.change_members(session, room_id, 1)
        return added

    # ---- intimacy ------------------------------------------------------------------------

    async def do_record_activities(
        self, session: AsyncSession, activities: list[Activity]
    ) -> dict[tuple[str, str], int]:
        """Award a batch of activities; the points each member got (members only)."""
        pairs = {(activity.room_id, activity.user_id) for activity in activities}
        members = await fan_repository.members_of(session, pairs)
        granted: dict[tuple[str, str], int] = {}
        # Rows are locked in one order (room, user), so concurrent batches cannot deadlock.
        for activity in sorted(activities, key=lambda a: (a.room_id, a.user_id, a.at)):
            key = (activity.room_id, activity.user_id)
            if key not in members:
                continue
            points = await self.do_record(session, activity)
            granted[key] = granted.get(key, 0) + points
        return granted

    async def do_record(self, session: AsyncSession, activity: Activity) -> int:
        """Award one activity to a member; the intimacy it earned (0 for non-members)."""
        member = await fan_repository.get_member(
            session, activity.room_id, activity.user_id, for_update=True
        )
        if member is None:
            return 0
        self._note_presence(member, activity)
        if activity.action == "leave":
            return 0
        if as_utc(activity.at) > as_utc(member.last_active_at):
            member.last_active_at = activity.at
        if activity.action not in ACTIONS or activity.amount <= 0:
            return 0
        if await fan_repository.is_muted(session, activity.room_id, activity.user_id, activity.at):
            return 0
        settings = runtime_of(session).settings
        day = await fan_repository.day_for_update(
            session, activity.room_id, activity.user_id, day_of(settings, activity.at)
        )
        per = points_per(settings, activity.action)
        if activity.action == "watch":
            minutes_before = day.watch_seconds // 60
            day.watch_seconds += activity.amount
            raw = (day.watch_seconds // 60 - minutes_before) * per
        else:
            raw = activity.amount * per
        caps = daily_caps(settings)
        points = max(
            0,
            min(
                raw,
                caps[activity.action] - _earned(day, activity.action),
                caps["total"] - day.total_points,
            ),
        )
        if points:
            setattr(day, f"{activity.action}_points", _earned(day, activity.action) + points)
            day.total_points += points
            await self._change_intimacy(session, member, points, activity.session_id)
        await session.flush()
        return points

    async def do_note_visit(self, session: AsyncSession, activity: Activity) -> None:
        """Everyone's visits and paid orders feed the host's fan list, members or not."""
        if activity.action not in ("visit", "leave", "buy"):
            return
        stats = await fan_repository.stats_for_update(session, activity.room_id, activity.user_id)
        if activity.action == "buy":
            stats.orders_count += 1
            stats.spend_cents += activity.amount
            return
        if stats.last_seen_at is None or as_utc(activity.at) > as_utc(stats.last_seen_at):
            stats.last_seen_at = activity.at
        if activity.action == "visit" and stats.last_session_id != activity.session_id:
            stats.sessions_watched += 1
            stats.last_session_id = activity.session_id

    async def page_fans(
        self,
        session: AsyncSession,
        user: User,
        room_id: str,
        *,
        segment: str,
        min_level: int | None,
        sort: str,
        page: PageRequest,
    ) -> Page[FanRow]:
        """The host's fan list: followers and members, filtered and sorted."""
        room = await live_service.get_room_for_edit(session, user, room_id)
        found = await fan_repository.page_fans(
            session, room.id, segment=segment, min_level=min_level, sort=sort, page=page
        )
        club = await self._club(session, room.id)
        settings = runtime_of(session).settings
        now = utcnow()
        rows = []
        for row in found.items:
            (uid, name, following, level, intimacy, joined, seen, sessions, orders, spend) = row[
                :10
            ]
            badge = None
            if level is not None:  # row[10]: the member's last activity in the room
                lit = is_lit(settings, row[10], now)
                badge = FanBadge(name=club.badge_name, level=level, lit=lit)
            rows.append(
                FanRow(
                    user_id=uid,
                    display_name=name,
                    following=bool(following),
                    member=level is not None,
                    level=level,
                    badge=badge,
                    intimacy=intimacy,
                    joined_at=None if joined is None else as_utc(joined),
                    last_seen_at=None if seen is None else as_utc(seen),
                    sessions_watched=sessions or 0,
                    orders=orders or 0,
                    spend_cents=spend or 0,
                )
            )
        return Page(items=rows, next_cursor=found.next_cursor)

    async def segment_ids(
        self,
        session: AsyncSession,
        room_id: str,
        *,
        audience: str,
        min_level: int | None = None,
        session_id: str | None = None,
        product_id: str | None = None,
    ) -> list[str]:
        """Who is in one audience of a room (the host's messages): ``all`` (followers and
        members), ``followers``, ``members`` (at ``min_level`` or up), ``reservers`` of
        ``session_id`` (one of the room's sessions), ``buyers`` (paid orders in the room),
        ``product_buyers`` (paid orders of ``product_id`` in the room; a product never sold
        there is refused, 404 ``fan_segment_product_not_sold``)."""
        if audience == "product_buyers":
            if product_id is None:
                raise ValidationFailed(
                    "Choose the product whose buyers get the message.",
                    code="fan_segment_product_required",
                )
            buyers = await fan_repository.product_buyer_ids(session, room_id, product_id)
            if not buyers and not await fan_repository.product_sold_in_room(
                session, room_id, product_id
            ):
                raise NotFound(
                    "This product was not sold in this room.",
                    code="fan_segment_product_not_sold",
                )
            return buyers
        if audience == "reservers":
            if session_id is None:
                raise ValidationFailed(
                    "Choose the session whose reservers get the message.",
                    code="fan_segment_session_required",
                )
            live_session = await live_service.get_session(session, session_id)
            if live_session.room_id != room_id:
                raise NotFound("No such session in this room.", code="session_not_found")
        return await fan_repository.segment_ids(
            session,
            room_id,
            audience=audience,
            min_level=min_level if audience == "members" else None,
            session_id=session_id,
        )

    async def products_sold(
        self, session: AsyncSession, room_id: str
    ) -> list[tuple[str, str, int]]:
        """The products sold in the room (paid orders): id, title and their buyers."""
        return await fan_repository.products_sold(session, room_id)

    def _note_presence(self, member: FanClubMember, activity: Activity) -> None:
        """Visits and heartbeats put a member in a session's online list; leaving takes
        them out (a later heartbeat from another tab puts them back)."""
        if activity.session_id is None or activity.action not in ("visit", "watch", "leave"):
            return
        at = as_utc(activity.at)
        if member.present_at is not None and at < as_utc(member.present_at):
            return  # an older fact than what is known
        if activity.action == "leave":
            if member.present_session_id == activity.session_id:
                member.present_session_id = None
                member.present_at = at
            return
        member.present_session_id = activity.session_id
        member.present_at = at

    async def page_online(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[FanOnlineOut]:
        """The room's online list of fan-club members, badges and all."""
        live_session = await live_service.get_session(session, session_id)
        since = utcnow() - timedelta(seconds=PRESENCE_TTL_S)
        found = await fan_repository.page_present(
            session, live_session.id, since, page.or_default(ONLINE_PAGE)
        )
        users = await account_service.get_users(session, {m.user_id for m in found.items})
        club = await self._club(session, live_session.room_id)
        settings = runtime_of(session).settings
        return Page(
            items=[
                FanOnlineOut(
                    user_id=member.user_id,
                    display_name=users[member.user_id].display_name
                    if member.user_id in users
                    else "",
                    badge=self._badge(settings, club, member),
                )
                for member in found.items
            ],
            next_cursor=found.next_cursor,
        )

    async def do_award_chat(
        self,
        session: AsyncSession,
        *,
        message_id: str,
        room_id: str,
        user_id: str,
        session_id: str,
        at: datetime,
    ) -> int:
        """A chat message earns its points, remembered by message for a later removal."""
        if await fan_repository.level_of(session, room_id, user_id) is None:
            return 0  # not a member: one cheap read per message, nothing written
        existing = await fan_repository.get_chat_award_for_update(session, message_id)
        if existing is not None:
            return 0  # removed before it was counted, or counted already
        points = await self.do_record(
            session, Activity(room_id, user_id, session_id, "chat", 1, at)
        )
        settings = runtime_of(session).settings
        await fan_repository.insert_chat_award(
            session,
            {
                "message_id": message_id,
                "room_id": room_id,
                "user_id": user_id,
                "day": day_of(settings, at),
                "points": points,
                "revoked": False,
            },
        )
        return points

    async def do_revoke_chat(
        self,
        session: AsyncSession,
        *,
        message_id: str,
        room_id: str,
        user_id: str,
        sent_at: datetime | None,
    ) -> int:
        """A message removed by moderation gives back what it earned; how much."""
        award = await fan_repository.get_chat_award_for_update(session, message_id)
        if award is None:
            settings = runtime_of(session).settings
            await fan_repository.insert_chat_award(
                session,
                {
                    "message_id": message_id,
                    "room_id": room_id,
                    "user_id": user_id,
                    "day": day_of(settings, sent_at or utcnow()),
                    "points": 0,
                    "revoked": True,
                },
            )
            return 0
        if award.revoked:
            return 0
        award.revoked = True
        points = award.points
        if points:
            member = await fan_repository.get_member(
                session, award.room_id, award.user_id, for_update=True
            )
            day = await fan_repository.day_for_update(
                session, award.room_id, award.user_id, award.day
            )
            day.chat_points = max(0, day.chat_points - points)
            day.total_points = max(0, day.total_points - points)
            if member is not None and (sent_at is None or member.joined_at <= sent_at):
                await self._change_intimacy(session, member, -points, None)
        await session.flush()
        return points

    async def _change_intimacy(
        self, session: AsyncSession, member: FanClubMember, delta: int, session_id: str | None
    ) -> None:
        settings = runtime_of(session).settings
        member.intimacy = max(0, member.intimacy + delta)
        level = level_for(settings, member.intimacy)
        raised = level > member.level
        member.level = level
        if raised and session_id is not None:
            await self._announce_level_up(session, member, session_id)

    async def _announce_level_up(
        self, session: AsyncSession, member: FanClubMember, session_id: str
    ) -> None:
        user = await account_service.get_user(session, member.user_id)
        club = await self._club(session, member.room_id)
        badge = self._badge(runtime_of(session).settings, club, member)
        publish_after_commit(
            session,
            live_channel(session_id),
            {
                "type": FAN_LEVEL_UP,
                "user_id": member.user_id,
                "display_name": user.display_name,
                "level": member.level,
                "badge": badge.model_dump(mode="json"),
            },
        )

    # ---- shaping -------------------------------------------------------------------------

    async def membership_out(
        self, session: AsyncSession, club: FanClub, member: FanClubMember
    ) -> FanMembershipOut:
        settings = runtime_of(session).settings
        day = await fan_repository.get_day(
            session, member.room_id, member.user_id, day_of(settings, utcnow())
        )
        return FanMembershipOut(
            room_id=member.room_id,
            intimacy=member.intimacy,
            level=member.level,
            next_level_at=next_level_at(settings, member.level),
            badge=self._badge(settings, club, member),
            joined_at=member.joined_at,
            last_active_at=member.last_active_at,
            today=FanDayOut(
                watch=0 if day is None else day.watch_points,
                chat=0 if day is None else day.chat_points,
                like=0 if day is None else day.like_points,
                share=0 if day is None else day.share_points,
                buy=0 if day is None else day.buy_points,
                total=0 if day is None else day.total_points,
                caps=daily_caps(settings),
            ),
        )

    def _badge(self, settings: Settings, club: FanClub, member: FanClubMember) -> FanBadge:
        return FanBadge(
            name=club.badge_name,
            level=member.level,
            lit=is_lit(settings, member.last_active_at, utcnow()),
        )

    async def _club(self, session: AsyncSession, room_id: str) -> FanClub:
        club = await fan_repository.get_club(session, room_id)
        if club is None:
            room = await live_service.get_room(session, room_id)
            return self._default(room)
        return club

    def _default(self, room: Room) -> FanClub:
        """The club a room has before anyone joined: named after the room."""
        return FanClub(room_id=room.id, badge_name=room.name[:12], members_count=0)


fan_service = FanService()
