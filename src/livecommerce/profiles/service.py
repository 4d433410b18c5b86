"""Profiles (画像): kept current from behaviour as it arrives; read by feeds and recommenders.

Other domains call `profile_service.get_interests(session, user_id)` for a viewer's
current interests (decayed to now; empty when the viewer switched personalisation off).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.insights.events import BehaviourItem
from livecommerce.insights.service import insights_service
from livecommerce.kit.clock import utcnow
from livecommerce.live.service import live_service
from livecommerce.models import UserProfile
from livecommerce.profiles.repository import profiles_repository
from livecommerce.profiles.scoring import (
    ACTION_WEIGHT,
    MAX_HOSTS,
    MAX_INTERESTS,
    MAX_TAGS,
    ROOM_WEIGHT,
    Decayed,
    as_of,
    price_band,
)


@dataclass(frozen=True)
class ProductFact:
    """A user did something with a product (viewed, favourited, carted, bought)."""

    user_id: str
    product_id: str
    category: str
    action: str  # pv | fav | cart | buy
    at: datetime
    price_cents: int | None = None  # a purchase's price sets the price band
    paid_cents: int = 0  # money of a paid order (RFM)


@dataclass(frozen=True)
class RoomFact:
    """A user spent time in a room (a visit, minutes watched, likes, a share, a chat)."""

    user_id: str
    room_id: str
    kind: str
    value: int
    at: datetime
    tags: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Interest:
    name: str
    score: float


@dataclass(frozen=True)
class FeedInterests:
    personalised: bool
    tags: list[Interest]  # room tags
    categories: list[Interest]  # product categories


@dataclass
class ProfileSummary:
    personalised: bool
    interests: list[Interest]
    tags: list[Interest]
    hosts: list[tuple[str, str]]  # (room id, room name)
    price_band: str | None
    orders_count: int
    spent_cents: int
    last_order_at: datetime | None
    active_hours: list[int]  # the busiest UTC hours, busiest first
    events_count: int
    sources: dict[str, int] = field(default_factory=dict)  # visits per traffic source
    fan_clubs: list[str] = field(default_factory=list)  # room names


@dataclass
class AudienceProfile:
    """The 画像 of a group of people (a room's viewers, a product's buyers, a segment):
    shares, never identities."""

    size: int
    interests: list[Interest]  # share of the group's interest, strongest first
    price_bands: dict[str, int]  # purchases per band
    new: int  # no order yet
    returning: int  # at least one order
    fans: int | None  # members of the room's fan club (room audiences only)


@dataclass(frozen=True)
class AudienceFilter:
    """Profile conditions that narrow a group of people (a merchant's audience builder).

    interest: the category is among the person's three strongest interests now;
    price_band: the band the person has bought in most; buyers: "new" (no order yet),
    "returning" (at least one) or "all"."""

    interest: str | None = None
    price_band: str | None = None
    buyers: str = "all"

    @property
    def is_empty(self) -> bool:
        return self.interest is None and self.price_band is None and self.buyers == "all"


TOP_INTERESTS_FOR_FILTER = 3


def matches(profile: UserProfile | None, wanted: AudienceFilter, now: datetime) -> bool:
    """Whether a person (their profile, None without one) fits the filter."""
    if wanted.is_empty:
        return True
    if profile is None:
        return (
            wanted.interest is None and wanted.price_band is None and wanted.buyers != "returning"
        )
    if wanted.buyers == "new" and profile.orders_count:
        return False
    if wanted.buyers == "returning" and not profile.orders_count:
        return False
    if wanted.interest is not None:
        top = list(as_of(profile.interests, profile.scored_at, now))[:TOP_INTERESTS_FOR_FILTER]
        if wanted.interest not in top:
            return False
    if wanted.price_band is not None:
        bands = {band: int(count) for band, count in profile.price_bands.items()}
        favourite = max(sorted(bands), key=lambda b: bands[b]) if bands else None
        if favourite != wanted.price_band:
            return False
    return True


@dataclass(frozen=True)
class Erased:
    product_actions: int
    behaviour_events: int
    profiles: int
    recommendation_lists: int

    @property
    def total(self) -> int:
        return (
            self.product_actions + self.behaviour_events + self.profiles + self.recommendation_lists
        )


def _new_profile(user_id: str) -> UserProfile:
    return UserProfile(
        user_id=user_id,
        personalised=True,
        interests={},
        tags={},
        hosts={},
        scored_at=None,
        price_bands={},
        hours=[0] * 24,
        sources={},
        orders_count=0,
        spent_cents=0,
        last_order_at=None,
        events_count=0,
        updated_at=utcnow(),
    )


PROFILE_COLUMNS = (
    "user_id",
    "personalised",
    "interests",
    "tags",
    "hosts",
    "scored_at",
    "price_bands",
    "hours",
    "sources",
    "orders_count",
    "spent_cents",
    "last_order_at",
    "events_count",
    "updated_at",
)


DRAFT_COLUMNS = tuple(
    column for column in PROFILE_COLUMNS if column not in ("user_id", "personalised", "updated_at")
)


def _profile_row(user_id: str) -> dict[str, object]:
    profile = _new_profile(user_id)
    return {column: getattr(profile, column) for column in PROFILE_COLUMNS}


@dataclass(slots=True)
class ProfileDraft:
    """A profile's foldable columns as plain values: folding many facts touches no ORM
    attribute until the result is written back once."""

    interests: dict[str, Any]
    tags: dict[str, Any]
    hosts: dict[str, Any]
    scored_at: datetime | None
    price_bands: dict[str, Any]
    hours: list[Any]
    sources: dict[str, Any]
    orders_count: int
    spent_cents: int
    last_order_at: datetime | None
    events_count: int

    @classmethod
    def of(cls, profile: UserProfile) -> ProfileDraft:
        return cls(
            interests=profile.interests,
            tags=profile.tags,
            hosts=profile.hosts,
            scored_at=profile.scored_at,
            price_bands=dict(profile.price_bands),
            hours=list(profile.hours) if len(profile.hours) == 24 else [0] * 24,
            sources=dict(profile.sources),
            orders_count=profile.orders_count,
            spent_cents=profile.spent_cents,
            last_order_at=profile.last_order_at,
            events_count=profile.events_count,
        )

    @classmethod
    def fresh(cls) -> ProfileDraft:
        return cls({}, {}, {}, None, {}, [0] * 24, {}, 0, 0, None, 0)


def _fold_draft(draft: ProfileDraft, facts: list[ProductFact | RoomFact]) -> None:
    """Apply a user's new facts, oldest first (ties in arrival order); scores rounded as
    stored."""
    state = Decayed(
        {"interests": draft.interests, "tags": draft.tags, "hosts": draft.hosts},
        draft.scored_at,
    )
    for fact in sorted(facts, key=lambda f: f.at):
        if isinstance(fact, ProductFact):
            apply_product_fact(draft, state, fact)
        else:
            apply_room_fact(draft, state, fact)
    draft.interests = state.rounded("interests")
    draft.tags = state.rounded("tags")
    draft.hosts = state.rounded("hosts")
    draft.scored_at = state.scored_at


def _fold(profile: UserProfile, facts: list[ProductFact | RoomFact], now: datetime) -> None:
    """Fold into a stored profile, writing each column back once."""
    draft = ProfileDraft.of(profile)
    _fold_draft(draft, facts)
    for column in DRAFT_COLUMNS:
        setattr(profile, column, getattr(draft, column))
    profile.updated_at = now


def _fresh_row(user_id: str, facts: list[ProductFact | RoomFact], now: datetime) -> dict[str, Any]:
    """A new profile's row (the defaults of `_new_profile`) with the facts folded in."""
    draft = ProfileDraft.fresh()
    _fold_draft(draft, facts)
    row: dict[str, Any] = {column: getattr(draft, column) for column in DRAFT_COLUMNS}
    row.update(user_id=user_id, personalised=True, updated_at=now)
    return row


def apply_product_fact(
    profile: UserProfile | ProfileDraft, state: Decayed, fact: ProductFact
) -> None:
    """One product fact (changes the profile's lists and maps in place)."""
    state.add(
        "interests", fact.category, ACTION_WEIGHT.get(fact.action, 1.0), fact.at, MAX_INTERESTS
    )
    _count_hour(profile, fact.at)
    if fact.action == "buy":
        profile.orders_count += 1
        profile.spent_cents += fact.paid_cents
        if profile.last_order_at is None or fact.at > profile.last_order_at:
            profile.last_order_at = fact.at
        if fact.price_cents is not None:
            band = price_band(fact.price_cents)
            profile.price_bands[band] = int(profile.price_bands.get(band, 0)) + 1


def apply_room_fact(profile: UserProfile | ProfileDraft, state: Decayed, fact: RoomFact) -> None:
    """One room fact (changes the profile's lists and maps in place)."""
    weight = ROOM_WEIGHT.get(fact.kind, 0.0) * max(fact.value, 1)
    state.add("hosts", fact.room_id, weight, fact.at, MAX_HOSTS)
    for tag in fact.tags:
        state.add("tags", tag, weight, fact.at, MAX_TAGS)
    if fact.kind == "enter":
        _count_hour(profile, fact.at)
        if fact.source:
            profile.sources[fact.source] = int(profile.sources.get(fact.source, 0)) + 1


def _count_hour(profile: UserProfile | ProfileDraft, at: datetime) -> None:
    profile.hours[at.hour] += 1
    profile.events_count += 1


class ProfileService:
    async def do_apply(
        self,
        session: AsyncSession,
        products: list[ProductFact] | None = None,
        rooms: list[RoomFact] | None = None,
    ) -> None:
        """Fold new facts into the profiles of their users (creating missing profiles).

        Set-based: the existing profiles are read (and held) in one statement per chunk,
        the missing ones are folded in memory and inserted in one statement; a profile that
        another unit created meanwhile is read and folded like an existing one."""
        facts_in: list[ProductFact | RoomFact] = [*(products or []), *(rooms or [])]
        per_user: dict[str, list[ProductFact | RoomFact]] = defaultdict(list)
        for fact in facts_in:
            per_user[fact.user_id].append(fact)
        if not per_user:
            return
        now = utcnow()
        profiles = await profiles_repository.profiles_for(session, list(per_user), lock=True)
        missing = sorted(set(per_user) - set(profiles))
        folding = set(profiles)
        fresh = [_fresh_row(user_id, per_user[user_id], now) for user_id in missing]
        created = set(await profiles_repository.insert_profiles(session, fresh))
        late = [user_id for user_id in missing if user_id not in created]
        if late:  # created by another unit since we looked: fold into theirs
            profiles.update(await profiles_repository.profiles_for(session, late, lock=True))
            folding.update(late)
        for user_id in sorted(folding):
            _fold(profiles[user_id], per_user[user_id], now)

    async def do_record_product_action(
        self, session: AsyncSession, user_id: str, product_id: str, action: str
    ) -> None:
        """A signed-in viewer's view (or other action) of a product: stored and profiled."""
        facts = await profiles_repository.product_facts(session, [product_id])
        if product_id not in facts:
            return
        category, price = facts[product_id]
        now = utcnow()
        stored = await profiles_repository.add_actions(
            session,
            [
                {
                    "user_id": user_id,
                    "product_id": product_id,
                    "category": category,
                    "action": action,
                    "occurred_at": now,
                }
            ],
        )
        if stored:
            await self.do_apply(
                session, [ProductFact(user_id, product_id, category, action, now, price)]
            )

    async def do_apply_behaviour(self, session: AsyncSession, items: list[BehaviourItem]) -> None:
        """Room behaviour (visits, minutes, likes, shares) and product clicks."""
        room_items = [item for item in items if item.kind in ROOM_WEIGHT]
        rooms = await live_service.get_rooms(session, {item.room_id for item in room_items})
        room_facts = [
            RoomFact(
                item.user_id,
                item.room_id,
                item.kind,
                item.value,
                item.at,
                tuple(str(tag) for tag in rooms[item.room_id].tags)
                if item.room_id in rooms
                else (),
            )
            for item in room_items
        ]
        clicks = [item for item in items if item.kind == "product_click" and item.product_id]
        products = await profiles_repository.product_facts(
            session, sorted({str(item.product_id) for item in clicks})
        )
        product_facts: list[ProductFact] = []
        rows = []
        for item in clicks:
            if item.product_id in products:
                category, price = products[item.product_id]
                product_facts.append(
                    ProductFact(item.user_id, item.product_id, category, "pv", item.at, price)
                )
                rows.append(
                    {
                        "user_id": item.user_id,
                        "product_id": item.product_id,
                        "category": category,
                        "action": "pv",
                        "occurred_at": item.at,
                    }
                )
        await profiles_repository.add_actions(session, rows)
        await self.do_apply(session, product_facts, room_facts)

    async def do_record_visit_source(
        self, session: AsyncSession, user_id: str, source: str
    ) -> None:
        """A visit of the user got its traffic source (feed, search, a shared link …):
        one more visit from it in the profile's traffic sources."""
        await profiles_repository.ensure_profiles(session, [_profile_row(user_id)])
        profiles = await profiles_repository.profiles_for(session, [user_id], lock=True)
        profile = profiles[user_id]
        sources = dict(profile.sources)
        sources[source] = int(sources.get(source, 0)) + 1
        profile.sources = sources
        profile.updated_at = utcnow()

    async def do_record_paid_order(
        self, session: AsyncSession, user_id: str, product_id: str, paid_cents: int, at: datetime
    ) -> None:
        products = await profiles_repository.product_facts(session, [product_id])
        if product_id not in products:
            return
        category, price = products[product_id]
        await profiles_repository.add_actions(
            session,
            [
                {
                    "user_id": user_id,
                    "product_id": product_id,
                    "category": category,
                    "action": "buy",
                    "occurred_at": at,
                }
            ],
        )
        await self.do_apply(
            session, [ProductFact(user_id, product_id, category, "buy", at, price, paid_cents)]
        )

    async def get_interests(
        self, session: AsyncSession, user_id: str, limit: int = 10
    ) -> list[Interest]:
        """A viewer's category interests decayed to now, strongest first.

        Empty for a viewer without history or who switched personalisation off."""
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None or not profile.personalised:
            return []
        scores = as_of(profile.interests, profile.scored_at, utcnow())
        return [Interest(name, score) for name, score in list(scores.items())[:limit]]

    async def get_personal_interests(
        self, session: AsyncSession, user_id: str, limit: int = 10
    ) -> tuple[bool, list[Interest]]:
        """Whether the viewer wants personalisation, and (if so) their interests: one read."""
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None:
            return True, []
        if not profile.personalised:
            return False, []
        scores = as_of(profile.interests, profile.scored_at, utcnow())
        return True, [Interest(name, score) for name, score in list(scores.items())[:limit]]

    def interests_now(
        self,
        personalised: bool | None,
        interests: dict[str, Any] | None,
        scored_at: datetime | None,
        limit: int = 10,
    ) -> tuple[bool, list[Interest]]:
        """`get_personal_interests` on a profile's columns already read (None: no profile),
        for callers that read them together with their own rows in one query."""
        if personalised is None:
            return True, []
        if not personalised:
            return False, []
        scores = as_of(interests or {}, scored_at, utcnow())
        return True, [Interest(name, score) for name, score in list(scores.items())[:limit]]

    async def get_tag_interests(
        self, session: AsyncSession, user_id: str, limit: int = 10
    ) -> list[Interest]:
        """A viewer's room-tag interests decayed to now (for tag matching of rooms)."""
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None or not profile.personalised:
            return []
        scores = as_of(profile.tags, profile.scored_at, utcnow())
        return [Interest(name, score) for name, score in list(scores.items())[:limit]]

    async def get_feed_interests(
        self, session: AsyncSession, user_id: str, limit: int = 20
    ) -> FeedInterests | None:
        """What a feed matches rooms against, in one read: the room-tag and category
        interests decayed to now. None for a user without a profile; a profile switched
        off says so (``personalised=False``) and carries no interests."""
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None:
            return None
        if not profile.personalised:
            return FeedInterests(personalised=False, tags=[], categories=[])
        now = utcnow()
        tags = as_of(profile.tags, profile.scored_at, now)
        categories = as_of(profile.interests, profile.scored_at, now)
        return FeedInterests(
            personalised=True,
            tags=[Interest(name, score) for name, score in list(tags.items())[:limit]],
            categories=[Interest(name, score) for name, score in list(categories.items())[:limit]],
        )

    async def get_host_interests(self, session: AsyncSession, user_id: str) -> dict[str, float]:
        """Rooms the viewer spends time in, by decayed score."""
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None or not profile.personalised:
            return {}
        return as_of(profile.hosts, profile.scored_at, utcnow())

    async def internal_ids(
        self, session: AsyncSession, source: str, kind: str, external_ids: list[str]
    ) -> dict[str, str]:
        """Imported ids (`livecommerce import`) and the rows they became."""
        return await profiles_repository.refs(session, source, kind, external_ids)

    async def external_ids(
        self, session: AsyncSession, source: str, kind: str, internal_ids: list[str]
    ) -> dict[str, str]:
        return await profiles_repository.internal_to_external(session, source, kind, internal_ids)

    async def is_personalised(self, session: AsyncSession, user_id: str) -> bool:
        profile = await profiles_repository.get_profile(session, user_id)
        return profile is None or profile.personalised

    async def get_summary(self, session: AsyncSession, user_id: str) -> ProfileSummary:
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None:
            profile = _new_profile(user_id)
        now = utcnow()
        interests = as_of(profile.interests, profile.scored_at, now)
        tags = as_of(profile.tags, profile.scored_at, now)
        hosts = as_of(profile.hosts, profile.scored_at, now)
        rooms = await live_service.get_rooms(session, set(list(hosts)[:3]))
        clubs = await profiles_repository.fan_club_room_ids(session, user_id)
        club_rooms = await live_service.get_rooms(session, set(clubs))
        hours = list(profile.hours) if len(profile.hours) == 24 else [0] * 24
        busiest = [hour for hour in sorted(range(24), key=lambda h: (-hours[h], h)) if hours[hour]]
        bands = {band: int(count) for band, count in profile.price_bands.items()}
        return ProfileSummary(
            personalised=profile.personalised,
            interests=[Interest(n, s) for n, s in list(interests.items())[:5]],
            tags=[Interest(n, s) for n, s in list(tags.items())[:5]],
            hosts=[
                (room_id, rooms[room_id].name) for room_id in list(hosts)[:3] if room_id in rooms
            ],
            price_band=max(sorted(bands), key=lambda b: bands[b]) if bands else None,
            orders_count=profile.orders_count,
            spent_cents=profile.spent_cents,
            last_order_at=profile.last_order_at,
            active_hours=busiest[:3],
            events_count=profile.events_count,
            sources={str(k): int(v) for k, v in sorted(profile.sources.items())},
            fan_clubs=[club_rooms[r].name for r in clubs if r in club_rooms],
        )

    async def audience_profile(
        self, session: AsyncSession, user_ids: list[str], room_id: str | None = None
    ) -> AudienceProfile:
        profiles = await profiles_repository.profiles_for(session, user_ids)
        fans = (
            await profiles_repository.fans_among(session, room_id, user_ids)
            if room_id is not None
            else None
        )
        return _audience(profiles, user_ids, utcnow(), fans)

    async def personalised_audiences(
        self, session: AsyncSession, groups: Sequence[list[str]], min_size: int
    ) -> list[tuple[list[str], AudienceProfile | None]]:
        """For each group of users: those who allow personalisation, and their audience
        profile when there are at least ``min_size`` of them. One read of the profiles
        for all the groups."""
        everyone = sorted({user_id for group in groups for user_id in group})
        profiles = await profiles_repository.profiles_for(session, everyone)
        now = utcnow()
        answers: list[tuple[list[str], AudienceProfile | None]] = []
        for group in groups:
            willing = [u for u in group if u not in profiles or profiles[u].personalised]
            audience = _audience(profiles, willing, now, None) if len(willing) >= min_size else None
            answers.append((willing, audience))
        return answers

    async def users_of_product(
        self, session: AsyncSession, product_id: str, limit: int = 1000
    ) -> list[str]:
        """People who viewed or bought the product, the latest first."""
        return await profiles_repository.users_of_product(session, product_id, limit)

    async def personalised_among(
        self,
        session: AsyncSession,
        user_ids: list[str],
        wanted: AudienceFilter | None = None,
    ) -> list[str]:
        """Those of these users who did not switch personalisation off (targetable) and,
        if given, fit the filter; in the order given."""
        profiles = await profiles_repository.profiles_for(session, user_ids)
        now = utcnow()
        return [
            u
            for u in user_ids
            if (u not in profiles or profiles[u].personalised)
            and (wanted is None or matches(profiles.get(u), wanted, now))
        ]

    async def do_set_personalised(self, session: AsyncSession, user_id: str, on: bool) -> None:
        profile = await profiles_repository.get_profile(session, user_id)
        if profile is None:
            profile = _new_profile(user_id)
            session.add(profile)
        profile.personalised = on
        profile.updated_at = utcnow()

    async def do_erase(self, session: AsyncSession, user_id: str) -> Erased:
        """Delete every row of the user's behaviour history and their profile.

        The personalisation switch survives as a fresh, empty profile when it was off."""
        profile = await profiles_repository.get_profile(session, user_id)
        keep_off = profile is not None and not profile.personalised
        actions, profiles, lists = await profiles_repository.erase_user(session, user_id)
        behaviour = await insights_service.do_erase_user(session, user_id)
        if keep_off:
            await session.flush()
            fresh = _new_profile(user_id)
            fresh.personalised = False
            session.add(fresh)
        return Erased(actions, behaviour, profiles, lists)


profile_service = ProfileService()


def _audience(
    profiles: dict[str, UserProfile], user_ids: list[str], now: datetime, fans: int | None
) -> AudienceProfile:
    """The audience profile of ``user_ids`` from their loaded profiles (users without one
    count in the size and as new)."""
    mix: dict[str, float] = defaultdict(float)
    bands: dict[str, int] = defaultdict(int)
    returning = 0
    for user_id in dict.fromkeys(user_ids):
        profile = profiles.get(user_id)
        if profile is None:
            continue
        scores = as_of(profile.interests, profile.scored_at, now)
        total = sum(scores.values()) or 1.0
        for name, score in scores.items():
            mix[name] += score / total
        for band, count in profile.price_bands.items():
            bands[band] += int(count)
        returning += 1 if profile.orders_count else 0
    people = max(len(user_ids), 1)
    ranked = sorted(mix.items(), key=lambda pair: (-pair[1], pair[0]))[:5]
    return AudienceProfile(
        size=len(user_ids),
        interests=[Interest(name, round(score / people, 4)) for name, score in ranked],
        price_bands=dict(sorted(bands.items())),
        new=len(user_ids) - returning,
        returning=returning,
        fans=fans,
    )
