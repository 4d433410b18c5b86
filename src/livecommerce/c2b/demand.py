"""Demand: viewers vote for variants (or propose their own, with the price they would
pay), hosts run live polls the room sees move, and merchants read the totals. An
``auto_launch`` rule turns a variant whose votes pass a threshold into a pre-sale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.c2b.fulfilment import fulfilment_service
from livecommerce.c2b.production import REORDER_JOB, production_service
from livecommerce.c2b.repository import c2b_repository
from livecommerce.c2b.service import CampaignDraft, campaign_service
from livecommerce.catalog.service import catalog_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit
from livecommerce.live.service import live_service
from livecommerce.models import (
    CampaignStatus,
    DecisionRule,
    DemandVote,
    LivePoll,
    PollStatus,
    PollVote,
    Role,
    User,
)
from livecommerce.profiles.service import AudienceProfile, profile_service
from livecommerce.worker.service import job_service


@dataclass(frozen=True)
class VariantTotal:
    variant: str
    proposed: bool
    votes: int
    average_price_cents: int | None
    priced: int


def poll_message(poll: LivePoll) -> dict[str, object]:
    return {
        "type": "c2b_poll",
        "poll_id": poll.id,
        "question": poll.question,
        "options": list(poll.options),
        "counts": list(poll.counts),
        "status": poll.status,
    }


# The profile of the people asking is shown for groups of at least this many people who
# allow personalisation: fewer would describe someone the merchant could single out.
MIN_PROFILED = 3


@dataclass(frozen=True)
class DemandRow:
    product_id: str
    product_title: str
    currency: str
    variant: str
    proposed: bool
    votes: int
    average_price_cents: int | None
    priced: int
    profiled: int  # people asking whose profile counts (personalisation on)
    audience: AudienceProfile | None  # None below MIN_PROFILED


class DemandService:
    # ---- votes --------------------------------------------------------------------

    async def do_vote(
        self,
        session: AsyncSession,
        user: User,
        product_id: str,
        *,
        variant: str,
        proposed: bool = False,
        price_willing_cents: int | None = None,
        session_id: str | None = None,
    ) -> DemandVote:
        """Say "I want this variant" (once per variant; a second vote updates the price)."""
        product = await catalog_service.get_product(session, product_id)
        variant = " ".join(variant.split())[:40]
        existing = await c2b_repository.get_vote(session, product.id, user.id, variant)
        if existing is not None:
            if price_willing_cents is not None:
                existing.price_willing_cents = price_willing_cents
                await session.flush()
            return existing
        vote = DemandVote(
            id=new_id(),
            product_id=product.id,
            user_id=user.id,
            variant=variant,
            proposed=proposed,
            price_willing_cents=price_willing_cents,
            session_id=session_id,
            created_at=utcnow(),
        )
        try:
            async with session.begin_nested():
                c2b_repository.add(session, vote)
                await session.flush()
        except IntegrityError:
            found = await c2b_repository.get_vote(session, product.id, user.id, variant)
            if found is None:
                raise
            return found
        await self.do_check_auto_launch(session, product.id, variant)
        return vote

    async def demand_of(
        self, session: AsyncSession, product_id: str, page: PageRequest
    ) -> Page[VariantTotal]:
        await catalog_service.get_product(session, product_id)
        found = await c2b_repository.demand_of_product(session, product_id, page)
        return Page(
            items=[VariantTotal(*row) for row in found.items], next_cursor=found.next_cursor
        )

    async def demand_table(
        self, session: AsyncSession, user: User, page: PageRequest, scope: str | None = None
    ) -> tuple[str, Page[DemandRow]]:
        """The demand table: per product and variant, votes, proposals and the price people
        would pay, with the profile (画像) of those asking. ``products``: a merchant's own
        products; ``room``: what viewers asked for in the caller's room (hosts, and
        merchants who host). Returns the scope used and the page."""
        if user.role not in (Role.MERCHANT, Role.HOST, Role.PLATFORM_ADMIN):
            raise Forbidden("Only merchants and hosts read demand.", code="role_required")
        scope = scope or ("room" if user.role == Role.HOST else "products")
        merchant_id: str | None = None
        room_id: str | None = None
        if scope == "room":
            room_id = (await live_service.get_room_of_host(session, user)).id
        elif user.role == Role.HOST:
            raise Forbidden(
                "Only merchants read the demand of their products.", code="role_required"
            )
        elif user.role != Role.PLATFORM_ADMIN:
            merchant_id = user.id
        found = await c2b_repository.demand_table(
            session, page, merchant_id=merchant_id, room_id=room_id
        )
        keys = [(row[0], row[3]) for row in found.items]
        voters = await c2b_repository.voters_of_many(session, keys, room_id)
        audiences = await profile_service.personalised_audiences(
            session, [voters[key] for key in keys], MIN_PROFILED
        )
        rows: list[DemandRow] = []
        for (product_id, title, currency, variant, proposed, votes, average, priced), (
            willing,
            audience,
        ) in zip(found.items, audiences, strict=True):
            rows.append(
                DemandRow(
                    product_id=product_id,
                    product_title=title,
                    currency=currency,
                    variant=variant,
                    proposed=proposed,
                    votes=votes,
                    average_price_cents=average,
                    priced=priced,
                    profiled=len(willing),
                    audience=audience,
                )
            )
        return scope, Page(items=rows, next_cursor=found.next_cursor)

    async def page_rules(
        self, session: AsyncSession, merchant: User, page: PageRequest
    ) -> Page[DecisionRule]:
        return await c2b_repository.page_rules_of_merchant(session, merchant.id, page)

    async def check_may_read_prices(
        self, session: AsyncSession, user: User | None, product_id: str
    ) -> bool:
        """Prices people would pay are for the product's merchant, hosts and admins."""
        if user is None:
            return False
        product = await catalog_service.get_product(session, product_id)
        return user.id == product.merchant_id or user.role in (Role.HOST, Role.PLATFORM_ADMIN)

    # ---- the auto-launch rule -----------------------------------------------------

    async def do_set_rule(
        self,
        session: AsyncSession,
        merchant: User,
        product_id: str,
        kind: str,
        params: dict[str, object],
        enabled: bool,
    ) -> DecisionRule:
        product = await catalog_service.get_product(session, product_id)
        if product.merchant_id != merchant.id and merchant.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the product's merchant may do this.", code="not_product_merchant")
        required = {
            "auto_launch": ("threshold", "sku_id", "price_cents", "moq", "max_units", "days"),
            "reorder": ("forecast_units", "supplier_id"),
        }[kind]
        missing = [name for name in required if params.get(name) in (None, "")]
        if missing:
            raise ValidationFailed(
                "The rule misses some figures.",
                code="c2b_rule_incomplete",
                details={"missing": missing, "field": f"params.{missing[0]}"},
            )
        params = await self._check_rule_params(session, product.id, kind, params)
        rule = await c2b_repository.get_rule(session, product.id, kind)
        if rule is None:
            rule = DecisionRule(
                id=new_id(),
                merchant_id=product.merchant_id,
                product_id=product.id,
                kind=kind,
                params=dict(params),
                enabled=enabled,
                created_at=utcnow(),
            )
            c2b_repository.add(session, rule)
        else:
            rule.params = dict(params)
            rule.enabled = enabled
        await session.flush()
        if kind == "reorder" and enabled:
            if not await job_service.list_jobs(session, kind=REORDER_JOB, status="pending"):
                production_service.do_schedule_reorder_check(session)
        return rule

    async def _check_rule_params(
        self, session: AsyncSession, product_id: str, kind: str, params: dict[str, object]
    ) -> dict[str, object]:
        """Each figure in its range, the SKU of this product, the supplier a supplier."""

        def bad(name: str) -> ValidationFailed:
            return ValidationFailed(
                "This figure of the rule is not valid.",
                code="c2b_bad_rule_param",
                details={"field": f"params.{name}"},
            )

        ranges = {
            "threshold": (1, 1_000_000),
            "price_cents": (1, 10**9),
            "deposit_cents": (0, 10**9),
            "moq": (1, 1_000_000),
            "max_units": (1, 1_000_000),
            "days": (1, 90),
            "ship_days": (0, 365),
            "forecast_units": (1, 10_000_000),
            "lead_days": (1, 365),
        }
        cleaned: dict[str, object] = {}
        for name, value in params.items():
            if name in ranges:
                low, high = ranges[name]
                if isinstance(value, bool) or not isinstance(value, int | str):
                    raise bad(name)
                try:
                    number = int(value)
                except ValueError:
                    raise bad(name) from None
                if not low <= number <= high:
                    raise bad(name)
                cleaned[name] = number
            elif name in ("variant", "title"):
                cleaned[name] = " ".join(str(value).split())[: 40 if name == "variant" else 120]
            elif name in ("sku_id", "supplier_id"):
                cleaned[name] = str(value)
            else:
                raise bad(name)
        if kind == "auto_launch":
            if int(str(cleaned.get("deposit_cents", 0))) >= int(str(cleaned["price_cents"])):
                raise bad("deposit_cents")
            if int(str(cleaned["moq"])) > int(str(cleaned["max_units"])):
                raise bad("moq")
            try:
                sku = await catalog_service.get_sku(session, str(cleaned["sku_id"]))
            except NotFound:
                raise bad("sku_id") from None
            if sku.product_id != product_id:
                raise bad("sku_id")
        if cleaned.get("supplier_id"):
            try:
                supplier = await account_service.get_user(session, str(cleaned["supplier_id"]))
            except NotFound:
                raise bad("supplier_id") from None
            if supplier.role != Role.SUPPLIER:
                raise bad("supplier_id")
        else:
            cleaned.pop("supplier_id", None)
        return cleaned

    async def do_check_auto_launch(
        self, session: AsyncSession, product_id: str, variant: str
    ) -> str | None:
        """Launch the rule's pre-sale when a variant's votes reach its threshold and no
        pre-sale of the product is open. Returns the new campaign's id."""
        rule = await c2b_repository.get_rule(session, product_id, "auto_launch")
        if rule is None or not rule.enabled:
            return None
        params = rule.params
        wanted = str(params.get("variant", "")) or None
        if wanted is not None and wanted != variant:
            return None
        votes = await c2b_repository.votes_for_variant(session, product_id, variant)
        threshold = int(params["threshold"])
        if votes < threshold:
            return None
        if await c2b_repository.list_campaigns(
            session, product_id=product_id, status=CampaignStatus.OPEN, limit=1
        ):
            return None
        merchant = await account_service.get_user(session, rule.merchant_id)
        now = utcnow()
        days = int(params["days"])
        campaign = await campaign_service.do_create(
            session,
            merchant,
            CampaignDraft(
                sku_id=str(params["sku_id"]),
                title=str(params.get("title", "")) or None,
                price_cents=int(params["price_cents"]),
                deposit_cents=int(params.get("deposit_cents", 0)),
                moq=int(params["moq"]),
                max_units=int(params["max_units"]),
                deadline=now + timedelta(days=days),
                expected_ship_at=now + timedelta(days=days + int(params.get("ship_days", 7))),
                supplier_id=(str(params["supplier_id"]) if params.get("supplier_id") else None),
            ),
        )
        await fulfilment_service.do_log(
            session,
            campaign,
            rule="auto_launch",
            decision="launched_presale",
            figures={"variant": variant, "votes": votes, "threshold": threshold},
        )
        return campaign.id

    # ---- polls --------------------------------------------------------------------

    async def do_create_poll(
        self,
        session: AsyncSession,
        host: User,
        session_id: str,
        *,
        question: str,
        options: list[str],
        product_id: str | None = None,
    ) -> LivePoll:
        live_session = await live_service.get_session(session, session_id)
        room = await live_service.get_room(session, live_session.room_id)
        if room.host_id != host.id and host.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the room's host may run a poll.", code="not_room_host")
        if product_id is not None:
            await catalog_service.get_product(session, product_id)
        cleaned = [" ".join(option.split())[:40] for option in options]
        if len(set(cleaned)) != len(cleaned):
            raise ValidationFailed("Poll options must differ.", code="c2b_duplicate_options")
        poll = LivePoll(
            id=new_id(),
            session_id=live_session.id,
            host_id=host.id,
            product_id=product_id,
            question=question,
            options=cleaned,
            counts=[0] * len(cleaned),
            status=PollStatus.OPEN,
            created_at=utcnow(),
        )
        c2b_repository.add(session, poll)
        await session.flush()
        publish_after_commit(session, live_channel(poll.session_id), poll_message(poll))
        return poll

    async def get_poll(self, session: AsyncSession, poll_id: str) -> LivePoll:
        poll = await c2b_repository.get_poll(session, poll_id)
        if poll is None:
            raise NotFound("No such poll.", code="poll_not_found")
        return poll

    async def list_polls(self, session: AsyncSession, session_id: str) -> list[LivePoll]:
        return await c2b_repository.list_polls(session, session_id)

    async def do_vote_poll(
        self, session: AsyncSession, user: User, poll_id: str, option: int
    ) -> LivePoll:
        """One vote per viewer; the room sees the new counts after commit. A poll about a
        product also counts as demand for the chosen variant."""
        poll = await c2b_repository.get_poll(session, poll_id, lock=True)
        if poll is None:
            raise NotFound("No such poll.", code="poll_not_found")
        if poll.status != PollStatus.OPEN:
            raise Conflict("This poll is closed.", code="poll_closed")
        if not 0 <= option < len(poll.options):
            raise ValidationFailed("No such option.", code="c2b_bad_option")
        try:
            async with session.begin_nested():
                c2b_repository.add(
                    session,
                    PollVote(
                        id=new_id(),
                        poll_id=poll.id,
                        user_id=user.id,
                        option=option,
                        created_at=utcnow(),
                    ),
                )
                await session.flush()
        except IntegrityError as exc:
            raise Conflict("You have voted in this poll.", code="poll_voted") from exc
        counts = await c2b_repository.poll_counts(session, poll.id)
        poll.counts = [counts.get(index, 0) for index in range(len(poll.options))]
        await session.flush()
        if poll.product_id is not None:
            await self.do_vote(
                session,
                user,
                poll.product_id,
                variant=str(poll.options[option]),
                session_id=poll.session_id,
            )
        publish_after_commit(session, live_channel(poll.session_id), poll_message(poll))
        return poll

    async def do_close_poll(self, session: AsyncSession, host: User, poll_id: str) -> LivePoll:
        poll = await self.get_poll(session, poll_id)
        if poll.host_id != host.id and host.role != Role.PLATFORM_ADMIN:
            raise Forbidden("Only the room's host may run a poll.", code="not_room_host")
        poll.status = PollStatus.CLOSED
        await session.flush()
        publish_after_commit(session, live_channel(poll.session_id), poll_message(poll))
        return poll


demand_service = DemandService()
