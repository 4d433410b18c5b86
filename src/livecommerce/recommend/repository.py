"""Queries of recommend: the actions to train on, precomputed lists, training runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, cast, delete, extract, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    Product,
    ProductAction,
    RecommendList,
    RecommendRun,
    TargetingCampaign,
    TargetingMember,
    UserProfile,
)

STREAM_BATCH = 50_000  # actions fetched at a time while loading the training set


@dataclass(frozen=True)
class ViewerState:
    """A viewer's precomputed list and the profile columns that re-rank it (one read)."""

    items: list[str]
    categories: list[str]
    personalised: bool | None  # None: no profile yet
    interests: dict[str, Any] | None
    scored_at: datetime | None


class RecommendRepository:
    async def stream_actions(
        self, session: AsyncSession, batch: int = STREAM_BATCH
    ) -> AsyncIterator[Sequence[tuple[str, str, str, str, int]]]:
        """Every stored action as (user, product, category, action, Unix seconds), a batch
        of rows at a time. The time is converted by the database (no datetime per row)."""
        user, product, category, action, occurred_at = ProductAction.fact_columns()
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        seconds: Any = extract("epoch", occurred_at)
        if dialect == "postgresql":  # numeric there: whole seconds, as int(timestamp())
            seconds = func.trunc(seconds)
        result = await session.stream(
            select(user, product, category, action, cast(seconds, BigInteger)).execution_options(
                yield_per=batch
            )
        )
        async for rows in result.partitions():
            yield rows

    async def count_actions(self, session: AsyncSession) -> int:
        return int(
            (await session.execute(select(func.count()).select_from(ProductAction))).scalar_one()
        )

    async def delete_lists(self, session: AsyncSession, subject: str) -> None:
        await session.execute(delete(RecommendList).where(RecommendList.subject == subject))

    async def add_lists(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 5_000):
            await session.execute(insert(RecommendList), rows[start : start + 5_000])

    async def get_list(self, session: AsyncSession, subject: str, subject_id: str) -> list[str]:
        found = await session.get(RecommendList, (subject, subject_id))
        return [str(item) for item in found.items] if found is not None else []

    async def viewer_state(self, session: AsyncSession, user_id: str) -> ViewerState:
        """The viewer's list (items, their categories) and profile in one statement."""

        def of_list(column: Any) -> Any:
            return (
                select(column)
                .where(RecommendList.subject == "user", RecommendList.subject_id == user_id)
                .scalar_subquery()
            )

        def of_profile(column: Any) -> Any:
            return select(column).where(UserProfile.user_id == user_id).scalar_subquery()

        row = (
            await session.execute(
                select(
                    of_list(RecommendList.items),
                    of_list(RecommendList.categories),
                    of_profile(UserProfile.personalised),
                    of_profile(UserProfile.interests),
                    of_profile(UserProfile.scored_at),
                )
            )
        ).one()
        items, categories, personalised, interests, scored_at = row
        items = [str(i) for i in items or []]
        categories = [str(c) for c in categories or []]
        if len(categories) != len(items):
            categories = [""] * len(items)  # a list trained before categories were kept
        return ViewerState(
            items,
            categories,
            None if personalised is None else bool(personalised),
            interests,
            scored_at,
        )

    async def on_sale_cards(
        self, session: AsyncSession, product_ids: Sequence[str]
    ) -> dict[str, Product]:
        """Those of these products on sale, with SKUs and images, in one statement."""
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return {}
        result = await session.execute(
            select(Product)
            .where(Product.id.in_(ids), Product.status == "on_sale")
            .options(joinedload(Product.skus), joinedload(Product.images))
        )
        return {product.id: product for product in result.unique().scalars()}

    async def product_briefs(
        self, session: AsyncSession, product_ids: Sequence[str]
    ) -> dict[str, tuple[str, str]]:
        """Category and status of each product, by primary key (cheap: no SKUs, no images)."""
        ids = list(dict.fromkeys(product_ids))
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), 500):
            rows = await session.execute(
                select(Product.id, Product.category, Product.status).where(
                    Product.id.in_(ids[start : start + 500])
                )
            )
            found.update({pid: (category, status) for pid, category, status in rows})
        return found

    async def newest_on_sale(self, session: AsyncSession, limit: int) -> list[str]:
        rows = await session.scalars(
            select(Product.id)
            .where(Product.status == "on_sale")
            .order_by(Product.created_at.desc(), Product.id)
            .limit(limit)
        )
        return list(rows)

    async def add_run(self, session: AsyncSession, run: RecommendRun) -> None:
        session.add(run)

    async def last_run(self, session: AsyncSession) -> RecommendRun | None:
        return await session.scalar(select(RecommendRun).order_by(RecommendRun.id.desc()).limit(1))

    async def actions_of_users(
        self, session: AsyncSession, user_ids: Sequence[str], product_id: str, since: datetime
    ) -> set[str]:
        """Which of these users acted on the product since then."""
        found: set[str] = set()
        ids = list(user_ids)
        for start in range(0, len(ids), 500):
            rows = await session.scalars(
                select(ProductAction.user_id)
                .where(
                    ProductAction.user_id.in_(ids[start : start + 500]),
                    ProductAction.product_id == product_id,
                    ProductAction.occurred_at >= since,
                )
                .distinct()
            )
            found.update(rows)
        return found

    async def page_campaigns(
        self, session: AsyncSession, owner_id: str, page: PageRequest
    ) -> Page[TargetingCampaign]:
        query = select(TargetingCampaign).where(TargetingCampaign.owner_id == owner_id)
        return await fetch_page(
            session,
            query,
            (desc(TargetingCampaign.created_at), asc(TargetingCampaign.id)),
            page,
        )

    async def campaign_members(
        self, session: AsyncSession, campaign_id: str
    ) -> list[tuple[str, str]]:
        rows = await session.execute(
            select(TargetingMember.user_id, TargetingMember.group).where(
                TargetingMember.campaign_id == campaign_id
            )
        )
        return [(user_id, group) for user_id, group in rows]


recommend_repository = RecommendRepository()
