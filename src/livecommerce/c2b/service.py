"""Pre-sale campaigns with a minimum order quantity (MOQ), and what follows them.

A buyer's pledge is paid through ordinary orders (``Order.campaign_id`` set): the
deposit or full price first, the balance after the campaign succeeds. Their money is
held in the ledger (``campaign_held``) until the goods ship. Units move with
conditional ``UPDATE``s, so concurrent joins never pass the maximum; pledges move
with conditional ``UPDATE … WHERE status IN (…)``, so a deadline job run twice, or
a job that crashed half-way and runs again, refunds every buyer exactly once.

Invariants (checked by the property tests):

- ``units_reserved`` = the quantities of pledges not cancelled or refunded;
- ``units_paid`` = the quantities of pledges whose first order was paid and kept;
- ``units_reserved`` ≤ ``max_units``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.c2b.progress import progress_throttle
from livecommerce.c2b.repository import c2b_repository
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.db import after_commit
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import Runtime, runtime_of
from livecommerce.ledger.service import ledger_service
from livecommerce.live.service import live_service
from livecommerce.models import (
    BalanceDefault,
    Campaign,
    CampaignStatus,
    DecisionLog,
    Order,
    OrderItem,
    OrderStatus,
    Pledge,
    PledgeStatus,
    ProductionOrder,
    ProductionStatus,
    Role,
    User,
)
from livecommerce.notifications.service import notification_service
from livecommerce.notifications.templates import money_text
from livecommerce.orders.service import order_service
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

DEADLINE_JOB = "c2b.deadline"
REFUND_JOB = "c2b.refund"
SETTLE_JOB = "c2b.settle"
RELEASE_JOB = "c2b.release"
BATCH = 100
MAX_FIELD_LENGTH = 200
MAX_FIELDS = 5

# Pledges whose units count against the maximum, and whose first order was paid.
LIVE_PLEDGES = (
    PledgeStatus.PENDING,
    PledgeStatus.PAID,
    PledgeStatus.BALANCE_DUE,
    PledgeStatus.CONFIRMED,
    PledgeStatus.SHIPPED,
    PledgeStatus.DEFAULTED,
)
PAID_PLEDGES = LIVE_PLEDGES[1:]
REFUNDABLE_PLEDGES = (PledgeStatus.PAID, PledgeStatus.BALANCE_DUE, PledgeStatus.CONFIRMED)


@dataclass(frozen=True)
class CampaignDraft:
    sku_id: str
    price_cents: int
    deposit_cents: int
    moq: int
    max_units: int
    deadline: datetime
    expected_ship_at: datetime
    per_buyer_limit: int = 5
    balance_hours: int = 48
    on_balance_default: str = BalanceDefault.FORFEIT
    customisation_fields: tuple[tuple[str, int], ...] = ()
    session_id: str | None = None
    supplier_id: str | None = None
    title: str | None = None
    extend_share_bp: int = 0
    extend_hours: int = 24
    production_at_moq: bool = False
    # More variants buyers choose from (SKUs of the same product), after ``sku_id``.
    more_sku_ids: tuple[str, ...] = ()


# What a merchant may change on an open campaign at any time, and what only until the
# first buyer joins (the terms buyers agreed to).
ALWAYS_EDITABLE = (
    "title",
    "max_units",
    "per_buyer_limit",
    "deadline",
    "expected_ship_at",
    "balance_hours",
    "on_balance_default",
    "session_id",
    "supplier_id",
    "extend_share_bp",
    "extend_hours",
    "production_at_moq",
)
TERMS = ("price_cents", "deposit_cents", "moq", "customisation_fields", "sku_ids")
MAX_VARIANTS = 10


def campaign_sku_ids(campaign: Campaign) -> list[str]:
    """The campaign's variants, its first SKU first."""
    return [str(variant["sku_id"]) for variant in campaign.variants] or [campaign.sku_id]


def _bad(message: str, code: str, field: str, **details: Any) -> ValidationFailed:
    """A 422 naming the form field it is about (``details.field``)."""
    return ValidationFailed(message, code=code, details={"field": field, **details})


@dataclass(frozen=True)
class Joined:
    pledge: Pledge
    order: Order


def progress_message(campaign: Campaign) -> dict[str, Any]:
    """What the room and the product page show: booked units against the MOQ and the
    maximum, and the deadline (the page counts the time left itself)."""
    return {
        "type": "presale_progress",
        "campaign_id": campaign.id,
        "status": campaign.status,
        "booked": campaign.units_paid,
        "reserved": campaign.units_reserved,
        "moq": campaign.moq,
        "max": campaign.max_units,
        "deadline": campaign.deadline.isoformat(),
    }


async def _read_progress(runtime: Runtime, campaign_id: str) -> dict[str, Any] | None:
    async with runtime.db.reader_sessionmaker() as session:
        campaign = await c2b_repository.get_campaign(session, campaign_id)
        return None if campaign is None else progress_message(campaign)


class _Moved(Exception):
    """The pledge moved on meanwhile: undo what was written for it."""


