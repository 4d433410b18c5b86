"""Every SQL statement of the interactions domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit import pending
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import (
    BehaviourEvent,
    BehaviourKind,
    ChatMessage,
    FlashSale,
    FlashSaleBuyer,
    Lottery,
    LotteryEntry,
    LotteryStatus,
    Order,
    OrderItem,
    OrderStatus,
    Question,
    QuestionStatus,
    QuestionVote,
)

PAID_STATES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on both supported databases."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(model).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(model).values(values).on_conflict_do_nothing()
    return insert(model).values(values)  # pragma: no cover - supported databases above


# ``place_at_once`` (PostgreSQL): a whole batch of buys, one statement. Its parts run
# together, on one snapshot: the buyers' counters move (each within the limit), the
# sale's units go (only while it is open, its session on air and enough are left; the
# last ones mark it sold out), and the kept-back rows (orders, items, timers, events)
# are inserted. The final SELECT divides by zero — the whole statement fails and
# nothing of it stays — unless every counter moved and the units were taken.
_PLACE_AT_ONCE = """
    WITH counters AS (
        INSERT INTO flash_sale_buyers (id, sale_id, buyer_id, bought)
        SELECT added.id, :sale_id, added.buyer_id, added.bought
        FROM unnest(CAST(:ids AS varchar[]), CAST(:buyer_ids AS varchar[]),
                    CAST(:amounts AS integer[])) AS added(id, buyer_id, bought)
        ON CONFLICT (sale_id, buyer_id) DO UPDATE
        SET bought = flash_sale_buyers.bought + excluded.bought
        WHERE flash_sale_buyers.bought + excluded.bought <= :limit
        RETURNING buyer_id
    ),
    units AS (
        UPDATE flash_sales
        SET units_left = units_left - :total,
            sold_out_at = CASE WHEN units_left = :total AND sold_out_at IS NULL
                               THEN CAST(:now AS timestamptz) ELSE sold_out_at END
        WHERE id = :sale_id AND settled_at IS NULL AND ends_at > CAST(:now AS timestamptz)
          AND units_left >= :total
          AND EXISTS (SELECT 1 FROM live_sessions
                      WHERE live_sessions.id = flash_sales.session_id
                        AND live_sessions.status = ANY(CAST(:on_air AS varchar[])))
        RETURNING units_left
    ){kept}
    SELECT 1 / CASE WHEN (SELECT count(*) FROM counters) = :buyers
                     AND EXISTS (SELECT 1 FROM units) THEN 1 ELSE 0 END AS placed,
           (SELECT units_left FROM units) AS units_left
"""
_DIVISION_BY_ZERO = "22012"


def _refused_at_once(error: DBAPIError) -> bool:
    """Whether the statement failed on its own condition (the division by zero)."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code == _DIVISION_BY_ZERO


