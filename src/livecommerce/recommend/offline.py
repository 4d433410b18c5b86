"""`livecommerce recommend --users FILE`: imported users' top-K in external item ids."""

from __future__ import annotations

import asyncio

from livecommerce.kit.db import Database
from livecommerce.profiles.importer import SOURCE
from livecommerce.profiles.service import profile_service
from livecommerce.recommend.engine import Recommender
from livecommerce.recommend.service import recommend_service


async def recommend_external(
    db: Database, external_users: list[str], k: int
) -> dict[str, list[str]]:
    """Trained on every stored product action; unknown users get what is popular."""
    async with db.transaction() as session:
        indexed = await recommend_service.load(session)
        if not len(indexed.data):
            return {user: [] for user in external_users}  # nothing imported yet
        internal = await profile_service.internal_ids(session, SOURCE, "user", external_users)
        recommender = await asyncio.to_thread(Recommender, indexed.data)
        position = {user: index for index, user in enumerate(indexed.users)}
        picks: dict[str, list[int]] = {}
        for external in external_users:
            index = position.get(internal.get(external, ""), indexed.data.n_users)
            picks[external] = recommender.recommend_items(index, k)
        item_ids = sorted({indexed.items[i] for chosen in picks.values() for i in chosen})
        externals = await profile_service.external_ids(session, SOURCE, "item", item_ids)
        return {
            user: [externals.get(indexed.items[i], indexed.items[i]) for i in chosen]
            for user, chosen in picks.items()
        }