class CampaignService:
    # ---- creating and reading -----------------------------------------------------

    async def do_create(
        self, session: AsyncSession, merchant: User, draft: CampaignDraft
    ) -> Campaign:
        account_service.check_role(merchant, Role.MERCHANT)
        sku = await catalog_service.get_sku(session, draft.sku_id)
        product = await catalog_service.get_product(session, sku.product_id)
        if product.merchant_id != merchant.id and merchant.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the product's merchant may do this.", code="not_product_merchant")
        now = utcnow()
        self._check_terms(draft.price_cents, draft.deposit_cents, draft.moq, draft.max_units)
        self._check_dates(draft.deadline, draft.expected_ship_at, now)
        await self._check_supplier(session, draft.supplier_id)
        await self._check_session(session, draft.session_id)
        sku_ids = await self._check_variants(session, product.id, [sku.id, *draft.more_sku_ids])
        fields = self._clean_fields(draft.customisation_fields)
        campaign = Campaign(
            id=new_id(),
            merchant_id=product.merchant_id,
            product_id=product.id,
            sku_id=sku.id,
            variants=sku_ids if len(sku_ids) > 1 else [],
            session_id=draft.session_id,
            supplier_id=draft.supplier_id,
            title=(draft.title or product.title)[:120],
            currency=product.currency,
            price_cents=draft.price_cents,
            deposit_cents=draft.deposit_cents,
            moq=draft.moq,
            max_units=draft.max_units,
            per_buyer_limit=draft.per_buyer_limit,
            units_reserved=0,
            units_paid=0,
            deadline=draft.deadline,
            balance_hours=draft.balance_hours,
            on_balance_default=draft.on_balance_default,
            expected_ship_at=draft.expected_ship_at,
            customisation_fields=fields,
            extend_share_bp=draft.extend_share_bp,
            extend_hours=draft.extend_hours,
            extended=False,
            production_at_moq=draft.production_at_moq,
            production_issued=False,
            status=CampaignStatus.OPEN,
            created_at=now,
        )
        c2b_repository.add(session, campaign)
        await session.flush()
        job_service.do_schedule(
            session, DEADLINE_JOB, run_at=campaign.deadline, payload={"campaign_id": campaign.id}
        )
        self._announce(session, campaign)
        return campaign

    # ---- checks shared by creating and editing ------------------------------------

    def _check_terms(self, price_cents: int, deposit_cents: int, moq: int, max_units: int) -> None:
        if not 0 < moq <= max_units:
            raise _bad(
                "The minimum must be at least 1 and at most the maximum.", "c2b_bad_moq", "moq"
            )
        if not 0 <= deposit_cents < price_cents:
            raise _bad(
                "A deposit is less than the price (0 means paying in full).",
                "c2b_bad_deposit",
                "deposit_cents",
            )

    def _check_dates(self, deadline: datetime, ship_at: datetime, now: datetime) -> None:
        if deadline <= now:
            raise _bad(
                "The deadline must be ahead, and the ship date after it.",
                "c2b_bad_dates",
                "deadline",
            )
        if ship_at < deadline:
            raise _bad(
                "The deadline must be ahead, and the ship date after it.",
                "c2b_bad_dates",
                "expected_ship_at",
            )

    async def _check_supplier(self, session: AsyncSession, supplier_id: str | None) -> None:
        if supplier_id is None:
            return
        try:
            supplier = await account_service.get_user(session, supplier_id)
        except NotFound:
            supplier = None
        if supplier is None or supplier.role != Role.SUPPLIER:
            raise _bad("This account is not a supplier.", "c2b_not_supplier", "supplier_id")

    async def _check_session(self, session: AsyncSession, session_id: str | None) -> None:
        if session_id is None:
            return
        try:
            await live_service.get_session(session, session_id)
        except NotFound:
            raise _bad("No such live session.", "c2b_unknown_session", "session_id") from None

    async def _check_variants(
        self, session: AsyncSession, product_id: str, sku_ids: list[str]
    ) -> list[dict[str, str]]:
        """The SKUs, each once and in order, all of the campaign's product, with their
        names."""
        unique = list(dict.fromkeys(sku_ids))
        if len(unique) > MAX_VARIANTS:
            raise _bad(
                f"At most {MAX_VARIANTS} variants.", "c2b_bad_variant", "sku_ids", max=MAX_VARIANTS
            )
        variants: list[dict[str, str]] = []
        for sku_id in unique:
            try:
                sku = await catalog_service.get_sku(session, sku_id)
            except NotFound:
                sku = None
            if sku is None or sku.product_id != product_id:
                raise _bad(
                    "Each variant must be a SKU of this product.",
                    "c2b_bad_variant",
                    "sku_ids",
                    max=MAX_VARIANTS,
                )
            label = " / ".join(str(value) for value in dict(sku.spec).values())
            variants.append({"sku_id": sku.id, "label": label[:80]})
        return variants

    def _clean_fields(self, given: tuple[tuple[str, int], ...]) -> list[dict[str, Any]]:
        return [
            {"name": name.strip()[:30], "max_length": max(1, min(length, MAX_FIELD_LENGTH))}
            for name, length in given[:MAX_FIELDS]
            if name.strip()
        ]

    async def resolve_supplier_email(self, session: AsyncSession, email: str) -> str:
        """The supplier account with this e-mail (the form may name a new supplier so)."""
        supplier = await account_service.find_user_by_email(session, email.strip().lower())
        if supplier is None or supplier.role != Role.SUPPLIER:
            raise _bad("This account is not a supplier.", "c2b_not_supplier", "supplier_email")
        return supplier.id

    async def has_buyers(self, session: AsyncSession, campaign: Campaign) -> bool:
        """Anyone ever joined: the terms are fixed from then on."""
        return await c2b_repository.has_pledges(session, campaign.id)

    async def known_suppliers(self, session: AsyncSession, merchant: User) -> list[User]:
        """Suppliers the merchant has worked with, by name."""
        ids = await c2b_repository.supplier_ids_of_merchant(session, merchant.id)
        users = await account_service.get_users(session, set(ids))
        return sorted(users.values(), key=lambda user: (user.display_name, user.id))

    # ---- editing ------------------------------------------------------------------

    async def do_update(
        self, session: AsyncSession, merchant: User, campaign_id: str, changes: dict[str, Any]
    ) -> Campaign:
        """Change an open pre-sale. Its terms (price, deposit, MOQ, customisation fields,
        variants) only until the first buyer joins; the maximum never below the units
        already reserved; a new deadline is decided at its own time."""
        campaign = await self.get_for_merchant(session, merchant, campaign_id)
        campaign = await c2b_repository.get_campaign(session, campaign.id, lock=True) or campaign
        if campaign.status != CampaignStatus.OPEN:
            raise Conflict("This pre-sale is closed.", code="campaign_closed")
        now = utcnow()
        terms = [name for name in TERMS if name in changes]
        if terms and await c2b_repository.has_pledges(session, campaign.id):
            raise Conflict(
                "Buyers have joined: the price, deposit, minimum, variants and customisation "
                "fields stay as they agreed to.",
                code="c2b_terms_locked",
                details={"field": terms[0]},
            )
        price = int(changes.get("price_cents", campaign.price_cents))
        deposit = int(changes.get("deposit_cents", campaign.deposit_cents))
        moq = int(changes.get("moq", campaign.moq))
        max_units = int(changes.get("max_units", campaign.max_units))
        if max_units < campaign.units_reserved:
            raise _bad(
                f"{campaign.units_reserved} units are booked already.",
                "c2b_max_below_booked",
                "max_units",
                booked=campaign.units_reserved,
            )
        self._check_terms(price, deposit, moq, max_units)
        deadline = changes.get("deadline", campaign.deadline)
        ship_at = changes.get("expected_ship_at", campaign.expected_ship_at)
        if "deadline" in changes or "expected_ship_at" in changes:
            self._check_dates(deadline, ship_at, now)
        if "supplier_id" in changes:
            if campaign.production_issued and changes["supplier_id"] != campaign.supplier_id:
                raise Conflict(
                    "The production order went to the supplier already.",
                    code="c2b_production_issued",
                    details={"field": "supplier_id"},
                )
            await self._check_supplier(session, changes["supplier_id"])
        if "session_id" in changes:
            await self._check_session(session, changes["session_id"])
        if "sku_ids" in changes:
            sku_ids = await self._check_variants(
                session, campaign.product_id, [str(s) for s in changes["sku_ids"]]
            )
            if not sku_ids:
                raise _bad(
                    "Each variant must be a SKU of this product.",
                    "c2b_bad_variant",
                    "sku_ids",
                    max=MAX_VARIANTS,
                )
            campaign.sku_id = sku_ids[0]["sku_id"]
            campaign.variants = sku_ids if len(sku_ids) > 1 else []
        if "customisation_fields" in changes:
            campaign.customisation_fields = self._clean_fields(
                tuple(changes["customisation_fields"])
            )
        for name in ("price_cents", "deposit_cents", "moq", *ALWAYS_EDITABLE):
            if name in changes and name not in ("deadline",):
                value = changes[name]
                if name == "title":
                    product = await catalog_service.get_product(session, campaign.product_id)
                    value = (value or product.title)[:120]
                setattr(campaign, name, value)
        if "deadline" in changes and deadline != campaign.deadline:
            campaign.deadline = deadline
            # The job at the old time finds nothing due; this one decides.
            job_service.do_schedule(
                session, DEADLINE_JOB, run_at=deadline, payload={"campaign_id": campaign.id}
            )
        await session.flush()
        self._announce(session, campaign)
        return campaign

    async def get(self, session: AsyncSession, campaign_id: str) -> Campaign:
        campaign = await c2b_repository.get_campaign(session, campaign_id)
        if campaign is None:
            raise NotFound("No such pre-sale.", code="campaign_not_found")
        return campaign

    async def get_for_merchant(
        self, session: AsyncSession, user: User, campaign_id: str
    ) -> Campaign:
        campaign = await self.get(session, campaign_id)
        if campaign.merchant_id != user.id and user.role != Role.PLATFORM_ADMIN:
            raise NotFound("No such pre-sale.", code="campaign_not_found")
        return campaign

    async def list_campaigns(
        self,
        session: AsyncSession,
        *,
        product_id: str | None = None,
        session_id: str | None = None,
        merchant_id: str | None = None,
    ) -> list[Campaign]:
        return await c2b_repository.list_campaigns(
            session, product_id=product_id, session_id=session_id, merchant_id=merchant_id
        )

    async def list_pledges(self, session: AsyncSession, campaign: Campaign) -> list[Pledge]:
        return await c2b_repository.list_pledges(session, campaign.id)

    async def page_campaigns(
        self,
        session: AsyncSession,
        page: PageRequest,
        *,
        product_id: str | None = None,
        session_id: str | None = None,
        merchant_id: str | None = None,
    ) -> Page[Campaign]:
        return await c2b_repository.page_campaigns(
            session, page, product_id=product_id, session_id=session_id, merchant_id=merchant_id
        )

    async def page_pledges(
        self, session: AsyncSession, campaign: Campaign, page: PageRequest
    ) -> Page[Pledge]:
        return await c2b_repository.page_pledges(session, campaign.id, page)

    async def page_my_pledges(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[Pledge]:
        return await c2b_repository.page_pledges_of_buyer(session, user.id, page)

    def _announce(self, session: AsyncSession, campaign: Campaign) -> None:
        """The room showing the pre-sale hears its progress after commit, throttled to
        one message a second per campaign with the last state always delivered (product
        pages read it again every few seconds)."""
        if campaign.session_id is None:
            return
        message = progress_message(campaign)
        live_session_id = campaign.session_id
        throttle = progress_throttle(runtime_of(session), _read_progress)

        async def _offer() -> None:
            await throttle.offer(live_session_id, message)

        after_commit(session, _offer)

    # ---- joining ------------------------------------------------------------------

    def check_customisation(self, campaign: Campaign, given: dict[str, str]) -> dict[str, str]:
        """Only the campaign's fields, each within its length (text is stored as typed
        and escaped wherever it is shown)."""
        allowed = {
            str(field["name"]): int(field["max_length"]) for field in campaign.customisation_fields
        }
        cleaned: dict[str, str] = {}
        for name, value in given.items():
            if name not in allowed:
                raise ValidationFailed(
                    "This pre-sale has no such customisation field.",
                    code="c2b_unknown_field",
                    details={"field": name[:30]},
                )
            text = " ".join(str(value).split())
            if len(text) > allowed[name]:
                raise ValidationFailed(
                    f"At most {allowed[name]} characters.",
                    code="c2b_field_too_long",
                    details={"field": name, "max_length": allowed[name]},
                )
            if text:
                cleaned[name] = text
        return cleaned

    async def do_join(
        self,
        session: AsyncSession,
        buyer: User,
        campaign_id: str,
        *,
        quantity: int,
        address_id: str,
        customisation: dict[str, str] | None = None,
        sku_id: str | None = None,
    ) -> Joined:
        """Reserve units and open the buyer's first order (deposit or full price)."""
        campaign = await self.get(session, campaign_id)
        now = utcnow()
        if campaign.status != CampaignStatus.OPEN or campaign.deadline <= now:
            raise Conflict("This pre-sale is closed.", code="campaign_closed")
        if not 1 <= quantity <= campaign.per_buyer_limit:
            raise ValidationFailed(
                f"Quantity must be between 1 and {campaign.per_buyer_limit}.",
                code="c2b_bad_quantity",
                details={"limit": campaign.per_buyer_limit},
            )
        fields = self.check_customisation(campaign, customisation or {})
        variants = campaign_sku_ids(campaign)
        if sku_id is None and len(variants) > 1:
            raise _bad("Choose a variant.", "c2b_variant_required", "sku_id")
        if sku_id is not None and sku_id not in variants:
            raise _bad(
                "This pre-sale has no such variant.", "c2b_bad_variant", "sku_id", max=MAX_VARIANTS
            )
        chosen = sku_id or variants[0]
        address = await order_service.get_own_address(session, buyer, address_id)
        existing = await c2b_repository.get_pledge_of(session, campaign.id, buyer.id)
        if existing is not None and existing.status != PledgeStatus.CANCELLED:
            raise Conflict(
                "You have joined this pre-sale already.",
                code="c2b_already_joined",
                details={"pledge_id": existing.id},
            )
        sku = await catalog_service.get_sku(session, chosen)
        unit = campaign.deposit_cents or campaign.price_cents
        timeout = runtime_of(session).settings.order_payment_timeout_s
        order = Order(
            id=new_id(),
            buyer_id=buyer.id,
            merchant_id=campaign.merchant_id,
            session_id=None,
            status=OrderStatus.PENDING_PAYMENT,
            currency=campaign.currency,
            subtotal_cents=unit * quantity,
            discount_cents=0,
            total_cents=unit * quantity,
            shipping_address=order_service.address_snapshot(address),
            created_at=now,
            expires_at=min(now + timedelta(seconds=timeout), campaign.deadline),
            campaign_id=campaign.id,
            items=[
                OrderItem(
                    id=new_id(),
                    product_id=campaign.product_id,
                    sku_id=sku.id,
                    title=campaign.title,
                    spec={**dict(sku.spec), **fields},
                    unit_price_cents=unit,
                    quantity=quantity,
                    line_total_cents=unit * quantity,
                )
            ],
        )
        try:
            async with session.begin_nested():
                if not await c2b_repository.reserve_units(session, campaign.id, quantity, now):
                    await c2b_repository.get_campaign(session, campaign.id)
                    if campaign.status != CampaignStatus.OPEN or campaign.deadline <= now:
                        raise Conflict("This pre-sale is closed.", code="campaign_closed")
                    raise Conflict(
                        "Not that many units are left in this pre-sale.",
                        code="campaign_full",
                        details={"left": campaign.max_units - campaign.units_reserved},
                    )
                await order_service.do_add_prepared_order(session, order)
                if existing is None:
                    pledge = Pledge(
                        id=new_id(),
                        campaign_id=campaign.id,
                        buyer_id=buyer.id,
                        quantity=quantity,
                        sku_id=None if len(variants) == 1 else sku.id,
                        customisation=fields,
                        status=PledgeStatus.PENDING,
                        first_order_id=order.id,
                        balance_order_id=None,
                        created_at=now,
                        updated_at=now,
                    )
                    c2b_repository.add(session, pledge)
                    await session.flush()
                else:
                    if not await c2b_repository.transition_pledge(
                        session,
                        existing.id,
                        from_statuses=[PledgeStatus.CANCELLED],
                        to_status=PledgeStatus.PENDING,
                        quantity=quantity,
                        sku_id=None if len(variants) == 1 else sku.id,
                        customisation=fields,
                        first_order_id=order.id,
                        updated_at=now,
                    ):
                        raise Conflict(
                            "You have joined this pre-sale already.", code="c2b_already_joined"
                        )
                    pledge = existing
        except IntegrityError as exc:
            raise Conflict(
                "You have joined this pre-sale already.", code="c2b_already_joined"
            ) from exc
        await c2b_repository.get_pledge(session, pledge.id)
        await c2b_repository.get_campaign(session, campaign.id)
        self._announce(session, campaign)
        return Joined(pledge=pledge, order=order)

    # ---- reacting to the orders ---------------------------------------------------

    async def do_order_paid(self, session: AsyncSession, order_id: str) -> None:
        """A campaign order was paid (inside the payment's unit of work)."""
        pledge = await c2b_repository.get_pledge_by_order(session, order_id)
        if pledge is None:
            return
        campaign = await c2b_repository.get_campaign(session, pledge.campaign_id, lock=True)
        assert campaign is not None
        now = utcnow()
        if order_id == pledge.first_order_id:
            if campaign.status == CampaignStatus.OPEN and await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.PENDING],
                to_status=PledgeStatus.PAID,
                updated_at=now,
            ):
                await c2b_repository.move_units(session, campaign.id, paid=pledge.quantity)
                await c2b_repository.get_campaign(session, campaign.id)
                if (
                    campaign.production_at_moq
                    and campaign.units_paid >= campaign.moq
                    and not campaign.production_issued
                ):
                    await self.do_log(
                        session,
                        campaign,
                        rule="production_at_moq",
                        decision="issue_production_order",
                        figures={"units_paid": campaign.units_paid, "moq": campaign.moq},
                    )
                    await self._issue_production(session, campaign, reason="moq_reached")
                self._announce(session, campaign)
                return
            # Paid too late (the campaign was decided), or twice: the money goes back.
            await self._refund_first_order(session, campaign, pledge, order_id)
            return
        if order_id == pledge.balance_order_id:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.BALANCE_DUE],
                to_status=PledgeStatus.CONFIRMED,
                updated_at=now,
            ):
                return
            await self._refund_order(session, campaign, order_id)

    async def _refund_first_order(
        self, session: AsyncSession, campaign: Campaign, pledge: Pledge, order_id: str
    ) -> None:
        moved = await c2b_repository.transition_pledge(
            session,
            pledge.id,
            from_statuses=[PledgeStatus.PENDING],
            to_status=PledgeStatus.REFUNDED,
            updated_at=utcnow(),
        )
        if moved:
            await c2b_repository.move_units(session, campaign.id, reserved=-pledge.quantity)
        await self._refund_order(session, campaign, order_id)
        await self._tell(session, campaign, pledge, "presale_refunded")

    async def _refund_order(self, session: AsyncSession, campaign: Campaign, order_id: str) -> None:
        order = await order_service.get_order(session, order_id)
        if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED):
            merchant = await account_service.get_user(session, campaign.merchant_id)
            await order_service.do_refund(session, merchant, order_id)

    async def do_order_cancelled(self, session: AsyncSession, order_id: str) -> None:
        """A campaign order was cancelled unpaid (its buyer, or its time ran out)."""
        pledge = await c2b_repository.get_pledge_by_order(session, order_id)
        if pledge is None:
            return
        campaign = await c2b_repository.get_campaign(session, pledge.campaign_id, lock=True)
        assert campaign is not None
        now = utcnow()
        if order_id == pledge.first_order_id:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.PENDING],
                to_status=PledgeStatus.CANCELLED,
                updated_at=now,
            ):
                await c2b_repository.move_units(session, campaign.id, reserved=-pledge.quantity)
                await c2b_repository.get_campaign(session, campaign.id)
                self._announce(session, campaign)
            return
        if order_id != pledge.balance_order_id:
            return
        if campaign.on_balance_default == BalanceDefault.REFUND:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=[PledgeStatus.BALANCE_DUE],
                to_status=PledgeStatus.REFUNDED,
                updated_at=now,
            ):
                await c2b_repository.move_units(
                    session, campaign.id, reserved=-pledge.quantity, paid=-pledge.quantity
                )
                await self._refund_order(session, campaign, pledge.first_order_id)
                await self._tell(session, campaign, pledge, "presale_balance_refunded")
            return
        if await c2b_repository.transition_pledge(
            session,
            pledge.id,
            from_statuses=[PledgeStatus.BALANCE_DUE],
            to_status=PledgeStatus.DEFAULTED,
            updated_at=now,
        ):
            # The forfeited deposit is the merchant's now.
            job_service.do_schedule(
                session, RELEASE_JOB, run_at=now, payload={"order_id": pledge.first_order_id}
            )
            await self._tell(session, campaign, pledge, "presale_balance_forfeited")

    # ---- the deadline -------------------------------------------------------------

    async def do_run_deadline(self, session: AsyncSession, campaign_id: str) -> str:
        """Decide a campaign whose deadline passed: succeeded, extended once, or failed.

        Returns what happened ("" when there was nothing to do: decided already, or
        not due because an extension moved the deadline)."""
        campaign = await c2b_repository.get_campaign(session, campaign_id)
        now = utcnow()
        if campaign is None or campaign.status != CampaignStatus.OPEN or campaign.deadline > now:
            return ""
        # Unpaid first orders end with the deadline (their time ran out with it). Each
        # order's row is locked before the campaign's, as a payment callback locks them.
        for pledge in await c2b_repository.list_pledges(
            session, campaign.id, statuses=[PledgeStatus.PENDING]
        ):
            await order_service.do_expire(session, pledge.first_order_id)
            await self.do_order_cancelled(session, pledge.first_order_id)
        campaign = await c2b_repository.get_campaign(session, campaign_id, lock=True)
        assert campaign is not None
        if campaign.status != CampaignStatus.OPEN or campaign.deadline > now:
            return ""
        figures = {
            "units_paid": campaign.units_paid,
            "moq": campaign.moq,
            "max": campaign.max_units,
            "deadline": campaign.deadline.isoformat(),
        }
        if campaign.units_paid >= campaign.moq:
            await c2b_repository.transition_campaign(
                session,
                campaign.id,
                to_status=CampaignStatus.SUCCEEDED,
                decided_at=now,
                balance_deadline=(
                    now + timedelta(hours=campaign.balance_hours)
                    if campaign.deposit_cents
                    else None
                ),
            )
            await self.do_log(
                session, campaign, rule="deadline", decision="succeeded", figures=figures
            )
            job_service.do_schedule(
                session, SETTLE_JOB, run_at=now, payload={"campaign_id": campaign.id}
            )
            await self._issue_production(session, campaign, reason="deadline")
            outcome = "succeeded"
        elif (
            campaign.extend_share_bp > 0
            and not campaign.extended
            and campaign.units_paid * 10_000 >= campaign.moq * campaign.extend_share_bp
        ):
            deadline = campaign.deadline + timedelta(hours=campaign.extend_hours)
            await c2b_repository.extend_campaign(session, campaign.id, deadline)
            await self.do_log(
                session,
                campaign,
                rule="extend_near_moq",
                decision="extended",
                figures={
                    **figures,
                    "share_bp": campaign.extend_share_bp,
                    "new_deadline": deadline.isoformat(),
                },
            )
            job_service.do_schedule(
                session, DEADLINE_JOB, run_at=deadline, payload={"campaign_id": campaign.id}
            )
            outcome = "extended"
        else:
            await c2b_repository.transition_campaign(
                session, campaign.id, to_status=CampaignStatus.FAILED, decided_at=now
            )
            await self.do_log(
                session, campaign, rule="deadline", decision="failed", figures=figures
            )
            job_service.do_schedule(
                session, REFUND_JOB, run_at=now, payload={"campaign_id": campaign.id}
            )
            outcome = "failed"
        await c2b_repository.get_campaign(session, campaign.id)
        self._announce(session, campaign)
        return outcome

    async def do_refund_batch(self, session: AsyncSession, campaign_id: str) -> int:
        """Refund up to ``BATCH`` paid pledges of a failed campaign; queue the next batch.

        Each pledge moves ``paid → refunded`` once, so a batch run again (a retry, a
        second worker) refunds nobody twice."""
        campaign = await c2b_repository.get_campaign(session, campaign_id, lock=True)
        if campaign is None or campaign.status != CampaignStatus.FAILED:
            return 0
        pledges = await c2b_repository.list_pledges(
            session, campaign.id, statuses=REFUNDABLE_PLEDGES, limit=BATCH
        )
        done = 0
        for pledge in pledges:
            if await c2b_repository.transition_pledge(
                session,
                pledge.id,
                from_statuses=REFUNDABLE_PLEDGES,
                to_status=PledgeStatus.REFUNDED,
                updated_at=utcnow(),
            ):
                await c2b_repository.move_units(
                    session, campaign.id, reserved=-pledge.quantity, paid=-pledge.quantity
                )
                await self._refund_order(session, campaign, pledge.first_order_id)
                await self._tell(session, campaign, pledge, "presale_failed")
                done += 1
        if len(pledges) == BATCH:
            job_service.do_schedule(
                session, REFUND_JOB, run_at=utcnow(), payload={"campaign_id": campaign.id}
            )
        return done

    async def do_settle_batch(self, session: AsyncSession, campaign_id: str) -> int:
        """After success: request each paid pledge's balance (or confirm a full payment)."""
        campaign = await c2b_repository.get_campaign(session, campaign_id, lock=True)
        if campaign is None or campaign.status != CampaignStatus.SUCCEEDED:
            return 0
        pledges = await c2b_repository.list_pledges(
            session, campaign.id, statuses=[PledgeStatus.PAID], limit=BATCH
        )
        now = utcnow()
        for pledge in pledges:
            if not campaign.deposit_cents:
                await c2b_repository.transition_pledge(
                    session,
                    pledge.id,
                    from_statuses=[PledgeStatus.PAID],
                    to_status=PledgeStatus.CONFIRMED,
                    updated_at=now,
                )
                await self._tell(session, campaign, pledge, "presale_succeeded")
                continue
            first = await order_service.get_order(session, pledge.first_order_id)
            unit = campaign.price_cents - campaign.deposit_cents
            deadline = campaign.balance_deadline or now + timedelta(hours=campaign.balance_hours)
            balance = Order(
                id=new_id(),
                buyer_id=pledge.buyer_id,
                merchant_id=campaign.merchant_id,
                status=OrderStatus.PENDING_PAYMENT,
                currency=campaign.currency,
                subtotal_cents=unit * pledge.quantity,
                discount_cents=0,
                total_cents=unit * pledge.quantity,
                shipping_address=dict(first.shipping_address),
                created_at=now,
                expires_at=deadline,
                campaign_id=campaign.id,
                items=[
                    OrderItem(
                        id=new_id(),
                        product_id=campaign.product_id,
                        sku_id=pledge.sku_id or campaign.sku_id,
                        title=campaign.title,
                        spec=dict(first.items[0].spec) if first.items else {},
                        unit_price_cents=unit,
                        quantity=pledge.quantity,
                        line_total_cents=unit * pledge.quantity,
                    )
                ],
            )
            try:
                async with session.begin_nested():
                    await order_service.do_add_prepared_order(session, balance)
                    if not await c2b_repository.transition_pledge(
                        session,
                        pledge.id,
                        from_statuses=[PledgeStatus.PAID],
                        to_status=PledgeStatus.BALANCE_DUE,
                        balance_order_id=balance.id,
                        updated_at=now,
                    ):
                        raise _Moved
            except _Moved:
                continue
            else:
                await self._tell(
                    session,
                    campaign,
                    pledge,
                    "presale_balance_due",
                    amount=money_text(balance.total_cents, campaign.currency),
                    link=f"/orders#{balance.id}",
                )
        if len(pledges) == BATCH:
            job_service.do_schedule(
                session, SETTLE_JOB, run_at=now, payload={"campaign_id": campaign.id}
            )
        return len(pledges)

    # ---- shipping -----------------------------------------------------------------

    async def do_ship_pledge(
        self,
        session: AsyncSession,
        merchant: User,
        pledge_id: str,
        *,
        carrier: str,
        tracking_number: str,
    ) -> Pledge:
        """Ship a fully paid pledge: its orders are shipped and their held money released."""
        pledge = await c2b_repository.get_pledge(session, pledge_id)
        if pledge is None:
            raise NotFound("No such pledge.", code="pledge_not_found")
        campaign = await self.get_for_merchant(session, merchant, pledge.campaign_id)
        if not await c2b_repository.transition_pledge(
            session,
            pledge.id,
            from_statuses=[PledgeStatus.CONFIRMED],
            to_status=PledgeStatus.SHIPPED,
            updated_at=utcnow(),
        ):
            raise Conflict(
                "Only a fully paid pledge can be shipped.",
                code="c2b_pledge_not_shippable",
                details={"status": pledge.status},
            )
        owner = await account_service.get_user(session, campaign.merchant_id)
        for order_id in (pledge.first_order_id, pledge.balance_order_id):
            if order_id is None:
                continue
            await order_service.do_ship(
                session, owner, order_id, carrier=carrier, tracking_number=tracking_number
            )
            job_service.do_schedule(
                session, RELEASE_JOB, run_at=utcnow(), payload={"order_id": order_id}
            )
        await c2b_repository.get_pledge(session, pledge.id)
        return pledge

    async def do_release(self, session: AsyncSession, order_id: str) -> bool:
        """Held money of a shipped (or forfeited) order becomes the merchant's."""
        order = await order_service.get_order(session, order_id)
        return await ledger_service.do_release_campaign_order(session, order) is not None

    async def is_released(self, session: AsyncSession, order_id: str) -> bool:
        """Nothing is left to release: released already, refunded in full, or never paid."""
        order = await order_service.get_order(session, order_id)
        if order.total_cents <= 0 or order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED):
            return True
        return await ledger_service.is_campaign_order_settled(session, order)

    # ---- production and decisions -------------------------------------------------

    async def _issue_production(
        self, session: AsyncSession, campaign: Campaign, *, reason: str
    ) -> ProductionOrder | None:
        """The production order: quantities per variant and each buyer's customisation.

        A one-variant campaign issued when its MOQ is reached orders its maximum (buyers
        may still come). A campaign of several variants orders what each variant has
        sold then, and at the deadline a second order tops up each variant by what was
        sold since (never the same units twice)."""
        if campaign.supplier_id is None:
            return None
        variants = campaign_sku_ids(campaign)
        if campaign.production_issued and reason != "deadline":
            return None
        if not campaign.production_issued and not await c2b_repository.mark_production_issued(
            session, campaign.id
        ):
            return None
        pledges = await c2b_repository.list_pledges(session, campaign.id, statuses=PAID_PLEDGES)
        sold: dict[str, int] = dict.fromkeys(variants, 0)
        for pledge in pledges:
            key = pledge.sku_id or variants[0]
            sold[key] = sold.get(key, 0) + pledge.quantity
        if reason == "moq_reached" and len(variants) == 1:
            sold = {variants[0]: campaign.max_units}
        earlier = await c2b_repository.list_production_orders(session, campaign_id=campaign.id)
        ordered: dict[str, int] = {}
        listed: set[str] = set()
        for order in earlier:
            for line in order.lines:
                key = str(line.get("sku_id") or variants[0])
                ordered[key] = ordered.get(key, 0) + int(line["quantity"])
            listed.update(str(item["pledge_id"]) for item in order.customisations)
        labels: dict[str, str] = {}
        for sku_id in sold:
            sku = await catalog_service.get_sku(session, sku_id)
            label = " / ".join(str(value) for value in dict(sku.spec).values())
            labels[sku_id] = label or campaign.title
        lines: list[dict[str, Any]] = [
            {
                "sku_id": sku_id,
                "variant": labels[sku_id],
                "quantity": units - ordered.get(sku_id, 0),
            }
            for sku_id, units in sold.items()
            if units > ordered.get(sku_id, 0)
        ]
        customisations = [
            {
                "pledge_id": pledge.id,
                "quantity": pledge.quantity,
                "variant": labels.get(pledge.sku_id or variants[0], ""),
                "fields": pledge.customisation,
            }
            for pledge in pledges
            if pledge.customisation and pledge.id not in listed
        ]
        if not lines:
            if earlier and customisations:
                # Units were ordered already (the maximum, at the MOQ): the factory still
                # gets the customisations of the buyers who came after.
                first = earlier[-1]
                first.customisations = [*first.customisations, *customisations]
                await session.flush()
            return None
        units = sum(int(line["quantity"]) for line in lines)
        now = utcnow()
        production = ProductionOrder(
            id=new_id(),
            campaign_id=campaign.id,
            merchant_id=campaign.merchant_id,
            supplier_id=campaign.supplier_id,
            product_id=campaign.product_id,
            title=campaign.title,
            lines=lines,
            customisations=customisations,
            units_total=units,
            units_delivered=0,
            due_at=campaign.expected_ship_at,
            status=ProductionStatus.ISSUED,
            reason=reason,
            created_at=now,
            updated_at=now,
        )
        c2b_repository.add(session, production)
        await session.flush()
        await notification_service.notify(
            session,
            [campaign.supplier_id],
            "production_issued",
            {"title": campaign.title, "units": units},
            link="/factory",
            dedupe_key=f"production:{production.id}:issued",
        )
        return production

    async def do_log(
        self,
        session: AsyncSession,
        campaign: Campaign | None,
        *,
        rule: str,
        decision: str,
        figures: dict[str, Any],
        merchant_id: str | None = None,
        product_id: str | None = None,
    ) -> DecisionLog:
        entry = DecisionLog(
            id=new_id(),
            merchant_id=merchant_id or (campaign.merchant_id if campaign else ""),
            product_id=product_id or (campaign.product_id if campaign else None),
            campaign_id=None if campaign is None else campaign.id,
            rule=rule,
            decision=decision,
            figures=figures,
            created_at=utcnow(),
        )
        c2b_repository.add(session, entry)
        await session.flush()
        log.info("c2b decision %s/%s: %s", rule, decision, figures)
        return entry

    async def page_decisions(
        self, session: AsyncSession, user: User, page: PageRequest, *, campaign_id: str
    ) -> Page[DecisionLog]:
        merchant_id = None if user.role == Role.PLATFORM_ADMIN else user.id
        return await c2b_repository.page_decisions(
            session, page, merchant_id=merchant_id, campaign_id=campaign_id
        )

    async def page_merchant_decisions(
        self, session: AsyncSession, user: User, page: PageRequest, *, product_id: str | None
    ) -> Page[DecisionLog]:
        """Every automatic decision about the merchant's products, newest first."""
        account_service.check_role(user, Role.MERCHANT)
        merchant_id = None if user.role == Role.PLATFORM_ADMIN else user.id
        return await c2b_repository.page_decisions(
            session, page, merchant_id=merchant_id, product_id=product_id, newest_first=True
        )

    async def _tell(
        self,
        session: AsyncSession,
        campaign: Campaign,
        pledge: Pledge,
        template: str,
        *,
        amount: str = "",
        link: str | None = None,
    ) -> None:
        await notification_service.notify(
            session,
            [pledge.buyer_id],
            template,
            {"title": campaign.title, "amount": amount},
            link=link or f"/presales/{campaign.id}",
            dedupe_key=f"presale:{pledge.id}:{template}:{pledge.first_order_id}",
        )


campaign_service = CampaignService()