class FlashSaleRepository:
    async def get(self, session: AsyncSession, sale_id: str) -> FlashSale | None:
        return await session.get(FlashSale, sale_id)

    async def refresh(self, session: AsyncSession, sale: FlashSale) -> None:
        await session.refresh(sale)

    async def add(self, session: AsyncSession, sale: FlashSale) -> None:
        session.add(sale)
        await session.flush()

    async def list_for_session(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[FlashSale]:
        query = select(FlashSale).where(FlashSale.session_id == session_id)
        keyset = (desc(FlashSale.created_at), asc(FlashSale.id))
        return await fetch_page(session, query, keyset, page)

    async def current_for_session(
        self, session: AsyncSession, session_id: str, now: datetime
    ) -> FlashSale | None:
        """The sale that is running or counting down, if any."""
        result = await session.execute(
            select(FlashSale)
            .where(
                FlashSale.session_id == session_id,
                FlashSale.settled_at.is_(None),
                FlashSale.ends_at > now,
            )
            .order_by(FlashSale.starts_at)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def list_open(self, session: AsyncSession) -> list[FlashSale]:
        """Every sale not settled yet (running, counting down, or ended and due to close)."""
        result = await session.execute(
            select(FlashSale).where(FlashSale.settled_at.is_(None)).order_by(FlashSale.starts_at)
        )
        return list(result.scalars())

    async def units_left(self, session: AsyncSession, sale_id: str) -> int | None:
        value = await session.scalar(select(FlashSale.units_left).where(FlashSale.id == sale_id))
        return None if value is None else int(value)

    async def take_units(self, session: AsyncSession, sale_id: str, quantity: int) -> int | None:
        """``UPDATE … SET units_left = units_left - :q WHERE units_left >= :q``: the units
        left afterwards, or None when there were not enough."""
        result = await session.execute(
            update(FlashSale)
            .where(
                FlashSale.id == sale_id,
                FlashSale.settled_at.is_(None),
                FlashSale.units_left >= quantity,
            )
            .values(units_left=FlashSale.units_left - quantity)
            .returning(FlashSale.units_left)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        return None if row is None else int(row[0])

    async def put_back_units(self, session: AsyncSession, sale_id: str, quantity: int) -> bool:
        """Units of an expired or cancelled order go back to a sale that is still open."""
        result = await session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id, FlashSale.settled_at.is_(None))
            .values(units_left=FlashSale.units_left + quantity)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def count_returned(self, session: AsyncSession, sale_id: str, quantity: int) -> None:
        await session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id)
            .values(units_returned=FlashSale.units_returned + quantity)
            .execution_options(synchronize_session=False)
        )

    async def mark_sold_out(self, session: AsyncSession, sale_id: str, at: datetime) -> bool:
        result = await session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id, FlashSale.sold_out_at.is_(None))
            .values(sold_out_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def settle(self, session: AsyncSession, sale_id: str, at: datetime) -> int | None:
        """Close the sale once: every unit left is counted as returned to the SKU.
        Returns how many units to give back, or None when it was settled already."""
        result = await session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale_id, FlashSale.settled_at.is_(None))
            .values(
                settled_at=at,
                units_returned=FlashSale.units_returned + FlashSale.units_left,
                units_left=0,
            )
            .returning(FlashSale.units_returned)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        if row is None:
            return None
        sale = await self.get(session, sale_id)
        assert sale is not None
        await session.refresh(sale)
        return sale.units_returned

    async def lock_for_batch(
        self, session: AsyncSession, sale_id: str
    ) -> tuple[int, datetime | None, datetime] | None:
        """The sale's ``units_left``, ``settled_at`` and ``ends_at``, its row locked until
        the transaction ends (PostgreSQL; on SQLite the writing transaction holds the
        database's one write lock already)."""
        result = await session.execute(
            select(FlashSale.units_left, FlashSale.settled_at, FlashSale.ends_at)
            .where(FlashSale.id == sale_id)
            .with_for_update()
        )
        row = result.first()
        return None if row is None else (int(row[0]), row[1], row[2])

    async def bought_by(
        self, session: AsyncSession, sale_id: str, buyer_ids: list[str]
    ) -> dict[str, int]:
        """What each of these buyers holds in the sale, their counters locked (after the
        sale's row, the order every buy and return locks them in)."""
        result = await session.execute(
            select(FlashSaleBuyer.buyer_id, FlashSaleBuyer.bought)
            .where(FlashSaleBuyer.sale_id == sale_id, FlashSaleBuyer.buyer_id.in_(buyer_ids))
            .with_for_update()
        )
        return {buyer_id: int(bought) for buyer_id, bought in result.all()}

    async def set_bought(
        self, session: AsyncSession, sale_id: str, counters: dict[str, int]
    ) -> None:
        """Store each buyer's new count: one upsert for the whole batch."""
        if not counters:
            return
        rows = [
            {"id": new_id(), "sale_id": sale_id, "buyer_id": buyer_id, "bought": bought}
            for buyer_id, bought in counters.items()
        ]
        dialect = session.get_bind().dialect.name
        upsert: Any
        if dialect == "postgresql":
            upsert = postgresql_insert(FlashSaleBuyer)
        else:
            upsert = sqlite_insert(FlashSaleBuyer)
        statement = upsert.on_conflict_do_update(
            index_elements=[FlashSaleBuyer.sale_id, FlashSaleBuyer.buyer_id],
            set_={"bought": upsert.excluded.bought},
        )
        await session.execute(statement, rows)

    async def place_at_once(
        self,
        session: AsyncSession,
        sale_id: str,
        amounts: dict[str, int],
        limit: int,
        now: datetime,
        on_air: tuple[str, ...],
        kept: list[pending.KeptRows],
    ) -> int | None:
        """The buyers' counters moved by ``amounts`` (``bought + q <= limit`` each), the
        sale's units taken (open, on air, enough left; sold out with the last) and the
        kept-back rows' INSERTs as one statement (PostgreSQL), stored all or nothing:
        the units left after, or None when a counter would pass ``limit`` or the units
        could not be taken (nothing stored). A unique key the kept rows break (a
        retried click's order) raises ``IntegrityError``, likewise storing nothing."""
        buyer_ids = list(amounts)
        parameters: dict[str, Any] = {
            "ids": [new_id() for _ in buyer_ids],
            "sale_id": sale_id,
            "buyer_ids": buyer_ids,
            "amounts": [amounts[buyer_id] for buyer_id in buyer_ids],
            "limit": limit,
            "total": sum(amounts.values()),
            "now": now,
            "on_air": [str(status) for status in on_air],
            "buyers": len(buyer_ids),
        }
        inserts = []
        for n, entry in enumerate(kept):
            if entry.rows:
                insert_kept = pending.populate_insert(entry, f"rows_{n}")
                inserts.append(f",\n    kept_{n} AS ({insert_kept})")
                parameters[f"rows_{n}"] = pending.rows_as_json(entry.rows)
        statement = text(_PLACE_AT_ONCE.format(kept="".join(inserts)))
        # On the session's connection, not through the session: the kept-back objects
        # are still new in it, and a session would flush them first (autoflush).
        connection = await session.connection()
        try:
            row = (await connection.execute(statement, parameters)).one()
        except DBAPIError as failed:
            if isinstance(failed, IntegrityError) or not _refused_at_once(failed):
                raise
            return None
        return int(row.units_left)

    async def ensure_buyer(self, session: AsyncSession, sale_id: str, buyer_id: str) -> None:
        values = {"id": new_id(), "sale_id": sale_id, "buyer_id": buyer_id, "bought": 0}
        await session.execute(_insert_ignore(session, FlashSaleBuyer, values))

    async def add_to_buyer(
        self, session: AsyncSession, sale_id: str, buyer_id: str, quantity: int, limit: int
    ) -> bool:
        """``UPDATE … SET bought = bought + :q WHERE bought + :q <= :limit``."""
        result = await session.execute(
            update(FlashSaleBuyer)
            .where(
                FlashSaleBuyer.sale_id == sale_id,
                FlashSaleBuyer.buyer_id == buyer_id,
                FlashSaleBuyer.bought + quantity <= limit,
            )
            .values(bought=FlashSaleBuyer.bought + quantity)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def take_from_buyer(
        self, session: AsyncSession, sale_id: str, buyer_id: str, quantity: int
    ) -> None:
        await session.execute(
            update(FlashSaleBuyer)
            .where(
                FlashSaleBuyer.sale_id == sale_id,
                FlashSaleBuyer.buyer_id == buyer_id,
                FlashSaleBuyer.bought >= quantity,
            )
            .values(bought=FlashSaleBuyer.bought - quantity)
            .execution_options(synchronize_session=False)
        )

    async def results(self, session: AsyncSession, sale_id: str) -> dict[str, int]:
        """Paid units, paying buyers and GMV; units still awaiting payment."""
        paid = await session.execute(
            select(
                func.coalesce(func.sum(OrderItem.quantity), 0),
                func.count(func.distinct(Order.buyer_id)),
            )
            .select_from(Order)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.flash_sale_id == sale_id, Order.status.in_(PAID_STATES))
        )
        units_sold, buyers = paid.one()
        gmv = await session.scalar(
            select(func.coalesce(func.sum(Order.total_cents), 0)).where(
                Order.flash_sale_id == sale_id, Order.status.in_(PAID_STATES)
            )
        )
        pending = await session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0))
            .select_from(Order)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.flash_sale_id == sale_id, Order.status == OrderStatus.PENDING_PAYMENT)
        )
        return {
            "units_sold": int(units_sold),
            "buyers": int(buyers),
            "gmv_cents": int(gmv or 0),
            "units_awaiting_payment": int(pending or 0),
        }


