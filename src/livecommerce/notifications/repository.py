"""Queries of the inbox, the preferences and the e-mail deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, desc, fetch_page
from livecommerce.models import (
    EmailDelivery,
    EmailStatus,
    Notification,
    NotificationPreference,
)


def _insert(session: AsyncSession, model: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model)
    return sqlite_insert(model)


class NotificationRepository:
    # ---- inbox -----------------------------------------------------------------------------

    async def insert_notifications(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]]
    ) -> list[tuple[str, str]]:
        """Insert the rows, skipping any whose (user, dedupe key) exists already; the
        (id, user id) of the rows added."""
        if not rows:
            return []
        statement = (
            _insert(session, Notification)
            .values(list(rows))
            .on_conflict_do_nothing()
            .returning(Notification.id, Notification.user_id)
        )
        result = await session.execute(statement)
        return [(row[0], row[1]) for row in result]

    async def get(self, session: AsyncSession, notification_id: str) -> Notification | None:
        return await session.get(Notification, notification_id)

    async def page_inbox(
        self, session: AsyncSession, user_id: str, *, unread_only: bool, page: PageRequest
    ) -> Page[Notification]:
        query = select(Notification).where(
            Notification.user_id == user_id, Notification.in_app.is_(True)
        )
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        return await fetch_page(
            session, query, (desc(Notification.created_at), desc(Notification.id)), page
        )

    async def unread_count(self, session: AsyncSession, user_id: str) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.in_app.is_(True),
                Notification.read_at.is_(None),
            )
        )
        return int(count or 0)

    async def mark_read(
        self, session: AsyncSession, user_id: str, ids: Sequence[str] | None, now: datetime
    ) -> int:
        """Mark the user's unread notifications (``ids``, or all) read; how many changed."""
        statement = update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        if ids is not None:
            statement = statement.where(Notification.id.in_(list(ids)))
        result = await session.execute(
            statement.values(read_at=now).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # ---- preferences -------------------------------------------------------------------------

    async def preferences_of(
        self, session: AsyncSession, user_ids: Sequence[str], category: str | None = None
    ) -> list[NotificationPreference]:
        if not user_ids:
            return []
        query = select(NotificationPreference).where(
            NotificationPreference.user_id.in_(list(user_ids))
        )
        if category is not None:
            query = query.where(NotificationPreference.category == category)
        result = await session.execute(query)
        return list(result.scalars())

    async def upsert_preference(
        self,
        session: AsyncSession,
        user_id: str,
        category: str,
        *,
        in_app: bool | None,
        email: bool | None,
        defaults: tuple[bool, bool],
        now: datetime,
    ) -> None:
        values = {
            "user_id": user_id,
            "category": category,
            "in_app": defaults[0] if in_app is None else in_app,
            "email": defaults[1] if email is None else email,
            "updated_at": now,
        }
        changes: dict[str, Any] = {"updated_at": now}
        if in_app is not None:
            changes["in_app"] = in_app
        if email is not None:
            changes["email"] = email
        statement = (
            _insert(session, NotificationPreference)
            .values(values)
            .on_conflict_do_update(index_elements=["user_id", "category"], set_=changes)
        )
        await session.execute(statement)

    # ---- e-mail ------------------------------------------------------------------------------

    def add_delivery(self, session: AsyncSession, delivery: EmailDelivery) -> None:
        session.add(delivery)

    async def claim_delivery(self, session: AsyncSession, delivery_id: str) -> EmailDelivery | None:
        """Lock a pending delivery for this transaction; None once it left ``pending`` or
        another worker holds it."""
        result = await session.execute(
            select(EmailDelivery)
            .where(EmailDelivery.id == delivery_id, EmailDelivery.status == EmailStatus.PENDING)
            .with_for_update(skip_locked=True)
        )
        return result.scalar_one_or_none()

    async def get_delivery(self, session: AsyncSession, delivery_id: str) -> EmailDelivery | None:
        return await session.get(EmailDelivery, delivery_id)

    async def set_delivery(self, session: AsyncSession, delivery_id: str, **values: Any) -> None:
        await session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == delivery_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def list_deliveries(
        self, session: AsyncSession, *, user_id: str | None = None
    ) -> list[EmailDelivery]:
        query = select(EmailDelivery).order_by(EmailDelivery.created_at, EmailDelivery.id)
        if user_id is not None:
            query = query.where(EmailDelivery.user_id == user_id)
        result = await session.execute(query)
        return list(result.scalars())


notification_repository = NotificationRepository()
