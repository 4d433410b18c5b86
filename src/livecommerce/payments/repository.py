from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.models import Payment


class PaymentRepository:
    async def get(self, session: AsyncSession, payment_id: str) -> Payment | None:
        return await session.get(Payment, payment_id)

    async def get_by_reference(
        self, session: AsyncSession, provider: str, reference: str
    ) -> Payment | None:
        result = await session.execute(
            select(Payment).where(
                Payment.provider == provider, Payment.provider_reference == reference
            )
        )
        return result.scalars().first()

    async def list_for_order(
        self, session: AsyncSession, order_id: str, *, status: str | None = None
    ) -> list[Payment]:
        query = select(Payment).where(Payment.order_id == order_id)
        if status is not None:
            query = query.where(Payment.status == status)
        result = await session.execute(query.order_by(Payment.created_at, Payment.id))
        return list(result.scalars())

    async def add_refunded(self, session: AsyncSession, payment_id: str, amount_cents: int) -> bool:
        """Count ``amount_cents`` more as given back, never beyond what was paid."""
        result = await session.execute(
            update(Payment)
            .where(
                Payment.id == payment_id,
                Payment.status == "succeeded",
                Payment.refunded_cents + amount_cents <= Payment.amount_cents,
            )
            .values(refunded_cents=Payment.refunded_cents + amount_cents)
            .execution_options(synchronize_session=False)
        )
        return int(cast(CursorResult[Any], result).rowcount) == 1

    async def add(self, session: AsyncSession, payment: Payment) -> None:
        session.add(payment)
        await session.flush()

    async def refresh(self, session: AsyncSession, payment: Payment) -> None:
        await session.refresh(payment)

    async def transition(
        self,
        session: AsyncSession,
        payment_id: str,
        *,
        from_statuses: Iterable[str],
        to_status: str,
        **values: Any,
    ) -> bool:
        """``UPDATE payments SET status = :to … WHERE id = :id AND status IN (:from)``."""
        result = await session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.status.in_(list(from_statuses)))
            .values(status=to_status, **values)
            .execution_options(synchronize_session=False)
        )
        return int(cast(CursorResult[Any], result).rowcount) == 1


payment_repository = PaymentRepository()
