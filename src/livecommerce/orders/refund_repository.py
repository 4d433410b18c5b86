"""Refund requests' queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, desc, fetch_page
from livecommerce.models import RefundRequest


class RefundRepository:
    async def get(
        self, session: AsyncSession, request_id: str, *, for_update: bool = False
    ) -> RefundRequest | None:
        query = select(RefundRequest).where(RefundRequest.id == request_id)
        if for_update:
            query = query.with_for_update()
        return (await session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        session: AsyncSession,
        *,
        merchant_id: str | None = None,
        room_id: str | None = None,
        status: str | None = None,
        page: PageRequest,
    ) -> Page[RefundRequest]:
        query = select(RefundRequest)
        if merchant_id is not None:
            query = query.where(RefundRequest.merchant_id == merchant_id)
        if room_id is not None:
            query = query.where(RefundRequest.room_id == room_id)
        if status is not None:
            query = query.where(RefundRequest.status == status)
        return await fetch_page(
            session, query, (desc(RefundRequest.created_at), desc(RefundRequest.id)), page
        )


refund_repository = RefundRepository()
