"""Recommendations: trained by a worker job, served from precomputed lists.

- 猜你喜欢 for a viewer (`products_for_viewer`), live rooms for a viewer (`rooms_for_viewer`);
- "people who viewed/bought this also…" for a product page (`also_for_product`);
- for a host, marketplace products that fit its audience (`products_for_host`).
A viewer without history, or who switched personalisation off, gets what is popular.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import LiveSession, Product, ProductStatus, RecommendRun, Room
from livecommerce.profiles.service import Interest, profile_service
from livecommerce.recommend.engine import DEFAULT_PARAMS, EXPLORE_BLOCK, Recommender, interleave
from livecommerce.recommend.evaluate import Indexed, RowsIndexer
from livecommerce.recommend.repository import recommend_repository
from livecommerce.worker.service import job_service

TRAIN_JOB = "recommend.train"
LIST_LENGTH = 30  # candidates kept per user and per product
AUDIENCE = 200  # likeliest users kept per product (goods-find-people)
RETRAIN_AFTER_ACTIONS = 200  # new product actions that call for a retraining
RETRAIN_EVERY = timedelta(hours=6)  # retrain at least this often while anything happens
CHECK_DELAY = timedelta(minutes=5)  # a pending check runs this long after the activity
SHARED_TTL_S = 5.0  # how long a process reuses the popular and newest candidates
SharedCache = dict[str, tuple[float, dict[str, tuple[str, str]]]]


def _shared_cache(session: AsyncSession) -> SharedCache:
    """The app's cache of shared candidates (none outside an app: the CLI, benchmarks)."""
    try:
        extras = runtime_of(session).extras
    except RuntimeError:
        return {}
    cache: SharedCache = extras.setdefault("recommend_shared", {})
    return cache


@dataclass(frozen=True)
class TrainResult:
    actions: int
    users: int
    items: int
    seconds: float


Lists = list[tuple[str, list[str], list[str]]]  # (subject id, items, their categories)
USER_CHUNK = 5_000  # users ranked (and their lists written) at once while training


def _user_lists(recommender: Recommender, indexed: Indexed, start: int) -> Lists:
    """CPU work, off the event loop: one chunk of users' lists (sparse candidates only)."""
    users = np.arange(start, min(start + USER_CHUNK, indexed.data.n_users), dtype=np.int64)
    category_of = indexed.data.item_category
    return [
        (
            indexed.users[int(user)],
            [indexed.items[i] for i in picks],
            [indexed.categories[int(category_of[i])] for i in picks],
        )
        for user, picks in zip(
            users.tolist(), recommender.blend_items(users, LIST_LENGTH), strict=True
        )
    ]


ITEM_CHUNK = 50_000  # items whose "also" lists are ranked (and written) at once


def _also_lists(recommender: Recommender, indexed: Indexed, start: int) -> Lists:
    """CPU work, off the event loop: one chunk of products' "also" lists."""
    stop = min(start + ITEM_CHUNK, indexed.data.n_items)
    return [
        (indexed.items[item], [indexed.items[i] for i in similar], [])
        for item, similar in enumerate(
            recommender.similar_items_of(start, stop, LIST_LENGTH), start
        )
        if similar
    ]


def _popular_list(recommender: Recommender, indexed: Indexed) -> Lists:
    popularity = recommender.items.popularity
    order = np.lexsort((np.arange(len(popularity)), -popularity))[: LIST_LENGTH * 2]
    return [("all", [indexed.items[int(i)] for i in order], [])]


def _audience_lists(
    ranges: Iterator[list[tuple[int, list[int]]]], indexed: Indexed
) -> Lists | None:
    """CPU work, off the event loop: the next range of products' audiences (None: done)."""
    found = next(ranges, None)
    if found is None:
        return None
    users = indexed.users
    return [(indexed.items[item], [users[u] for u in audience], []) for item, audience in found]


def shelf_order(
    listed: list[str],
    shared: list[str],
    category: Callable[[str], str],
    share: dict[str, float],
    slots: int = DEFAULT_PARAMS.explore_slots,
) -> list[str]:
    """The order 猜你喜欢 offers candidates in. The trained list's discovery places (the
    last `slots` of every EXPLORE_BLOCK, items new to the viewer when trained) keep their
    places; every other candidate is ordered by its place in the list (1 / (1 + place))
    plus its category's share of the viewer's interests now, then by first appearance;
    the shared candidates (on sale, popular and newest) follow the list's."""
    slots = min(max(slots, 0), EXPLORE_BLOCK)
    discoveries = [
        product_id
        for place, product_id in enumerate(listed)
        if place % EXPLORE_BLOCK >= EXPLORE_BLOCK - slots
    ]
    kept = set(discoveries)
    position = {product_id: place for place, product_id in enumerate(listed)}
    order = {product_id: n for n, product_id in enumerate(dict.fromkeys([*listed, *shared]))}

    def score(product_id: str) -> tuple[float, int]:
        ranked = 1.0 / (1 + position[product_id]) if product_id in position else 0.0
        return (ranked + share.get(category(product_id), 0.0), -order[product_id])

    others = sorted((i for i in order if i not in kept), key=score, reverse=True)
    return interleave(others, discoveries, len(order), slots)


