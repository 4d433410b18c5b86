"""Flash sales (限时抢购): a sale's own stock counter, per-buyer limits, idempotent buys.

Buying is three conditional statements and an insert in one unit of work:
``UPDATE flash_sales SET units_left = units_left - :q WHERE units_left >= :q``,
``UPDATE flash_sale_buyers SET bought = bought + :q WHERE bought + :q <= :limit`` and
the order row, whose unique ``(buyer_id, idempotency_key)`` makes a retried click
return the first order. Nothing is read and then written, so concurrent buyers can
never oversell. An unpaid order expires after ``flash_sale_payment_timeout_s`` and
its units return to the sale (or to the SKU once the sale has closed); a payment
that arrives after that is refunded by the payments domain.

With Redis configured a sale also gets a stock gate (``flash:<sale id>``,
``livecommerce.scaleout.stock_gate``): one Lua script decides a buy in Redis
before the database is touched, so a stampede is refused there instead of
queueing on the sale's row. The gate's take is recorded in the same savepoint
as the order, and the conditional UPDATEs above stay as the durable second
check; a buy whose database part fails gives its Redis take back at once. A
buy with an ``Idempotency-Key`` gets an order id derived from the key, and the
take's token is the order id, so a retry after a worker died mid-buy finds its
own take in Redis instead of taking a second unit. Refusals keep the codes of
the database path (``sold_out``, ``not_enough_units``, ``buyer_limit_reached``),
plus ``gate_recovering`` while a gate Redis lost is paused. Without Redis none
of this runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.catalog.service import catalog_service
from livecommerce.fans.service import fan_service
from livecommerce.interactions.feed import stock_feed
from livecommerce.interactions.repository import flash_sale_repository
from livecommerce.interactions.schemas import (
    FlashSaleCreate,
    FlashSaleOut,
    FlashSaleResults,
    FlashSaleStatus,
)
from livecommerce.kit import pending
from livecommerce.kit.broker import Broker, live_channel
from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import Conflict, LiveCommerceError, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import Runtime, publish_after_commit, runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import (
    Address,
    FlashSale,
    LiveSessionStatus,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ProductStatus,
    Room,
    Sku,
    StockGate,
    User,
)
from livecommerce.orders.service import order_service
from livecommerce.scaleout.stock_gate import Reconciled, stock_gate_service
from livecommerce.selling.service import SellAction
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

FLASH_SALE_CLOSE_JOB = "flash_sale.close"
ON_AIR = (LiveSessionStatus.LIVE, LiveSessionStatus.INTERRUPTED)
# A sold-out answer is cached this long, so a stampede after the last unit never
# reaches the database; the database stays the truth: units that come back (an unpaid
# order expiring, a cancel) clear it.
SOLD_OUT_HINT_S = 5
# How long a buy may reuse what another buy of the same sale read about it.
SALE_CONTEXT_S = 1.0


# Refusals of the database path; when the gate let a buy through and the database
# refused it, the two disagree and the gate is reconciled.
_STOCK_REFUSALS = frozenset({"sold_out", "not_enough_units", "buyer_limit_reached"})


def sold_out_key(sale_id: str) -> str:
    return f"flash:{sale_id}:sold_out"


def won_key(sale_id: str, idempotency_key: str) -> str:
    """Set once a click with this key won a unit of this sale: its retries may hold an
    order, every other keyed click after the sell-out holds none."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    return f"flash:{sale_id}:won:{digest}"


def gate_name(sale_id: str) -> str:
    """The stock gate of a flash sale (with Redis configured)."""
    return f"flash:{sale_id}"


def keyed_order_id(secret: str, sale_id: str, buyer_id: str, idempotency_key: str) -> str:
    """The id of the order a keyed click makes: the same for every retry of it."""
    message = f"flash-order|{sale_id}|{buyer_id}|{idempotency_key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


class NotAtOnce(Exception):
    """A batch that ``do_place_many_at_once`` cannot place whole (its unit is rolled
    back; ``do_place_many`` places it buy by buy under the sale's lock)."""


@dataclass(frozen=True)
class FlashOrder:
    order: Order
    created: bool


@dataclass(frozen=True)
class BuyPlan:
    """What ``prepare_buy`` read and checked, and the order ``do_place`` stores."""

    sale: FlashSale
    order: Order
    quantity: int
    gate: str | None
    took: bool = False  # the units are taken in the gate already (``do_take_from_gate``)


@dataclass(frozen=True)
class SaleContext:
    """What every buy of a sale reads: reused for at most ``SALE_CONTEXT_S`` seconds.
    Only for checks that are made again where they count: the sale's end and the
    session's broadcast under the sale's lock in the write phase (``do_place_many``)."""

    sale: FlashSale
    session_status: str
    sku: Sku
    product: Product
    room: Room
    gate: str | None
    read_at: float


@dataclass(frozen=True)
class GateReport:
    """What reconciling one sale's gate did."""

    sale_id: str
    gate: str
    outcome: str  # reconciled · paused (Redis lost it; try after the grace) · closed · no_gate
    units_left_db: int
    result: Reconciled | None = None


