"""MCN and marketplace rules: who may sign whom, who earns commission on what."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.ledger.splits import CommissionLine, CommissionTerms, allocate_bases, rate
from livecommerce.live.schemas import LivePrices, ShowcaseItemOut
from livecommerce.live.service import live_service
from livecommerce.mcn.repository import mcn_repository
from livecommerce.mcn.schemas import AgencyDashboard, AgencyOut, HostFigures, OfferOut
from livecommerce.models import (
    AffiliateConversion,
    AffiliateLink,
    Agency,
    ContractStatus,
    HostContract,
    MerchantStaff,
    Offer,
    OfferInvite,
    OfferStatus,
    OfferVisibility,
    Order,
    Product,
    Role,
    SamplePolicy,
    SampleRequest,
    SampleStatus,
    User,
)
from livecommerce.selling.service import selling_service

SIGNATURE_HEADER = "x-signature"


@dataclass(frozen=True)
class RecordedConversion:
    conversion: AffiliateConversion
    created: bool


def offer_out(offer: Offer, product: Product, price_cents: int) -> OfferOut:
    return OfferOut(
        id=offer.id,
        merchant_id=offer.merchant_id,
        product_id=offer.product_id,
        product_title=product.title,
        category=product.category,
        currency=product.currency,
        price_cents=price_cents,
        commission_bp=offer.commission_bp,
        fixed_fee_cents=offer.fixed_fee_cents,
        sample_policy=offer.sample_policy,
        visibility=offer.visibility,
        status=offer.status,
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
        sales_count=offer.sales_count,
        sales_cents=offer.sales_cents,
        note=offer.note,
        min_live_price_cents=offer.min_live_price_cents,
        allow_flash_sales=offer.allow_flash_sales,
        allow_prizes=offer.allow_prizes,
        allow_room_coupons=offer.allow_room_coupons,
    )


def sign_postback(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class McnService:
    # ---- agencies -----------------------------------------------------------------

    async def find_agency_of_owner(self, session: AsyncSession, owner_id: str) -> Agency | None:
        return await mcn_repository.agency_of_owner(session, owner_id)

    async def agency_name(self, session: AsyncSession, agency_id: str) -> str:
        agency = await mcn_repository.get_agency(session, agency_id)
        return "" if agency is None else agency.name

    async def get_my_agency(self, session: AsyncSession, user: User) -> Agency:
        account_service.check_role(user, Role.MCN_ADMIN)
        agency = await mcn_repository.agency_of_owner(session, user.id)
        if agency is None:
            raise NotFound("You have no agency yet.", code="agency_not_found")
        return agency

    async def do_create_agency(self, session: AsyncSession, user: User, name: str) -> Agency:
        account_service.check_role(user, Role.MCN_ADMIN)
        agency = Agency(id=new_id(), owner_id=user.id, name=name.strip(), created_at=utcnow())
        if not name.strip():
            raise ValidationFailed("The agency needs a name.", code="blank_name")
        if not await mcn_repository.try_add(session, agency):
            raise Conflict("You run an agency already.", code="agency_exists")
        return agency

    # ---- contracts ----------------------------------------------------------------

    async def _get_host(self, session: AsyncSession, host_id: str) -> User:
        hosts = await account_service.get_users(session, {host_id})
        host = hosts.get(host_id)
        if host is None or host.role != Role.HOST:
            raise NotFound("No such host.", code="host_not_found")
        return host

    async def find_host(
        self, session: AsyncSession, *, host_id: str | None, host_email: str | None
    ) -> User:
        """The host named by id or by e-mail (exactly one of the two)."""
        if (host_id is None) == (host_email is None):
            raise ValidationFailed("Give either host_id or host_email.", code="host_id_or_email")
        if host_id is not None:
            return await self._get_host(session, host_id)
        assert host_email is not None
        host = await account_service.find_user_by_email(session, host_email)
        if host is None or host.role != Role.HOST:
            raise NotFound("No host account has this e-mail.", code="host_email_not_found")
        return host

    async def do_invite_host(
        self,
        session: AsyncSession,
        user: User,
        *,
        host_id: str | None = None,
        host_email: str | None = None,
        share_bp: int,
        starts_at: datetime | None,
        ends_at: datetime | None,
    ) -> HostContract:
        agency = await self.get_my_agency(session, user)
        host_id = (await self.find_host(session, host_id=host_id, host_email=host_email)).id
        now = utcnow()
        starts = starts_at or now
        if ends_at is not None and ends_at <= starts:
            raise ValidationFailed("A contract must end after it starts.", code="bad_period")
        if (
            await mcn_repository.open_contract(
                session, host_id, (ContractStatus.ACTIVE, ContractStatus.INVITED)
            )
            is not None
        ):
            raise Conflict(
                "This host has a signed contract or an open invitation already.",
                code="host_already_signed",
            )
        contract = HostContract(
            id=new_id(),
            agency_id=agency.id,
            host_id=host_id,
            share_bp=share_bp,
            starts_at=starts,
            ends_at=ends_at,
            status=ContractStatus.INVITED,
            created_at=now,
        )
        await mcn_repository.add(session, contract)
        return contract

    async def list_contracts(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[HostContract]:
        if user.role == Role.MCN_ADMIN:
            agency = await self.get_my_agency(session, user)
            return await mcn_repository.page_contracts(session, page, agency_id=agency.id)
        if user.role == Role.PLATFORM_ADMIN:
            return await mcn_repository.page_contracts(session, page)
        return await mcn_repository.page_contracts(session, page, host_id=user.id)

    async def _contract_for(
        self, session: AsyncSession, user: User, contract_id: str
    ) -> tuple[HostContract, bool]:
        """The contract and whether the user is its agency's owner (else its host)."""
        contract = await mcn_repository.get_contract(session, contract_id)
        if contract is None:
            raise NotFound("No such contract.", code="contract_not_found")
        if contract.host_id == user.id:
            return contract, False
        agency = await mcn_repository.agency_of_owner(session, user.id)
        if agency is not None and agency.id == contract.agency_id:
            return contract, True
        if user.role == Role.PLATFORM_ADMIN:
            return contract, True
        raise NotFound("No such contract.", code="contract_not_found")

    async def do_answer_contract(
        self, session: AsyncSession, user: User, contract_id: str, *, accept: bool
    ) -> HostContract:
        contract, _ = await self._contract_for(session, user, contract_id)
        if contract.host_id != user.id:
            raise Forbidden("Only the invited host may answer.", code="not_contract_host")
        if (
            accept
            and await mcn_repository.open_contract(session, user.id, (ContractStatus.ACTIVE,))
            is not None
        ):
            raise Conflict("You are signed with an agency already.", code="host_already_signed")
        moved = await mcn_repository.transition_contract(
            session,
            contract.id,
            [ContractStatus.INVITED],
            ContractStatus.ACTIVE if accept else ContractStatus.DECLINED,
            decided_at=utcnow(),
        )
        if not moved:
            await session.refresh(contract)
            raise Conflict(f"This contract is {contract.status}.", code="invalid_contract_state")
        await session.refresh(contract)
        return contract

    async def do_terminate_contract(
        self, session: AsyncSession, user: User, contract_id: str
    ) -> HostContract:
        contract, _ = await self._contract_for(session, user, contract_id)
        now = utcnow()
        ends = contract.ends_at if contract.ends_at is not None and contract.ends_at < now else now
        moved = await mcn_repository.transition_contract(
            session,
            contract.id,
            [ContractStatus.ACTIVE, ContractStatus.INVITED],
            ContractStatus.TERMINATED,
            ends_at=ends,
            decided_at=now,
        )
        if not moved:
            await session.refresh(contract)
            raise Conflict(f"This contract is {contract.status}.", code="invalid_contract_state")
        await session.refresh(contract)
        return contract

    async def agency_dashboard(self, session: AsyncSession, user: User) -> AgencyDashboard:
        from livecommerce.ledger.service import ledger_service

        agency = await self.get_my_agency(session, user)
        contracts = [
            contract
            for contract in await mcn_repository.list_contracts(session, agency_id=agency.id)
            if contract.status in (ContractStatus.ACTIVE, ContractStatus.TERMINATED)
        ]
        host_ids = list(dict.fromkeys(contract.host_id for contract in contracts))
        figures = await mcn_repository.host_figures(session, host_ids)
        users = await account_service.get_users(session, set(host_ids))
        earned = await ledger_service.earned_by_owner(session, [*host_ids, agency.id])
        through = await ledger_service.agency_share_by_host(session, agency.id)
        hosts: list[HostFigures] = []
        seen: set[str] = set()
        for contract in contracts:
            if contract.host_id in seen:
                continue
            seen.add(contract.host_id)
            sessions, orders, gmv = figures[contract.host_id]
            hosts.append(
                HostFigures(
                    host_id=contract.host_id,
                    display_name=users[contract.host_id].display_name,
                    contract_id=contract.id,
                    contract_status=contract.status,
                    share_bp=contract.share_bp,
                    sessions=sessions,
                    paid_orders=orders,
                    gmv_cents=gmv,
                    host_earned_cents=earned.get(contract.host_id, 0),
                    agency_earned_cents=through.get(contract.host_id, 0),
                )
            )
        return AgencyDashboard(
            agency=AgencyOut.model_validate(agency),
            hosts=hosts,
            agency_earned_cents=earned.get(agency.id, 0),
        )

    async def agency_host_ids(self, session: AsyncSession, user: User) -> set[str]:
        """The hosts under an active contract with the user's agency (none without one)."""
        agency = await self.find_agency_of_owner(session, user.id)
        if agency is None:
            return set()
        contracts = await mcn_repository.list_contracts(session, agency_id=agency.id)
        return {c.host_id for c in contracts if c.status == ContractStatus.ACTIVE}

    async def best_open_offers(
        self, session: AsyncSession, product_ids: list[str]
    ) -> dict[str, Offer]:
        """Per product, its open offer in force with the highest commission."""
        best: dict[str, Offer] = {}
        for offer in await mcn_repository.open_offers_of_products(session, product_ids, utcnow()):
            best.setdefault(offer.product_id, offer)
        return best

    async def agency_host(self, session: AsyncSession, user: User, host_id: str) -> HostFigures:
        """One of the agency's hosts; any other host does not exist for it."""
        dashboard = await self.agency_dashboard(session, user)
        for host in dashboard.hosts:
            if host.host_id == host_id:
                return host
        raise NotFound("No such host in your agency.", code="host_not_found")

    # ---- merchant staff -----------------------------------------------------------

    async def do_add_staff(
        self,
        session: AsyncSession,
        user: User,
        host_id: str | None = None,
        *,
        host_email: str | None = None,
    ) -> MerchantStaff:
        account_service.check_role(user, Role.MERCHANT)
        host_id = (await self.find_host(session, host_id=host_id, host_email=host_email)).id
        row = MerchantStaff(
            merchant_id=user.id, host_id=host_id, accepted=False, created_at=utcnow()
        )
        if not await mcn_repository.try_add(session, row):
            raise Conflict("This host is on your staff list already.", code="staff_exists")
        return row

    async def do_accept_staff(
        self, session: AsyncSession, user: User, merchant_id: str
    ) -> MerchantStaff:
        row = await mcn_repository.get_staff(session, merchant_id, user.id)
        if row is None:
            raise NotFound("No such staff invitation.", code="staff_not_found")
        if not await mcn_repository.accept_staff(session, merchant_id, user.id):
            raise Conflict("You accepted this already.", code="staff_already_accepted")
        await session.refresh(row)
        return row

    async def do_remove_staff(
        self, session: AsyncSession, user: User, merchant_id: str, host_id: str
    ) -> None:
        if user.id not in (merchant_id, host_id) and user.role != Role.PLATFORM_ADMIN:
            raise NotFound("No such staff member.", code="staff_not_found")
        row = await mcn_repository.get_staff(session, merchant_id, host_id)
        if row is None:
            raise NotFound("No such staff member.", code="staff_not_found")
        await mcn_repository.delete_staff(session, row)

    async def list_staff(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[MerchantStaff]:
        if user.role == Role.MERCHANT:
            return await mcn_repository.list_staff(session, page, merchant_id=user.id)
        return await mcn_repository.list_staff(session, page, host_id=user.id)

    # ---- commission terms (read by the ledger) ------------------------------------

    async def commission_terms(
        self, session: AsyncSession, order: Order, *, at: datetime
    ) -> CommissionTerms:
        # Selling one's own goods (the merchant, or its accepted staff) earns no commission.
        if order.host_id is None or await selling_service.is_own(
            session, order.host_id, order.merchant_id
        ):
            return CommissionTerms()
        items = list(order.items)
        offers = await selling_service.offers_in_force(
            session, [item.product_id for item in items], at
        )
        bases = allocate_bases(order.total_cents, [item.line_total_cents for item in items])
        lines: list[CommissionLine] = []
        for item, base in zip(items, bases, strict=True):
            offer = offers.get(item.product_id)
            if offer is None or offer.merchant_id != order.merchant_id:
                continue
            if offer.visibility == OfferVisibility.INVITE_ONLY and not (
                await mcn_repository.is_invited(session, offer.id, order.host_id)
            ):
                continue
            lines.append(
                CommissionLine(base, offer.commission_bp, offer.fixed_fee_cents * item.quantity)
            )
        if not lines:
            return CommissionTerms()
        contract = await mcn_repository.contract_in_force(session, order.host_id, at)
        if contract is None:
            return CommissionTerms(lines=lines)
        return CommissionTerms(
            lines=lines, agency_id=contract.agency_id, agency_share_bp=contract.share_bp
        )

    async def do_record_sales(self, session: AsyncSession, order: Order) -> None:
        offers = await selling_service.offers_in_force(
            session, [item.product_id for item in order.items], order.paid_at or utcnow()
        )
        for item in order.items:
            offer = offers.get(item.product_id)
            if offer is not None:
                await mcn_repository.record_offer_sale(
                    session, offer.id, item.quantity, item.line_total_cents
                )

    # ---- offers -------------------------------------------------------------------

    async def do_create_offer(
        self,
        session: AsyncSession,
        user: User,
        *,
        product_id: str,
        commission_bp: int,
        fixed_fee_cents: int,
        sample_policy: str,
        visibility: str,
        starts_at: datetime | None,
        ends_at: datetime | None,
        note: str,
        min_live_price_cents: int | None = None,
        allow_flash_sales: bool = False,
        allow_prizes: bool = False,
        allow_room_coupons: bool = False,
    ) -> OfferOut:
        account_service.check_role(user, Role.MERCHANT)
        product = await catalog_service.get_product(session, product_id)
        if product.merchant_id != user.id and user.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the product's merchant may offer it.", code="not_product_owner")
        now = utcnow()
        starts = starts_at or now
        if ends_at is not None and ends_at <= starts:
            raise ValidationFailed("An offer must end after it starts.", code="bad_period")
        if await mcn_repository.active_offer_for_product(session, product.id) is not None:
            raise Conflict("This product has an active offer already.", code="offer_exists")
        offer = Offer(
            id=new_id(),
            merchant_id=product.merchant_id,
            product_id=product.id,
            commission_bp=commission_bp,
            fixed_fee_cents=fixed_fee_cents,
            sample_policy=sample_policy,
            visibility=visibility,
            status=OfferStatus.ACTIVE,
            starts_at=starts,
            ends_at=ends_at,
            sales_count=0,
            sales_cents=0,
            note=note,
            min_live_price_cents=min_live_price_cents,
            allow_flash_sales=allow_flash_sales,
            allow_prizes=allow_prizes,
            allow_room_coupons=allow_room_coupons,
            created_at=now,
        )
        await mcn_repository.add(session, offer)
        return await self._offer_out(session, offer)

    async def _offer_out(self, session: AsyncSession, offer: Offer) -> OfferOut:
        product = await catalog_service.get_product(session, offer.product_id)
        price = min((sku.price_cents for sku in product.skus), default=0)
        return offer_out(offer, product, price)

    async def _own_offer(self, session: AsyncSession, user: User, offer_id: str) -> Offer:
        offer = await mcn_repository.get_offer(session, offer_id)
        if offer is None:
            raise NotFound("No such offer.", code="offer_not_found")
        if offer.merchant_id != user.id and user.role != Role.PLATFORM_ADMIN:
            if await self._can_see(session, user, offer):
                raise Forbidden("Only the offer's merchant may do this.", code="not_offer_owner")
            raise NotFound("No such offer.", code="offer_not_found")
        return offer

    async def _can_see(self, session: AsyncSession, user: User, offer: Offer) -> bool:
        if user.role == Role.PLATFORM_ADMIN or offer.merchant_id == user.id:
            return True
        if offer.visibility == OfferVisibility.OPEN:
            return True
        return offer.id in await mcn_repository.invited_offer_ids(
            session, await self._invitee_ids(session, user)
        )

    async def _invitee_ids(self, session: AsyncSession, user: User) -> list[str]:
        """A host sees its invitations; an agency sees its signed hosts' invitations."""
        agency = await mcn_repository.agency_of_owner(session, user.id)
        if agency is None:
            return [user.id]
        contracts = await mcn_repository.list_contracts(session, agency_id=agency.id)
        return [user.id] + [c.host_id for c in contracts if c.status == ContractStatus.ACTIVE]

    async def do_update_offer(
        self, session: AsyncSession, user: User, offer_id: str, changes: dict[str, object]
    ) -> OfferOut:
        offer = await self._own_offer(session, user, offer_id)
        if offer.status == OfferStatus.CLOSED:
            raise Conflict("A closed offer cannot change.", code="offer_closed")
        for name, value in changes.items():
            if value is not None or name == "min_live_price_cents":  # null: catalog floor
                setattr(offer, name, value)
        if offer.ends_at is not None and offer.ends_at <= offer.starts_at:
            raise ValidationFailed("An offer must end after it starts.", code="bad_period")
        await session.flush()
        return await self._offer_out(session, offer)

    async def do_invite_to_offer(
        self, session: AsyncSession, user: User, offer_id: str, host_ids: list[str]
    ) -> int:
        offer = await self._own_offer(session, user, offer_id)
        added = 0
        for host_id in dict.fromkeys(host_ids):
            await self._get_host(session, host_id)
            row = OfferInvite(offer_id=offer.id, host_id=host_id, created_at=utcnow())
            if await mcn_repository.try_add(session, row):
                added += 1
        return added

    async def browse_offers(
        self,
        session: AsyncSession,
        user: User,
        *,
        mine: bool = False,
        category: str | None = None,
        min_price_cents: int | None = None,
        max_price_cents: int | None = None,
        min_commission_bp: int | None = None,
        min_sales: int | None = None,
        sort: str = "newest",
        page: PageRequest,
    ) -> Page[OfferOut]:
        account_service.check_role(user, Role.HOST, Role.MCN_ADMIN, Role.MERCHANT)
        if mine:
            account_service.check_role(user, Role.MERCHANT)
        invited: set[str] | None = None
        if user.role != Role.PLATFORM_ADMIN and not mine:
            invited = await mcn_repository.invited_offer_ids(
                session, await self._invitee_ids(session, user)
            )
        rows = await mcn_repository.browse_offers(
            session,
            viewer_invited=invited,
            merchant_id=user.id if mine else None,
            category=category,
            min_price_cents=min_price_cents,
            max_price_cents=max_price_cents,
            min_commission_bp=min_commission_bp,
            min_sales=min_sales,
            sort=sort,
            at=utcnow(),
            page=page,
        )
        return Page(
            items=[offer_out(offer, product, price) for offer, product, price in rows.items],
            next_cursor=rows.next_cursor,
        )

    async def get_offer_for_user(self, session: AsyncSession, user: User, offer_id: str) -> Offer:
        offer = await mcn_repository.get_offer(session, offer_id)
        if offer is None or not await self._can_see(session, user, offer):
            raise NotFound("No such offer.", code="offer_not_found")
        return offer

    async def offer_detail(self, session: AsyncSession, user: User, offer_id: str) -> OfferOut:
        return await self._offer_out(
            session, await self.get_offer_for_user(session, user, offer_id)
        )

    async def do_add_offer_to_showcase(
        self,
        session: AsyncSession,
        user: User,
        offer_id: str,
        live_session_id: str,
        prices: LivePrices,
    ) -> ShowcaseItemOut:
        account_service.check_role(user, Role.HOST, Role.MERCHANT)
        offer = await self.get_offer_for_user(session, user, offer_id)
        now = utcnow()
        if offer.status != OfferStatus.ACTIVE or (
            offer.ends_at is not None and offer.ends_at <= now
        ):
            raise Conflict("This offer is no longer open.", code="offer_closed")
        return await live_service.do_add_showcase_item(
            session, user, live_session_id, offer.product_id, prices
        )

    # ---- samples ------------------------------------------------------------------

    async def do_request_sample(
        self, session: AsyncSession, user: User, offer_id: str, note: str
    ) -> SampleRequest:
        account_service.check_role(user, Role.HOST, Role.MCN_ADMIN)
        offer = await self.get_offer_for_user(session, user, offer_id)
        if offer.sample_policy == SamplePolicy.NONE:
            raise Conflict("This offer sends no samples.", code="samples_not_offered")
        if offer.status != OfferStatus.ACTIVE:
            raise Conflict("This offer is no longer open.", code="offer_closed")
        if await mcn_repository.pending_sample(session, offer.id, user.id) is not None:
            raise Conflict("You asked for a sample already.", code="sample_already_requested")
        request = SampleRequest(
            id=new_id(),
            offer_id=offer.id,
            requester_id=user.id,
            status=SampleStatus.PENDING,
            note=note,
            created_at=utcnow(),
        )
        await mcn_repository.add(session, request)
        return request

    async def list_samples(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[SampleRequest]:
        if user.role == Role.MERCHANT:
            return await mcn_repository.list_samples(session, page, merchant_id=user.id)
        if user.role == Role.PLATFORM_ADMIN:
            return await mcn_repository.list_samples(session, page)
        return await mcn_repository.list_samples(session, page, requester_id=user.id)

    async def do_decide_sample(
        self, session: AsyncSession, user: User, sample_id: str, *, approve: bool
    ) -> SampleRequest:
        request = await mcn_repository.get_sample(session, sample_id)
        offer = (
            None if request is None else await mcn_repository.get_offer(session, request.offer_id)
        )
        if request is None or offer is None:
            raise NotFound("No such sample request.", code="sample_not_found")
        if offer.merchant_id != user.id and user.role != Role.PLATFORM_ADMIN:
            if request.requester_id == user.id:
                raise Forbidden("Only the merchant decides.", code="not_offer_owner")
            raise NotFound("No such sample request.", code="sample_not_found")
        status = SampleStatus.APPROVED if approve else SampleStatus.DECLINED
        if not await mcn_repository.decide_sample(session, request.id, status, utcnow()):
            await session.refresh(request)
            raise Conflict(f"This request is {request.status}.", code="sample_already_decided")
        await session.refresh(request)
        return request

    # ---- affiliate links ----------------------------------------------------------

    async def do_create_link(
        self,
        session: AsyncSession,
        user: User,
        *,
        title: str,
        target_url: str,
        store_name: str,
        commission_bp: int,
        currency: str,
    ) -> AffiliateLink:
        account_service.check_role(user, Role.HOST)
        link = AffiliateLink(
            id=new_id(),
            code=secrets.token_urlsafe(8)[:10],
            host_id=user.id,
            title=title,
            target_url=target_url,
            store_name=store_name,
            commission_bp=commission_bp,
            currency=currency.upper(),
            postback_secret=secrets.token_hex(32),
            clicks=0,
            conversions=0,
            sales_cents=0,
            created_at=utcnow(),
        )
        await mcn_repository.add(session, link)
        return link

    async def list_links(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[AffiliateLink]:
        return await mcn_repository.list_links(session, user.id, page)

    async def do_rotate_postback_secret(
        self, session: AsyncSession, user: User, link_id: str
    ) -> AffiliateLink:
        """A new postback secret for the link's own host; the old one stops working with
        this unit's commit. Anyone else is told the link does not exist."""
        link = await mcn_repository.get_link(session, link_id)
        if link is None or (link.host_id != user.id and user.role != Role.PLATFORM_ADMIN):
            raise NotFound("No such link.", code="link_not_found")
        await mcn_repository.set_postback_secret(session, link.id, secrets.token_hex(32))
        await session.refresh(link)
        return link

    async def do_follow_link(self, session: AsyncSession, code: str) -> str:
        link = await mcn_repository.link_by_code(session, code)
        if link is None:
            raise NotFound("No such link.", code="link_not_found")
        await mcn_repository.count_click(session, link.id)
        return link.target_url

    async def check_postback(
        self, session: AsyncSession, body: bytes, signature: str | None
    ) -> AffiliateLink:
        """The link a postback is for, once its signature with that link's own secret holds.
        Unsigned, unparseable or unknown-link postbacks are all a wrong signature."""
        link: AffiliateLink | None = None
        try:
            code = json.loads(body).get("code")
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, str) and 0 < len(code) <= 16:
            link = await mcn_repository.link_by_code(session, code)
        expected = sign_postback(
            link.postback_secret if link is not None else secrets.token_hex(32), body
        )
        if (
            link is None
            or not signature
            or not hmac.compare_digest(expected, signature.strip().lower())
        ):
            raise Forbidden("The postback signature is wrong.", code="bad_signature")
        return link

    async def do_record_conversion(
        self,
        session: AsyncSession,
        *,
        code: str,
        external_order_id: str,
        amount_cents: int,
        currency: str,
        commission_cents: int | None = None,
    ) -> RecordedConversion:
        """A signed postback from the external store. Replays return the first result."""
        from livecommerce.ledger.service import ledger_service

        link = await mcn_repository.link_by_code(session, code)
        if link is None:
            raise NotFound("No such link.", code="link_not_found")
        if currency.upper() != link.currency:
            raise ValidationFailed(
                "The currency does not match the link.", code="currency_mismatch"
            )
        if commission_cents is not None and commission_cents > amount_cents:
            raise ValidationFailed(
                "The commission cannot exceed the sale.", code="commission_too_large"
            )
        existing = await mcn_repository.get_conversion(session, link.id, external_order_id)
        if existing is not None:
            return RecordedConversion(existing, created=False)
        now = utcnow()
        conversion = AffiliateConversion(
            id=new_id(),
            link_id=link.id,
            external_order_id=external_order_id,
            amount_cents=amount_cents,
            commission_cents=rate(amount_cents, link.commission_bp)
            if commission_cents is None
            else commission_cents,
            created_at=now,
        )
        if not await mcn_repository.try_add(session, conversion):  # a concurrent replay won
            winner = await mcn_repository.get_conversion(session, link.id, external_order_id)
            assert winner is not None
            return RecordedConversion(winner, created=False)
        await mcn_repository.count_conversion(session, link.id, amount_cents)
        contract = await mcn_repository.contract_in_force(session, link.host_id, now)
        await ledger_service.do_post_conversion(
            session,
            conversion_id=conversion.id,
            host_id=link.host_id,
            agency_id=None if contract is None else contract.agency_id,
            agency_share_bp=0 if contract is None else contract.share_bp,
            commission_cents=conversion.commission_cents,
            currency=link.currency,
            memo=f"{link.store_name}: {link.title}",
        )
        return RecordedConversion(conversion, created=True)


mcn_service = McnService()
