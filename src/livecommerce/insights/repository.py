from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit import pending
from livecommerce.models import BehaviourEvent, BehaviourKind


@dataclass(frozen=True)
class SessionTotals:
    viewers: int
    chats: int
    orders: int
    gmv_cents: int


class InsightsRepository:
    async def insert_many(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """One INSERT for a batch of events (heartbeats, merged likes), every row with the
        same keys. Core on the table, not the ORM's bulk path: that one drops each row's
        None values (so column defaults apply) and then groups consecutive rows by their
        remaining keys, which split a hub's mixed batch into one statement per few rows."""
        if rows:
            await pending.insert_rows(session, cast(Table, BehaviourEvent.__table__), rows)

    async def events_after(
        self, session: AsyncSession, after_id: int, also_ids: list[int], limit: int
    ) -> list[Any]:
        """Events past ``after_id`` (and the listed older ids), oldest first, as plain
        rows (attribute access like the model): a rollup reads thousands at a time. The
        payload is not decoded: only its ``source`` is read, as ``source``."""
        table = BehaviourEvent.__table__
        condition = table.c.id > after_id
        if also_ids:
            condition = or_(condition, table.c.id.in_(also_ids))
        c = table.c
        result = await session.execute(
            select(
                c.id,
                c.kind,
                c.user_id,
                c.visitor_id,
                c.room_id,
                c.session_id,
                c.product_id,
                c.value,
                c.occurred_at,
                c.payload["source"].as_string().label("source"),
            )
            .where(condition)
            .order_by(c.id)
            .limit(limit)
        )
        return list(result.all())

    async def last_id(self, session: AsyncSession) -> int:
        result = await session.execute(select(func.coalesce(func.max(BehaviourEvent.id), 0)))
        return int(result.scalar_one())

    async def user_ids_in_room(self, session: AsyncSession, room_id: str, limit: int) -> list[str]:
        rows = await session.scalars(
            select(BehaviourEvent.user_id)
            .where(BehaviourEvent.room_id == room_id, BehaviourEvent.user_id.is_not(None))
            .group_by(BehaviourEvent.user_id)
            .order_by(func.max(BehaviourEvent.id).desc())
            .limit(limit)
        )
        return [str(user_id) for user_id in rows]

    async def entered_among(
        self, session: AsyncSession, session_id: str, user_ids: Sequence[str], since: datetime
    ) -> set[str]:
        """Which of these users entered the session since then."""
        found: set[str] = set()
        ids = list(user_ids)
        for start in range(0, len(ids), 500):
            rows = await session.scalars(
                select(BehaviourEvent.user_id)
                .where(
                    BehaviourEvent.session_id == session_id,
                    BehaviourEvent.kind == BehaviourKind.ENTER,
                    BehaviourEvent.user_id.in_(ids[start : start + 500]),
                    BehaviourEvent.occurred_at >= since,
                )
                .distinct()
            )
            found.update(str(user_id) for user_id in rows)
        return found

    async def delete_user(self, session: AsyncSession, user_id: str) -> int:
        """Erase every behaviour event of a user; the number erased."""
        result = await session.execute(
            delete(BehaviourEvent).where(BehaviourEvent.user_id == user_id)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def sum_values(self, session: AsyncSession, session_id: str, kind: BehaviourKind) -> int:
        result = await session.execute(
            select(func.coalesce(func.sum(BehaviourEvent.value), 0)).where(
                BehaviourEvent.session_id == session_id, BehaviourEvent.kind == kind.value
            )
        )
        return int(result.scalar_one())

    async def session_totals(self, session: AsyncSession, session_id: str) -> SessionTotals:
        kind = BehaviourEvent.kind
        enter = kind == BehaviourKind.ENTER.value
        payment = kind == BehaviourKind.PAYMENT.value
        result = await session.execute(
            select(
                func.count(distinct(case((enter, BehaviourEvent.user_id)))),
                func.count(
                    distinct(
                        case(
                            (
                                and_(enter, BehaviourEvent.user_id.is_(None)),
                                BehaviourEvent.visitor_id,
                            )
                        )
                    )
                ),
                func.coalesce(func.sum(case((kind == BehaviourKind.CHAT.value, 1), else_=0)), 0),
                func.coalesce(func.sum(case((payment, 1), else_=0)), 0),
                func.coalesce(func.sum(case((payment, BehaviourEvent.value), else_=0)), 0),
            ).where(
                BehaviourEvent.session_id == session_id,
                kind.in_(
                    [
                        BehaviourKind.ENTER.value,
                        BehaviourKind.CHAT.value,
                        BehaviourKind.PAYMENT.value,
                    ]
                ),
            )
        )
        users, visitors, chats, orders, gmv = result.one()
        return SessionTotals(
            viewers=int(users) + int(visitors),
            chats=int(chats),
            orders=int(orders),
            gmv_cents=int(gmv),
        )


insights_repository = InsightsRepository()