class FlashSaleService:
    # ---- reading ---------------------------------------------------------------------

    async def get_sale(self, session: AsyncSession, sale_id: str) -> FlashSale:
        sale = await flash_sale_repository.get(session, sale_id)
        if sale is None:
            raise NotFound("No such flash sale.", code="flash_sale_not_found")
        return sale

    def status(self, sale: FlashSale) -> FlashSaleStatus:
        now = utcnow()
        if sale.settled_at is not None or now >= sale.ends_at:
            return "ended"
        if now < sale.starts_at:
            return "scheduled"
        return "sold_out" if sale.units_left == 0 else "running"

    async def sale_out(self, session: AsyncSession, sale: FlashSale) -> FlashSaleOut:
        sku = await catalog_service.get_sku(session, sale.sku_id)
        product = await catalog_service.get_product(session, sale.product_id)
        return FlashSaleOut(
            id=sale.id,
            session_id=sale.session_id,
            product_id=sale.product_id,
            sku_id=sale.sku_id,
            title=product.title,
            spec=dict(sku.spec),
            image_url=catalog_service.product_cover_url(product),
            currency=sale.currency,
            price_cents=sale.price_cents,
            original_price_cents=sale.original_price_cents,
            units_total=sale.units_total,
            units_left=sale.units_left,
            per_buyer_limit=sale.per_buyer_limit,
            fans_early_s=sale.fans_early_s,
            fans_min_level=sale.fans_min_level,
            starts_at=sale.starts_at,
            ends_at=sale.ends_at,
            sold_out_at=sale.sold_out_at,
            status=self.status(sale),
            server_now=utcnow(),
        )

    async def current_sale(self, session: AsyncSession, session_id: str) -> FlashSale | None:
        return await flash_sale_repository.current_for_session(session, session_id, utcnow())

    async def list_sales(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[FlashSale]:
        await live_service.get_session(session, session_id)
        return await flash_sale_repository.list_for_session(session, session_id, page)

    async def results(self, session: AsyncSession, user: User, sale_id: str) -> FlashSaleResults:
        sale = await self.get_sale(session, sale_id)
        live_session = await live_service.get_session(session, sale.session_id)
        await live_service.check_can_moderate(
            session, user, live_session, "flash_sale", record=False
        )
        figures = await flash_sale_repository.results(session, sale.id)
        # Money stays the host's: a team member running the sale sees units and buyers.
        room = await live_service.get_room(session, live_session.room_id)
        gmv_cents = figures.pop("gmv_cents")
        return FlashSaleResults(
            gmv_cents=gmv_cents if live_service.manages(user, room) else None,
            sale_id=sale.id,
            units_total=sale.units_total,
            units_left=sale.units_left,
            units_returned=sale.units_returned,
            currency=sale.currency,
            starts_at=sale.starts_at,
            sold_out_at=sale.sold_out_at,
            sell_out_seconds=None
            if sale.sold_out_at is None
            else round((sale.sold_out_at - sale.starts_at).total_seconds(), 3),
            **figures,
        )

    # ---- the host -------------------------------------------------------------------

    async def do_launch(
        self, session: AsyncSession, user: User, session_id: str, data: FlashSaleCreate
    ) -> FlashSale:
        live_session = await live_service.get_session(session, session_id)
        await live_service.check_can_moderate(session, user, live_session, "flash_sale", session_id)
        if live_session.status not in ON_AIR:
            raise Conflict("Flash sales run while the session is on air.", code="session_not_live")
        item = await live_service.get_showcase_item_for_product(
            session, live_session.id, data.product_id
        )
        if item is None:
            raise Conflict("This product is not in the session's showcase.", code="not_in_showcase")
        sku = await catalog_service.get_sku(session, data.sku_id)
        if sku.product_id != data.product_id:
            raise ValidationFailed(
                "This SKU belongs to another product.", code="sku_not_in_product"
            )
        product = await catalog_service.get_product(session, data.product_id)
        if product.status != ProductStatus.ON_SALE:
            raise Conflict("This product is not on sale.", code="product_not_on_sale")
        await live_service.check_host_may_sell(
            session, live_session, product, SellAction.FLASH_SALE, {sku.id: data.price_cents}
        )
        now = utcnow()
        if await flash_sale_repository.current_for_session(session, live_session.id, now):
            raise Conflict(
                "A flash sale is already running or counting down in this session.",
                code="flash_sale_running",
            )
        original = live_service.effective_price(item, sku)
        # The sale's units leave the SKU's stock now; what is not sold comes back at the end.
        await catalog_service.do_take_stock(session, sku.id, data.units)
        starts_at = now + timedelta(seconds=data.starts_in_s)
        sale = FlashSale(
            id=new_id(),
            session_id=live_session.id,
            room_id=live_session.room_id,
            product_id=product.id,
            sku_id=sku.id,
            created_by=user.id,
            currency=product.currency,
            price_cents=data.price_cents,
            original_price_cents=original,
            units_total=data.units,
            units_left=data.units,
            units_returned=0,
            per_buyer_limit=data.per_buyer_limit,
            fans_early_s=data.fans_early_s,
            fans_min_level=data.fans_min_level,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(seconds=data.duration_s),
            created_at=now,
        )
        await flash_sale_repository.add(session, sale)
        if stock_gate_service.enabled(session):
            await stock_gate_service.do_open(
                session,
                gate_name(sale.id),
                units=sale.units_total,
                per_buyer_limit=sale.per_buyer_limit,
            )
        job_service.do_schedule(
            session, FLASH_SALE_CLOSE_JOB, run_at=sale.ends_at, payload={"sale_id": sale.id}
        )
        await self._announce(session, sale)
        return sale

    async def do_end(self, session: AsyncSession, user: User, sale_id: str) -> FlashSale:
        """The host stops a sale early; unsold units go back to the SKU."""
        sale = await self.get_sale(session, sale_id)
        live_session = await live_service.get_session(session, sale.session_id)
        await live_service.check_can_moderate(session, user, live_session, "flash_sale", sale_id)
        if not await self.do_close(session, sale.id, early=True):
            raise Conflict("This flash sale has ended already.", code="flash_sale_ended")
        await flash_sale_repository.refresh(session, sale)
        return sale

    async def do_close(self, session: AsyncSession, sale_id: str, *, early: bool = False) -> bool:
        """Settle the sale once: leftover units return to the SKU, the room is told."""
        sale = await self.get_sale(session, sale_id)
        now = utcnow()
        returned = await flash_sale_repository.settle(session, sale.id, now)
        if returned is None:
            return False
        await flash_sale_repository.refresh(session, sale)
        if early and sale.ends_at > now:
            sale.ends_at = now
            await session.flush()
        if returned > 0:
            # Before settlement returned units went back into units_left, so what
            # settle moved is exactly the leftover.
            await catalog_service.do_return_stock(session, sale.sku_id, returned)
        gate = await self._gate(session, sale.id)
        if gate is not None:
            stock_gate_service.do_close(session, gate)
        await self._announce(session, sale)
        return True

    async def _announce(self, session: AsyncSession, sale: FlashSale) -> None:
        out = await self.sale_out(session, sale)
        publish_after_commit(
            session,
            live_channel(sale.session_id),
            {"type": "flash_sale", "sale": out.model_dump(mode="json")},
        )

    # ---- buyers ---------------------------------------------------------------------

    async def is_sold_out_hint(self, runtime: Runtime, sale_id: str) -> bool:
        """True while a recent answer found the sale sold out (a short-lived cache)."""
        return bool(await runtime.broker.get_int(sold_out_key(sale_id)))

    async def could_hold_order(self, runtime: Runtime, sale_id: str, idempotency_key: str) -> bool:
        """Whether a click with this key won in this sale, or was in a batch placed at
        once that may have (so a retry may hold an order: it is looked up)."""
        return bool(await runtime.broker.get_int(won_key(sale_id, idempotency_key)))

    async def answers_sold_out(
        self, runtime: Runtime, sale_id: str, idempotency_key: str | None
    ) -> bool:
        """Whether a click is answered "sold out" before any database work: the sale is
        known sold out and the click is not the retry of one that won (one round trip
        to the broker for both)."""
        return (await self.sold_out_check(runtime, sale_id, idempotency_key))[0]

    async def sold_out_check(
        self, runtime: Runtime, sale_id: str, idempotency_key: str | None
    ) -> tuple[bool, bool]:
        """(answered "sold out" now, the key won before) in one broker round trip."""
        if idempotency_key is None:
            return await self.is_sold_out_hint(runtime, sale_id), False
        sold_out, won = await runtime.broker.get_ints(
            [sold_out_key(sale_id), won_key(sale_id, idempotency_key)]
        )
        return bool(sold_out) and not won, bool(won)

    async def _sale_context(self, session: AsyncSession, sale_id: str) -> SaleContext:
        """The sale, its session's state, SKU, product, room and gate: read once a
        second per sale and process, not once per click."""
        contexts: dict[str, SaleContext] = runtime_of(session).extras.setdefault(
            "flash_sale_contexts", {}
        )
        cached = contexts.get(sale_id)
        if cached is not None and time.monotonic() - cached.read_at < SALE_CONTEXT_S:
            return cached
        refreshing: dict[str, asyncio.Future[SaleContext]] = runtime_of(session).extras.setdefault(
            "flash_sale_contexts_refreshing", {}
        )
        reading = refreshing.get(sale_id)
        if reading is not None:
            if cached is not None:
                # Another buy is reading it again: use this one meanwhile, not a read per buy.
                return cached
            # The sale's first clicks arrive together: they wait for the one read, not
            # read it each (six statements apiece).
            try:
                return await asyncio.shield(reading)
            except LiveCommerceError:
                raise  # the same answer for all (no such sale)
            except Exception:  # noqa: S110 - that read's own failure: read it here
                pass
        future: asyncio.Future[SaleContext] = asyncio.get_running_loop().create_future()
        refreshing[sale_id] = future
        try:
            context = await self._read_sale_context(session, sale_id, contexts)
        except BaseException as failed:
            if isinstance(failed, Exception):
                future.set_exception(failed)
                future.exception()  # retrieved: no warning when no other buy waited
            else:
                future.cancel()
            raise
        finally:
            if refreshing.get(sale_id) is future:
                del refreshing[sale_id]
        future.set_result(context)
        return context

    async def _read_sale_context(
        self, session: AsyncSession, sale_id: str, contexts: dict[str, SaleContext]
    ) -> SaleContext:
        sale = await self.get_sale(session, sale_id)
        live_session = await live_service.get_session(session, sale.session_id)
        context = SaleContext(
            sale=sale,
            session_status=live_session.status,
            sku=await catalog_service.get_sku(session, sale.sku_id),
            product=await catalog_service.get_product(session, sale.product_id),
            room=await live_service.get_room(session, sale.room_id),
            gate=await self._gate(session, sale.id),
            read_at=time.monotonic(),
        )
        # Shared by the requests of the next second, so taken out of this unit of work:
        # its rollback (a refused buy) or a synchronised UPDATE would otherwise expire
        # the shared objects, and a later request could not read them.
        for instance in (context.sale, context.sku, context.product, context.room):
            if instance in session:
                session.expunge(instance)
        if len(contexts) > 1000:
            contexts.clear()
        contexts[sale_id] = context
        return context

    async def do_buy(
        self,
        session: AsyncSession,
        buyer: User,
        sale_id: str,
        *,
        quantity: int = 1,
        address_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> FlashOrder:
        """A whole buy in one unit of work (``prepare_buy`` then ``do_place``)."""
        prepared = await self.prepare_buy(
            session,
            buyer,
            sale_id,
            quantity=quantity,
            address_id=address_id,
            idempotency_key=idempotency_key,
        )
        if isinstance(prepared, FlashOrder):
            return prepared
        return await self.do_place(session, buyer, prepared)

    async def _check_early_access(
        self, session: AsyncSession, sale: FlashSale, buyer: User, now: datetime
    ) -> None:
        """Before the start only fan-club members with early access buy (粉丝优先购)."""
        early = sale.fans_early_s or 0
        if not early or now < sale.starts_at - timedelta(seconds=early):
            raise Conflict("This flash sale has not started yet.", code="flash_sale_not_started")
        await fan_service.check_level(session, sale.room_id, buyer.id, sale.fans_min_level or 1)

    async def prepare_buy(
        self,
        session: AsyncSession,
        buyer: User,
        sale_id: str,
        *,
        quantity: int = 1,
        address_id: str | None = None,
        idempotency_key: str | None = None,
        won: bool | None = None,
        default_address: Address | None = None,
    ) -> FlashOrder | BuyPlan:
        """Everything a buy reads and checks, and the order it would place; or the order
        a retried click placed before. Only reads, so it may run in a reading unit of
        work ahead of the writing one (``do_place``): a buyer then holds the write lock
        only for the conditional writes. ``won``: what the caller's ``sold_out_check``
        said of this click's key, when it asked already (saves a broker round trip).
        ``default_address``: the buyer's default address, when it was read already (with
        the buyer's token, ``OrderService.read_caller_with_default_address``)."""
        runtime = runtime_of(session)
        if idempotency_key is not None:
            # A sale known to be sold out answers before any database work, unless this
            # click's key won before: then it is a retry, and gets its order. A click
            # whose key the broker does not know as a winner is looked up only if it is
            # refused here; the write phase finds any other order placed with its key.
            if won is None:
                sold_out, won = await self.sold_out_check(runtime, sale_id, idempotency_key)
                if sold_out:
                    raise Conflict("Sold out.", code="sold_out", details={"left": 0})
            if won:
                existing = await order_service.get_order_by_idempotency_key(
                    session, buyer.id, idempotency_key
                )
                if existing is not None:
                    return FlashOrder(existing, created=False)
        try:
            context = await self._sale_context(session, sale_id)
            sale = context.sale
            now = utcnow()
            if now < sale.starts_at:
                await self._check_early_access(session, sale, buyer, now)
            if sale.settled_at is not None or now >= sale.ends_at:
                raise Conflict("This flash sale has ended.", code="flash_sale_ended")
            if context.session_status not in ON_AIR:
                raise Conflict("This live session is not on air.", code="session_not_live")
            if quantity > sale.per_buyer_limit:
                raise ValidationFailed(
                    f"At most {sale.per_buyer_limit} per buyer in this sale.",
                    code="over_buyer_limit",
                )
            if address_id is not None:
                address = await order_service.get_own_address(session, buyer, address_id)
            else:
                found = default_address
                if found is None or found.user_id != buyer.id:
                    found = await order_service.get_default_address(session, buyer)
                if found is None:
                    raise Conflict(
                        "Add a delivery address first: one-click buying sends to your default one.",
                        code="address_required",
                    )
                address = found
        except LiveCommerceError:
            if idempotency_key is not None:  # a retry of a click that won still gets it
                existing = await order_service.get_order_by_idempotency_key(
                    session, buyer.id, idempotency_key
                )
                if existing is not None:
                    return FlashOrder(existing, created=False)
            raise
        sku, product, room, gate = context.sku, context.product, context.room, context.gate
        timeout = runtime.settings.flash_sale_payment_timeout_s
        total = sale.price_cents * quantity
        order_id = new_id()
        if gate is not None and idempotency_key is not None:
            order_id = keyed_order_id(
                runtime.settings.secret_key, sale.id, buyer.id, idempotency_key
            )
        order = Order(
            id=order_id,
            buyer_id=buyer.id,
            merchant_id=product.merchant_id,
            room_id=room.id,
            session_id=sale.session_id,
            host_id=room.host_id,
            status=OrderStatus.PENDING_PAYMENT,
            currency=sale.currency,
            subtotal_cents=total,
            discount_cents=0,
            total_cents=total,
            shipping_address=order_service.address_snapshot(address),
            idempotency_key=idempotency_key,
            flash_sale_id=sale.id,
            created_at=now,
            expires_at=now + timedelta(seconds=timeout),
            items=[
                OrderItem(
                    id=new_id(),
                    product_id=product.id,
                    sku_id=sku.id,
                    title=product.title,
                    spec=dict(sku.spec),
                    unit_price_cents=sale.price_cents,
                    quantity=quantity,
                    line_total_cents=total,
                )
            ],
        )
        return BuyPlan(sale=sale, order=order, quantity=quantity, gate=gate)

    async def do_place(self, session: AsyncSession, buyer: User, plan: BuyPlan) -> FlashOrder:
        """The writing part of a buy: the conditional UPDATEs and the order, nothing read
        and then written. A click whose key placed an order meanwhile gets that order."""
        sale, order, quantity, gate = plan.sale, plan.order, plan.quantity, plan.gate
        idempotency_key = order.idempotency_key
        now = order.created_at
        took = False  # this request took units in the gate and must give them back on failure
        try:
            if gate is not None:
                took = plan.took or await self._take_from_gate(
                    session, gate, sale, buyer.id, quantity, order.id
                )
            async with session.begin_nested():
                if gate is not None:
                    await stock_gate_service.record_take(
                        session, gate, buyer.id, quantity, token=order.id
                    )
                left = await flash_sale_repository.take_units(session, sale.id, quantity)
                if left is None:
                    raise await self._not_enough(session, sale, quantity)
                await flash_sale_repository.ensure_buyer(session, sale.id, buyer.id)
                if not await flash_sale_repository.add_to_buyer(
                    session, sale.id, buyer.id, quantity, sale.per_buyer_limit
                ):
                    raise Conflict(
                        f"You already hold the most this sale allows ({sale.per_buyer_limit}).",
                        code="buyer_limit_reached",
                    )
                await order_service.do_add_prepared_order(session, order)
        except (IntegrityError, LiveCommerceError) as failed:
            if gate is not None and took:
                await stock_gate_service.give_back(session, gate, order.id)
                if isinstance(failed, LiveCommerceError) and failed.code in _STOCK_REFUSALS:
                    await self._reconcile_soon(session, gate)  # Redis was more generous
            if idempotency_key is not None:
                existing = await order_service.get_order_by_idempotency_key(
                    session, buyer.id, idempotency_key
                )
                if existing is not None:
                    return FlashOrder(existing, created=False)
            raise
        if left == 0:
            await flash_sale_repository.mark_sold_out(session, sale.id, now)
        if idempotency_key is not None:  # before the sold-out hint it may set
            self._remember_win(session, sale, idempotency_key)
        self._after_stock_change(session, sale, left)
        return FlashOrder(order, created=True)

    async def do_take_from_gate(self, session: AsyncSession, plan: BuyPlan) -> BuyPlan:
        """With Redis, the gate decides first, in the buyer's own request (many at once),
        before the buy joins a batch. Only reads the database, so ``session`` may be a
        reading unit of work. Refusals are raised with the database path's codes."""
        if plan.gate is None or plan.took:
            return plan
        took = await self._take_from_gate(
            session, plan.gate, plan.sale, plan.order.buyer_id, plan.quantity, plan.order.id
        )
        return replace(plan, took=took)

    async def do_place_many(
        self,
        session: AsyncSession,
        plans: list[BuyPlan],
        *,
        more: Callable[[], list[BuyPlan]] | None = None,
    ) -> list[FlashOrder | LiveCommerceError]:
        """The writing part of many buys of one sale in one unit of work (a group
        commit): what each buy gets, in the order given.

        The sale's row is locked first and its buyers' counters next (the order every
        buy and return locks them in), the units are shared out in the order the buys
        came, and then one conditional ``UPDATE`` takes them all, one upsert moves the
        counters and one flush stores the orders, their timers and their events: about
        ten statements for the batch instead of about ten per buy. A buy whose key
        placed an order before gets that order; a refused buy gets its refusal and
        takes nothing. Nothing here is read and then written without the lock.

        ``more``: buys of the same sale that arrived while this one waited for the sale's
        lock (on PostgreSQL another worker's batch holds it meanwhile), taken once the
        lock is held: they join this batch instead of waiting a whole batch more. Their
        outcomes follow those of ``plans``."""
        sale = plans[0].sale
        plans = list(plans)
        gate = plans[0].gate
        try:
            # What needs no lock is read first, so on PostgreSQL the sale's row (every
            # worker's batches wait for it) is held for one round trip fewer. (Under READ
            # COMMITTED a read after the lock would not hold the session's row either.)
            on_air = (await live_service.get_session(session, sale.session_id)).status in ON_AIR
            locked = await flash_sale_repository.lock_for_batch(session, sale.id)
            if more is not None:
                plans.extend(more())
            assert all(plan.sale.id == sale.id for plan in plans)
            outcomes: list[FlashOrder | LiveCommerceError | None] = [None] * len(plans)
            took = [plan.took for plan in plans]
            pending = list(range(len(plans)))
            keys = [
                (plan.order.buyer_id, key)
                for plan in plans
                if (key := plan.order.idempotency_key) is not None
            ]
            existing = await order_service.find_orders_by_idempotency_keys(session, keys)
            now = utcnow()
            if locked is None or locked[1] is not None or now >= as_utc(locked[2]):
                ended = Conflict("This flash sale has ended.", code="flash_sale_ended")
                for index in pending:
                    outcomes[index] = ended
                pending = []
            elif not on_air:
                off_air = Conflict("This live session is not on air.", code="session_not_live")
                for index in pending:
                    outcomes[index] = off_air
                pending = []
            units_left = 0 if locked is None else locked[0]
            bought = (
                await flash_sale_repository.bought_by(
                    session, sale.id, sorted({plans[index].order.buyer_id for index in pending})
                )
                if pending
                else {}
            )
            counters: dict[str, int] = {}
            placed: list[int] = []
            repeated: dict[int, tuple[str, str]] = {}
            claimed: set[tuple[str, str]] = set()
            for index in pending:
                plan = plans[index]
                buyer_id, key = plan.order.buyer_id, plan.order.idempotency_key
                if key is not None and ((buyer_id, key) in existing or (buyer_id, key) in claimed):
                    repeated[index] = (buyer_id, key)  # a retried click: its order
                    continue
                if plan.quantity > units_left:
                    outcomes[index] = (
                        Conflict("Sold out.", code="sold_out", details={"left": 0})
                        if units_left == 0
                        else Conflict(
                            f"Only {units_left} left.",
                            code="not_enough_units",
                            details={"left": units_left},
                        )
                    )
                    continue
                holds = counters.get(buyer_id, bought.get(buyer_id, 0))
                if holds + plan.quantity > sale.per_buyer_limit:
                    outcomes[index] = Conflict(
                        f"You already hold the most this sale allows ({sale.per_buyer_limit}).",
                        code="buyer_limit_reached",
                    )
                    continue
                counters[buyer_id] = holds + plan.quantity
                units_left -= plan.quantity
                if key is not None:
                    claimed.add((buyer_id, key))
                placed.append(index)
            if placed:
                total = sum(plans[index].quantity for index in placed)
                left = await flash_sale_repository.take_units(session, sale.id, total)
                if left != units_left:  # the row is locked: this cannot happen
                    raise RuntimeError(f"flash sale {sale.id}: units moved under the lock")
                await flash_sale_repository.set_bought(session, sale.id, counters)
                if gate is not None:
                    await stock_gate_service.record_takes(
                        session,
                        gate,
                        [
                            (plans[i].order.id, plans[i].order.buyer_id, plans[i].quantity)
                            for i in placed
                        ],
                    )
                await order_service.do_add_prepared_orders(
                    session, [plans[index].order for index in placed]
                )
                if left == 0:
                    await flash_sale_repository.mark_sold_out(session, sale.id, now)
                won_keys = [key for index in placed if (key := plans[index].order.idempotency_key)]
                self._remember_wins(session, sale, won_keys)  # before the sold-out hint
                for index in placed:
                    outcomes[index] = FlashOrder(plans[index].order, created=True)
                self._after_stock_change(session, sale, left)
            elif units_left == 0 and any(
                isinstance(outcome, LiveCommerceError) and outcome.code == "sold_out"
                for outcome in outcomes
            ):
                await runtime_of(session).broker.incr(
                    sold_out_key(sale.id), 1, expire_s=SOLD_OUT_HINT_S
                )
            for index, (buyer_id, key) in repeated.items():
                order = await order_service.get_order_by_idempotency_key(session, buyer_id, key)
                if order is None:  # placed by a click of this very batch
                    order = next(
                        plans[i].order
                        for i in placed
                        if (plans[i].order.buyer_id, plans[i].order.idempotency_key)
                        == (buyer_id, key)
                    )
                outcomes[index] = FlashOrder(order, created=False)
        except BaseException:
            # The caller writes each buy again on its own (``do_place``), which gives
            # back a take whose buy fails; a worker that dies here leaves its takes to
            # the gate's reconciliation.
            raise
        if gate is not None:
            reconcile = False
            for index, plan in enumerate(plans):
                outcome = outcomes[index]
                if isinstance(outcome, LiveCommerceError) and took[index]:
                    await stock_gate_service.give_back(session, gate, plan.order.id)
                    reconcile = reconcile or outcome.code in _STOCK_REFUSALS
            if reconcile:
                await self._reconcile_soon(session, gate)  # Redis was more generous
        return [outcome for outcome in outcomes if outcome is not None]

    async def do_place_many_at_once(
        self, session: AsyncSession, plans: list[BuyPlan]
    ) -> list[FlashOrder]:
        """``do_place_many`` for a batch that can be placed whole, as ONE statement
        (PostgreSQL, where every worker's batches wait for the sale's row, and where a
        busy process waits on each round trip): the buyers' counters move
        (conditionally), the sale's units are taken by a conditional ``UPDATE`` that
        also checks the sale is open and its session on air (and marks it sold out when
        the last units go), and the orders, their items, timers, events and gate takes
        are inserted — all in one round trip, all or nothing. The orders are made by
        the orders' own service as for any batch; their writes are kept back
        (``kit.pending``) and go with that statement. Raises ``NotAtOnce`` (nothing
        stored; the caller places the batch with ``do_place_many``) when any buy would
        not simply be placed: a retried key (the orders' unique ``(buyer_id,
        idempotency_key)``, or the keyed order id, refuses its order), a buyer past the
        limit, too few units, a sale closed or off air. Nothing is read and then
        written: the statement's parts are its writes, each conditional."""
        sale = plans[0].sale
        assert all(plan.sale.id == sale.id for plan in plans)
        amounts: dict[str, int] = {}
        keys: set[tuple[str, str]] = set()
        for plan in plans:
            buyer_id, key = plan.order.buyer_id, plan.order.idempotency_key
            amounts[buyer_id] = amounts.get(buyer_id, 0) + plan.quantity
            if key is not None:
                if (buyer_id, key) in keys:
                    raise NotAtOnce
                keys.add((buyer_id, key))
        if any(amount > sale.per_buyer_limit for amount in amounts.values()):
            raise NotAtOnce
        gate = plans[0].gate
        pending.keep_back(session)
        try:
            if gate is not None:
                await stock_gate_service.record_takes(
                    session,
                    gate,
                    [(plan.order.id, plan.order.buyer_id, plan.quantity) for plan in plans],
                )
            await order_service.do_add_prepared_orders(session, [plan.order for plan in plans])
        finally:
            kept = pending.kept_rows(session)
        # The broker hears of the keys while the statement runs, not after it: a retry
        # finds its key either way, and a batch then refused leaves keys remembered
        # that hold no order — their retries look it up, find none, and buy as usual.
        remembering = asyncio.ensure_future(
            self._remember_wins_now(
                runtime_of(session).broker,
                sale,
                [key for plan in plans if (key := plan.order.idempotency_key)],
            )
        )
        try:
            left = await flash_sale_repository.place_at_once(
                session, sale.id, amounts, sale.per_buyer_limit, utcnow(), ON_AIR, kept
            )
        except IntegrityError as repeated:  # a key (or keyed order id) placed an order
            raise NotAtOnce from repeated
        finally:
            await remembering
        if left is None:
            raise NotAtOnce
        pending.mark_stored(session)
        self._after_stock_change(session, sale, left)
        return [FlashOrder(plan.order, created=True) for plan in plans]

    def _remember_win(self, session: AsyncSession, sale: FlashSale, idempotency_key: str) -> None:
        """After the commit: this key won, so its retries look their order up."""
        self._remember_wins(session, sale, [idempotency_key])

    def _remember_wins(
        self, session: AsyncSession, sale: FlashSale, idempotency_keys: list[str]
    ) -> None:
        """After the commit: these keys won (a batch's winners, told to the broker at
        once, not one round trip after another)."""
        if not idempotency_keys:
            return
        broker = runtime_of(session).broker

        async def _remember() -> None:
            await self._remember_wins_now(broker, sale, idempotency_keys)

        after_commit(session, _remember)

    async def _remember_wins_now(
        self, broker: Broker, sale: FlashSale, idempotency_keys: list[str]
    ) -> None:
        """Tell the broker these keys won (or may have: see ``could_hold_order``). A
        broker that fails is logged: the orders stand, and a retry that misses its key
        is answered from the database."""
        if not idempotency_keys:
            return
        keys = [won_key(sale.id, key) for key in idempotency_keys]
        # Kept while the sale runs and a day after: a retry never outlives that.
        keep_s = max(1, int((as_utc(sale.ends_at) - utcnow()).total_seconds()) + 86_400)
        try:
            await broker.incr_many(keys, expire_s=keep_s)
        except Exception:
            log.exception("remembering %d flash-sale winners failed", len(keys))

    async def _gate(self, session: AsyncSession, sale_id: str) -> str | None:
        """The sale's stock gate when Redis is configured and the sale has one (a sale
        launched before Redis was configured keeps the database path)."""
        if not stock_gate_service.enabled(session):
            return None
        name = gate_name(sale_id)
        return name if await session.get(StockGate, name) is not None else None

    async def _take_from_gate(
        self,
        session: AsyncSession,
        gate: str,
        sale: FlashSale,
        buyer_id: str,
        quantity: int,
        token: str,
    ) -> bool:
        """The gate decides first; its refusals speak the database path's codes."""
        try:
            # The gate was opened with the sale's limit; its row need not be read.
            return await stock_gate_service.take_units(
                session, gate, buyer_id, quantity, token=token, per_buyer_limit=sale.per_buyer_limit
            )
        except Conflict as refused:
            if refused.code == "out_of_stock":
                # The gate may be stingier than the database (a worker died holding a
                # take): let a reconciliation, throttled, give such takes back.
                await self._reconcile_soon(session, gate)
                left = int(refused.details.get("left", 0))
                if left <= 0:
                    await runtime_of(session).broker.incr(
                        sold_out_key(sale.id), 1, expire_s=SOLD_OUT_HINT_S
                    )
                    raise Conflict("Sold out.", code="sold_out", details={"left": 0}) from None
                raise Conflict(
                    f"Only {left} left.", code="not_enough_units", details={"left": left}
                ) from None
            if refused.code == "buyer_limit_reached":
                await self._reconcile_soon(session, gate)
                raise Conflict(
                    f"You already hold the most this sale allows ({sale.per_buyer_limit}).",
                    code="buyer_limit_reached",
                ) from None
            raise

    async def _reconcile_soon(self, session: AsyncSession, gate: str) -> None:
        try:
            await stock_gate_service.reconcile_soon(session, gate)
        except Exception:  # a refusal must still be answered
            log.exception("reconciling stock gate %s failed", gate)

    async def reconcile_gates(
        self, session: AsyncSession, *, sale_id: str | None = None, grace_s: float | None = None
    ) -> list[GateReport]:
        """Bring the Redis gates of every open flash sale (or of one sale) back into
        agreement with the database. Closed sales are left alone: their gates expire."""
        if sale_id is not None:
            sales = [await self.get_sale(session, sale_id)]
        else:
            sales = await flash_sale_repository.list_open(session)
        reports: list[GateReport] = []
        for sale in sales:
            name = gate_name(sale.id)
            if await session.get(StockGate, name) is None:
                reports.append(GateReport(sale.id, name, "no_gate", sale.units_left))
                continue
            if sale.settled_at is not None:
                reports.append(GateReport(sale.id, name, "closed", sale.units_left))
                continue
            result = await stock_gate_service.reconcile(session, name, grace_s=grace_s)
            outcome = "paused" if result is None else "reconciled"
            reports.append(GateReport(sale.id, name, outcome, sale.units_left, result))
        return reports

    async def _not_enough(
        self, session: AsyncSession, sale: FlashSale, quantity: int
    ) -> LiveCommerceError:
        left = await flash_sale_repository.units_left(session, sale.id)
        if not left:
            await runtime_of(session).broker.incr(
                sold_out_key(sale.id), 1, expire_s=SOLD_OUT_HINT_S
            )
            return Conflict("Sold out.", code="sold_out", details={"left": 0})
        return Conflict(f"Only {left} left.", code="not_enough_units", details={"left": left})

    def _clear_sold_out(self, session: AsyncSession, sale_id: str) -> None:
        """After the commit: units came back, so the sale is no longer known sold out."""
        broker = runtime_of(session).broker
        key = sold_out_key(sale_id)

        async def _clear() -> None:
            hint = await broker.get_int(key)
            if hint:
                await broker.incr(key, -hint, expire_s=SOLD_OUT_HINT_S)

        after_commit(session, _clear)

    def _after_stock_change(self, session: AsyncSession, sale: FlashSale, left: int) -> None:
        runtime = runtime_of(session)
        sale_id, session_id = sale.id, sale.session_id

        async def _publish() -> None:
            if left == 0:
                await runtime.broker.incr(sold_out_key(sale_id), 1, expire_s=SOLD_OUT_HINT_S)
            await stock_feed.changed(runtime, session_id, sale_id, left)

        after_commit(session, _publish)

    async def do_return_units(self, session: AsyncSession, order: Order) -> None:
        """An expired, cancelled or refunded flash-sale order gives its units back."""
        assert order.flash_sale_id is not None
        sale = await self.get_sale(session, order.flash_sale_id)
        quantity = sum(item.quantity for item in order.items)
        gate = await self._gate(session, sale.id)
        if gate is not None:  # the take's token is the order's id
            await stock_gate_service.do_release(session, gate, order.id)
        # Rows are locked in the order a buy locks them (the sale, then the buyer's
        # counter), so a return and a buy never wait for each other in a circle.
        put_back = await flash_sale_repository.put_back_units(session, sale.id, quantity)
        if not put_back:  # the sale has closed: the units are counted as returned
            await flash_sale_repository.count_returned(session, sale.id, quantity)
        await flash_sale_repository.take_from_buyer(session, sale.id, order.buyer_id, quantity)
        if put_back:
            await flash_sale_repository.refresh(session, sale)
            self._clear_sold_out(session, sale.id)
            self._after_stock_change(session, sale, sale.units_left)
            return
        # ... and go back to the SKU.
        for item in order.items:
            await catalog_service.do_return_stock(session, item.sku_id, item.quantity)


flash_sale_service = FlashSaleService()
