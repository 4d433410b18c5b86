from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import ClaimStatus, Coupon, CouponClaim, CouponHolder


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class CouponRepository:
    async def get(self, session: AsyncSession, coupon_id: str) -> Coupon | None:
        return await session.get(Coupon, coupon_id)

    async def add(self, session: AsyncSession, coupon: Coupon) -> None:
        session.add(coupon)
        await session.flush()

    async def refresh(self, session: AsyncSession, obj: Any) -> None:
        await session.refresh(obj)

    async def list_by_issuer(
        self, session: AsyncSession, issuer_id: str, page: PageRequest
    ) -> Page[Coupon]:
        query = select(Coupon).where(Coupon.issuer_id == issuer_id)
        return await fetch_page(session, query, (desc(Coupon.created_at), asc(Coupon.id)), page)

    async def list_for_room(
        self, session: AsyncSession, room_id: str, now: datetime, page: PageRequest
    ) -> Page[Coupon]:
        """The room's coupons a viewer can claim now: handed out, in date, not all taken;
        the latest handed out first."""
        query = select(Coupon).where(
            Coupon.room_id == room_id,
            Coupon.dropped_at.is_not(None),
            Coupon.active.is_(True),
            Coupon.starts_at <= now,
            Coupon.ends_at > now,
            Coupon.claimed_count < Coupon.total_limit,
        )
        keyset = (desc(Coupon.dropped_at), asc(Coupon.id))
        return await fetch_page(session, query, keyset, page)

    async def mark_dropped(self, session: AsyncSession, coupon_id: str, at: datetime) -> None:
        await session.execute(
            update(Coupon)
            .where(Coupon.id == coupon_id)
            .values(dropped_at=at)
            .execution_options(synchronize_session=False)
        )

    async def take_one(self, session: AsyncSession, coupon_id: str) -> bool:
        """``UPDATE coupons SET claimed_count = claimed_count + 1 WHERE claimed_count < total``."""
        result = await session.execute(
            update(Coupon)
            .where(Coupon.id == coupon_id, Coupon.claimed_count < Coupon.total_limit)
            .values(claimed_count=Coupon.claimed_count + 1)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def hold_one(
        self, session: AsyncSession, coupon_id: str, user_id: str, per_user_limit: int
    ) -> bool:
        values = {"id": new_id(), "coupon_id": coupon_id, "user_id": user_id, "claimed": 0}
        dialect = session.get_bind().dialect.name
        statement: Any
        if dialect == "postgresql":
            statement = postgresql_insert(CouponHolder).values(values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            statement = sqlite_insert(CouponHolder).values(values).on_conflict_do_nothing()
        else:  # pragma: no cover
            statement = insert(CouponHolder).values(values)
        await session.execute(statement)
        result = await session.execute(
            update(CouponHolder)
            .where(
                CouponHolder.coupon_id == coupon_id,
                CouponHolder.user_id == user_id,
                CouponHolder.claimed + 1 <= per_user_limit,
            )
            .values(claimed=CouponHolder.claimed + 1)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def add_claim(self, session: AsyncSession, claim: CouponClaim) -> None:
        session.add(claim)
        await session.flush()

    async def get_claims(self, session: AsyncSession, claim_ids: list[str]) -> list[CouponClaim]:
        result = await session.execute(select(CouponClaim).where(CouponClaim.id.in_(claim_ids)))
        return list(result.scalars())

    async def list_claims(
        self, session: AsyncSession, user_id: str, status: str | None
    ) -> list[CouponClaim]:
        query = (
            select(CouponClaim)
            .where(CouponClaim.user_id == user_id)
            .order_by(CouponClaim.claimed_at.desc(), CouponClaim.id)
            .limit(200)
        )
        if status is not None:
            query = query.where(CouponClaim.status == status)
        result = await session.execute(query)
        return list(result.scalars())

    async def page_claims(
        self, session: AsyncSession, user_id: str, status: str | None, page: PageRequest
    ) -> Page[CouponClaim]:
        query = select(CouponClaim).where(CouponClaim.user_id == user_id)
        if status is not None:
            query = query.where(CouponClaim.status == status)
        keyset = (desc(CouponClaim.claimed_at), asc(CouponClaim.id))
        return await fetch_page(session, query, keyset, page)

    async def use_claim(
        self,
        session: AsyncSession,
        claim_id: str,
        user_id: str,
        order_id: str,
        discount_cents: int,
        at: datetime,
    ) -> bool:
        """``UPDATE … SET status = 'used' WHERE status = 'available'``: used once, ever."""
        result = await session.execute(
            update(CouponClaim)
            .where(
                CouponClaim.id == claim_id,
                CouponClaim.user_id == user_id,
                CouponClaim.status == ClaimStatus.AVAILABLE,
            )
            .values(
                status=ClaimStatus.USED,
                order_id=order_id,
                discount_cents=discount_cents,
                used_at=at,
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def release_for_order(self, session: AsyncSession, order_id: str) -> int:
        result = await session.execute(
            update(CouponClaim)
            .where(CouponClaim.order_id == order_id, CouponClaim.status == ClaimStatus.USED)
            .values(status=ClaimStatus.AVAILABLE, order_id=None, used_at=None, discount_cents=0)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)


coupon_repository = CouponRepository()