class LotteryRepository:
    async def get(self, session: AsyncSession, lottery_id: str) -> Lottery | None:
        return await session.get(Lottery, lottery_id)

    async def refresh(self, session: AsyncSession, lottery: Lottery) -> None:
        await session.refresh(lottery)

    async def add(self, session: AsyncSession, lottery: Lottery) -> None:
        session.add(lottery)
        await session.flush()

    async def list_for_session(self, session: AsyncSession, session_id: str) -> list[Lottery]:
        result = await session.execute(
            select(Lottery)
            .where(Lottery.session_id == session_id)
            .order_by(Lottery.created_at.desc(), Lottery.id)
        )
        return list(result.scalars())

    async def page_for_session(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[Lottery]:
        query = select(Lottery).where(Lottery.session_id == session_id)
        return await fetch_page(session, query, (desc(Lottery.created_at), asc(Lottery.id)), page)

    async def add_entry(
        self, session: AsyncSession, lottery_id: str, user_id: str, display_name: str
    ) -> bool:
        values = {
            "id": new_id(),
            "lottery_id": lottery_id,
            "user_id": user_id,
            "display_name": display_name,
            "won": False,
        }
        result = await session.execute(
            _insert_ignore(session, LotteryEntry, values).returning(LotteryEntry.id)
        )
        if result.first() is None:
            return False
        await session.execute(
            update(Lottery)
            .where(Lottery.id == lottery_id)
            .values(entrants_count=Lottery.entrants_count + 1)
            .execution_options(synchronize_session=False)
        )
        return True

    async def get_entry(
        self, session: AsyncSession, lottery_id: str, user_id: str
    ) -> LotteryEntry | None:
        result = await session.execute(
            select(LotteryEntry).where(
                LotteryEntry.lottery_id == lottery_id, LotteryEntry.user_id == user_id
            )
        )
        return result.scalar_one_or_none()

    async def entries(self, session: AsyncSession, lottery_id: str) -> list[LotteryEntry]:
        result = await session.execute(
            select(LotteryEntry)
            .where(LotteryEntry.lottery_id == lottery_id)
            .order_by(LotteryEntry.user_id)
        )
        return list(result.scalars())

    async def mark_drawn(self, session: AsyncSession, lottery_id: str, at: datetime) -> bool:
        result = await session.execute(
            update(Lottery)
            .where(Lottery.id == lottery_id, Lottery.status == LotteryStatus.OPEN)
            .values(status=LotteryStatus.DRAWN, drawn_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def mark_winners(
        self, session: AsyncSession, lottery_id: str, user_ids: list[str]
    ) -> None:
        if user_ids:
            await session.execute(
                update(LotteryEntry)
                .where(LotteryEntry.lottery_id == lottery_id, LotteryEntry.user_id.in_(user_ids))
                .values(won=True)
                .execution_options(synchronize_session=False)
            )

    async def won_by(self, session: AsyncSession, user_id: str, page: PageRequest) -> Page[Lottery]:
        """The lotteries this user won, the latest draw first (a winner's lottery is drawn)."""
        query = (
            select(Lottery)
            .join(LotteryEntry, LotteryEntry.lottery_id == Lottery.id)
            .where(LotteryEntry.user_id == user_id, LotteryEntry.won.is_(True))
        )
        return await fetch_page(session, query, (desc(Lottery.drawn_at), asc(Lottery.id)), page)

    async def set_prize_order(self, session: AsyncSession, entry_id: str, order_id: str) -> bool:
        result = await session.execute(
            update(LotteryEntry)
            .where(
                LotteryEntry.id == entry_id,
                LotteryEntry.won.is_(True),
                LotteryEntry.prize_order_id.is_(None),
            )
            .values(prize_order_id=order_id)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    # ---- entry conditions (read-only looks at the room's own records) -------------

    async def sent_keyword(
        self, session: AsyncSession, session_id: str, user_id: str, keyword: str, since: datetime
    ) -> bool:
        found = await session.scalar(
            select(ChatMessage.id)
            .where(
                ChatMessage.session_id == session_id,
                ChatMessage.user_id == user_id,
                ChatMessage.deleted_at.is_(None),
                ChatMessage.created_at >= since,
                ChatMessage.text.contains(keyword, autoescape=True),
            )
            .limit(1)
        )
        return found is not None

    async def watched_seconds(self, session: AsyncSession, session_id: str, user_id: str) -> int:
        value = await session.scalar(
            select(func.coalesce(func.sum(BehaviourEvent.value), 0)).where(
                BehaviourEvent.session_id == session_id,
                BehaviourEvent.user_id == user_id,
                BehaviourEvent.kind == BehaviourKind.HEARTBEAT,
            )
        )
        return int(value or 0)


class QuestionRepository:
    async def get(self, session: AsyncSession, question_id: str) -> Question | None:
        return await session.get(Question, question_id)

    async def refresh(self, session: AsyncSession, question: Question) -> None:
        await session.refresh(question)

    async def add(self, session: AsyncSession, question: Question) -> None:
        session.add(question)
        await session.flush()

    def _ranked(self) -> Select[Question]:
        return select(Question).order_by(
            Question.host_rank.is_(None),
            Question.host_rank,
            Question.upvotes.desc(),
            Question.created_at,
            Question.id,
        )

    async def list_for_session(
        self, session: AsyncSession, session_id: str, statuses: list[str]
    ) -> list[Question]:
        result = await session.execute(
            self._ranked()
            .where(Question.session_id == session_id, Question.status.in_(statuses))
            .limit(200)
        )
        return list(result.scalars())

    async def page_for_session(
        self, session: AsyncSession, session_id: str, statuses: list[str], page: PageRequest
    ) -> Page[Question]:
        """The ranked order of :meth:`_ranked` as a keyset (unranked questions sort last)."""
        unranked = Question.host_rank.is_(None)
        rank = func.coalesce(Question.host_rank, 0)
        keyset = (
            asc(unranked),
            asc(rank),
            desc(Question.upvotes),
            asc(Question.created_at),
            asc(Question.id),
        )
        query = select(Question).where(
            Question.session_id == session_id, Question.status.in_(statuses)
        )
        return await fetch_page(
            session,
            query,
            keyset,
            page,
            key=lambda q: (
                q.host_rank is None,
                q.host_rank or 0,
                q.upvotes,
                q.created_at,
                q.id,
            ),
        )

    async def list_by_asker(
        self, session: AsyncSession, session_id: str, user_id: str, page: PageRequest
    ) -> Page[Question]:
        query = select(Question).where(
            Question.session_id == session_id, Question.user_id == user_id
        )
        return await fetch_page(session, query, (desc(Question.created_at), asc(Question.id)), page)

    async def faq(self, session: AsyncSession, product_id: str) -> list[Question]:
        result = await session.execute(
            select(Question)
            .where(
                Question.product_id == product_id,
                Question.status == QuestionStatus.ANSWERED,
                Question.answer.is_not(None),
            )
            .order_by(Question.upvotes.desc(), Question.answered_at.desc(), Question.id)
            .limit(50)
        )
        return list(result.scalars())

    async def add_vote(self, session: AsyncSession, question_id: str, user_id: str) -> bool:
        values = {"question_id": question_id, "user_id": user_id}
        result = await session.execute(
            _insert_ignore(session, QuestionVote, values).returning(QuestionVote.user_id)
        )
        if result.first() is None:
            return False
        await session.execute(
            update(Question)
            .where(Question.id == question_id)
            .values(upvotes=Question.upvotes + 1)
            .execution_options(synchronize_session=False)
        )
        return True

    async def transition(
        self,
        session: AsyncSession,
        question_id: str,
        *,
        from_statuses: list[str],
        to_status: str,
        **values: Any,
    ) -> bool:
        result = await session.execute(
            update(Question)
            .where(Question.id == question_id, Question.status.in_(from_statuses))
            .values(status=to_status, **values)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def stop_answering_others(
        self, session: AsyncSession, session_id: str, keep_id: str
    ) -> None:
        """Only one question is being answered at a time."""
        await session.execute(
            update(Question)
            .where(
                and_(
                    Question.session_id == session_id,
                    Question.status == QuestionStatus.ANSWERING,
                    Question.id != keep_id,
                )
            )
            .values(status=QuestionStatus.OPEN)
            .execution_options(synchronize_session=False)
        )

    async def set_rank(self, session: AsyncSession, question_id: str, rank: int | None) -> None:
        await session.execute(
            update(Question)
            .where(Question.id == question_id)
            .values(host_rank=rank)
            .execution_options(synchronize_session=False)
        )


flash_sale_repository = FlashSaleRepository()
lottery_repository = LotteryRepository()
question_repository = QuestionRepository()
