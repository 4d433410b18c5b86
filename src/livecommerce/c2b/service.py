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
from livecommerce.live.service import live_service
from livecommerce.models import (
    BalanceDefault,
    Campaign,
    CampaignStatus,
    Order,
    OrderItem,
    OrderStatus,
    Pledge,
    PledgeStatus,
    Role,
    User,
)
from livecommerce.orders.service import order_service
from livecommerce.worker.service import job_service

log = logging.getLogger(__name__)

DEADLINE_JOB = "c2b.deadline"
MAX_FIELD_LENGTH = 200
MAX_FIELDS = 5


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
        self.announce(session, campaign)
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
        self.announce(session, campaign)
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

    def announce(self, session: AsyncSession, campaign: Campaign) -> None:
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
        self.announce(session, campaign)
        return Joined(pledge=pledge, order=order)


campaign_service = CampaignService()