class RecommendService:
    # ---- training --------------------------------------------------------------------

    async def load(self, session: AsyncSession) -> Indexed:
        indexer = RowsIndexer()
        async for rows in recommend_repository.stream_actions(session):
            indexer.add_many(rows)
        return indexer.indexed()

    async def do_train(self, session: AsyncSession) -> TrainResult:
        """Train on every stored action and replace every precomputed list. Users are
        ranked a chunk at a time and their lists written as they come, so memory follows
        the events and one chunk's lists, never users × items."""
        started = time.perf_counter()
        indexed = await self.load(session)
        now = utcnow()

        def rows(subject: str, lists: Lists) -> list[dict[str, object]]:
            return [
                {
                    "subject": subject,
                    "subject_id": key,
                    "items": items,
                    "categories": categories,
                    "computed_at": now,
                }
                for key, items, categories in lists
            ]

        for subject in ("user", "product", "popular", "audience"):
            await recommend_repository.delete_lists(session, subject)
        if len(indexed.data):
            recommender = await asyncio.to_thread(Recommender, indexed.data)
            for start in range(0, indexed.data.n_users, USER_CHUNK):
                chunk = await asyncio.to_thread(_user_lists, recommender, indexed, start)
                await recommend_repository.add_lists(session, rows("user", chunk))
            for start in range(0, indexed.data.n_items, ITEM_CHUNK):
                also = await asyncio.to_thread(_also_lists, recommender, indexed, start)
                await recommend_repository.add_lists(session, rows("product", also))
            popular = _popular_list(recommender, indexed)
            await recommend_repository.add_lists(session, rows("popular", popular))
            ranges = recommender.audiences(AUDIENCE)
            while (
                audiences := await asyncio.to_thread(_audience_lists, ranges, indexed)
            ) is not None:
                await recommend_repository.add_lists(session, rows("audience", audiences))
        seconds = time.perf_counter() - started
        _shared_cache(session).clear()
        await recommend_repository.add_run(
            session,
            RecommendRun(
                actions=len(indexed.data),
                users=indexed.data.n_users,
                items=indexed.data.n_items,
                seconds=round(seconds, 3),
                trained_at=now,
            ),
        )
        return TrainResult(len(indexed.data), indexed.data.n_users, indexed.data.n_items, seconds)

    async def needs_training(self, session: AsyncSession) -> bool:
        last = await recommend_repository.last_run(session)
        actions = await recommend_repository.count_actions(session)
        if last is None:
            return actions > 0
        fresh = actions - last.actions
        return fresh >= RETRAIN_AFTER_ACTIONS or (
            fresh != 0 and utcnow() - last.trained_at >= RETRAIN_EVERY
        )

    async def do_train_if_due(self, session: AsyncSession) -> TrainResult | None:
        """The worker's job: retrain when enough is new, or when the model is old."""
        if await self.needs_training(session):
            return await self.do_train(session)
        return None

    async def do_note_activity(self, session: AsyncSession) -> None:
        """New behaviour arrived: make sure one training check is pending."""
        pending = await job_service.list_jobs(session, kind=TRAIN_JOB, status="pending")
        if not pending:
            job_service.do_schedule(session, TRAIN_JOB, run_at=utcnow() + CHECK_DELAY)

    # ---- serving ---------------------------------------------------------------------

    async def _on_sale(self, session: AsyncSession, ids: list[str], k: int) -> list[Product]:
        """The first k of these products that are on sale, in this order."""
        ordered = list(dict.fromkeys(ids))
        chosen: list[Product] = []
        start, batch = 0, k + 4
        while len(chosen) < k and start < len(ordered):
            wanted = ordered[start : start + batch]
            cards = await recommend_repository.on_sale_cards(session, wanted)
            chosen += [cards[i] for i in wanted if i in cards]
            start, batch = start + batch, batch * 2
        return chosen[:k]

    async def popular_products(
        self, session: AsyncSession, k: int, exclude: set[str] | None = None
    ) -> list[Product]:
        exclude = exclude or set()
        ids = await recommend_repository.get_list(session, "popular", "all")
        products = await self._on_sale(session, [i for i in ids if i not in exclude], k)
        if len(products) < k:
            # Nothing trained yet (or too little on sale in it): the newest on sale.
            known = exclude | {p.id for p in products}
            newest = await recommend_repository.newest_on_sale(session, k + len(known))
            products += await self._on_sale(
                session, [i for i in newest if i not in known], k - len(products)
            )
        return products

    async def _shared_candidates(self, session: AsyncSession) -> dict[str, tuple[str, str]]:
        """The popular list and the newest on sale with their category and status, cached
        for a few seconds per process: every viewer's list is topped up from them."""
        now = time.monotonic()
        cache = _shared_cache(session)
        cached = cache.get("candidates")
        if cached is not None and cached[0] > now:
            return cached[1]
        popular = await recommend_repository.get_list(session, "popular", "all")
        newest = await recommend_repository.newest_on_sale(session, 60)
        briefs = await recommend_repository.product_briefs(session, [*popular, *newest])
        ordered = {i: briefs[i] for i in dict.fromkeys([*popular, *newest]) if i in briefs}
        cache["candidates"] = (now + SHARED_TTL_S, ordered)
        return ordered

    async def products_for_viewer(
        self, session: AsyncSession, user_id: str | None, k: int = 12
    ) -> list[Product]:
        """猜你喜欢: the trained list re-ordered by the profile as it is now (kept current
        event by event, so browsing and buying change it at once), then goods on sale of
        the viewer's categories, then popular ones.

        Two reads per request: the viewer's list with its categories and the profile in
        one statement, then the chosen products (on sale, with SKUs and images) in
        another; the shared candidates come from the process's few-second cache."""
        shared = await self._shared_candidates(session)
        listed: list[str] = []
        interests: list[Interest] = []
        categories: dict[str, str] = {}
        if user_id is not None:
            state = await recommend_repository.viewer_state(session, user_id)
            personalised, interests = profile_service.interests_now(
                state.personalised, state.interests, state.scored_at, 5
            )
            if personalised:
                listed = state.items
                categories = dict(zip(state.items, state.categories, strict=True))
        total = sum(i.score for i in interests) or 1.0
        share = {i.name: i.score / total for i in interests}

        def category(product_id: str) -> str:
            known = shared.get(product_id)
            return known[0] if known is not None else categories.get(product_id, "")

        # A shared candidate's status is known (cached); a listed one is checked on reading.
        on_sale = [i for i in shared if shared[i][1] == ProductStatus.ON_SALE]
        ranked = shelf_order(listed, on_sale, category, share)
        chosen: list[Product] = []
        start, batch = 0, k + 4
        while len(chosen) < k and start < len(ranked):
            wanted = ranked[start : start + batch]
            cards = await recommend_repository.on_sale_cards(session, wanted)
            chosen += [cards[i] for i in wanted if i in cards]
            start, batch = start + batch, batch * 2
        return chosen[:k]

    async def also_for_product(
        self, session: AsyncSession, product_id: str, k: int = 8
    ) -> list[Product]:
        ids = await recommend_repository.get_list(session, "product", product_id)
        return [p for p in await self._on_sale(session, ids, k + 1) if p.id != product_id][:k]

    async def rooms_for_viewer(
        self, session: AsyncSession, user_id: str | None, k: int = 6
    ) -> list[tuple[Room, LiveSession]]:
        """Rooms on air, the viewer's hosts and tags first, then by followers."""
        room_ids = set(await live_service.all_room_ids(session))
        on_air = await live_service.on_air_sessions(session, room_ids)
        rooms = await live_service.get_rooms(session, set(on_air))
        hosts: dict[str, float] = {}
        tags: dict[str, float] = {}
        if user_id is not None:
            summary_tags = await profile_service.get_tag_interests(session, user_id, 20)
            tags = {interest.name: interest.score for interest in summary_tags}
            hosts = await profile_service.get_host_interests(session, user_id)

        def score(room: Room) -> tuple[float, int, str]:
            mine = hosts.get(room.id, 0.0) + sum(tags.get(str(tag), 0.0) for tag in room.tags)
            return (-mine, -room.followers_count, room.id)

        ranked = sorted(rooms.values(), key=score)[:k]
        return [(room, on_air[room.id]) for room in ranked]

    async def products_for_audience(
        self, session: AsyncSession, categories: list[str], k: int, exclude_merchant: str
    ) -> list[Product]:
        """On-sale products of the audience's categories (strongest first), then popular."""
        rank = {name: index for index, name in enumerate(categories)}
        popular = await recommend_repository.get_list(session, "popular", "all")
        popularity = {product_id: index for index, product_id in enumerate(popular)}
        on_sale = await catalog_service.on_sale_product_ids(session)
        products = await catalog_service.get_products(session, set(on_sale))
        fitting = sorted(
            (p for p in products.values() if p.merchant_id != exclude_merchant),
            key=lambda p: (
                rank.get(p.category, len(rank)),
                popularity.get(p.id, len(popularity)),
                p.id,
            ),
        )
        return fitting[:k]

    async def audience_of_product(self, session: AsyncSession, product_id: str) -> list[str]:
        """The product's likeliest users, best first (ids: for targeting, never shown)."""
        return await recommend_repository.get_list(session, "audience", product_id)

    async def acted_on(
        self, session: AsyncSession, user_ids: list[str], product_id: str, since: datetime
    ) -> set[str]:
        return await recommend_repository.actions_of_users(session, user_ids, product_id, since)


recommend_service = RecommendService()
