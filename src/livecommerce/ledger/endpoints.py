from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from livecommerce.accounts.dependencies import AdminUser, CurrentUser
from livecommerce.kit.clock import utcnow
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.ledger.schemas import (
    AccountOut,
    CloseIn,
    EarningsOut,
    LineOut,
    ProblemOut,
    RefundIn,
    RefundOut,
    RefundResult,
    StatementDetail,
    StatementLineOut,
    StatementList,
    StatementOut,
    VerifyOut,
)
from livecommerce.ledger.service import ledger_service
from livecommerce.ledger.verify import verify_ledger
from livecommerce.models import Role

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


@router.get("/earnings")
async def my_earnings(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    owner_id: Annotated[str | None, Query(max_length=32)] = None,
) -> EarningsOut:
    """What the platform owes me (and my agency), with the latest ledger lines.

    Admins may pass ``owner_id`` to read any party's; everyone else reads their own.
    ``lines`` page by cursor (50 by default); the accounts come with every page."""
    if user.role == Role.PLATFORM_ADMIN and owner_id is not None:
        owners = [owner_id]
    else:
        owners = await ledger_service.owner_ids_for(session, user)
    accounts, totals, lines = await ledger_service.earnings(session, owners, page=page)
    by_id = {account.id: account for account in accounts}
    return EarningsOut(
        owner_ids=owners,
        accounts=[
            AccountOut(
                id=account.id,
                kind=account.kind,
                owner_id=account.owner_id,
                currency=account.currency,
                owed_cents=-account.balance_cents,
                earned_cents=totals.get(account.id, (0, 0))[0],
                clawed_back_cents=totals.get(account.id, (0, 0))[1],
            )
            for account in accounts
        ],
        lines=[
            LineOut(
                at=line.created_at,
                account_kind=by_id[line.account_id].kind,
                owner_id=by_id[line.account_id].owner_id,
                entry_kind=entry.kind,
                reference=entry.reference,
                order_id=entry.order_id,
                memo=entry.memo,
                amount_cents=-line.amount_cents,
                statement_id=line.statement_id,
            )
            for line, entry in lines.items
        ],
        next_cursor=lines.next_cursor,
    )


@router.get("/platform")
async def platform_accounts(user: AdminUser, session: DbSession) -> list[AccountOut]:
    """The platform's own accounts: fee revenue and money held by providers."""
    return [
        AccountOut(
            id=account.id,
            kind=account.kind,
            owner_id=account.owner_id,
            currency=account.currency,
            owed_cents=-account.balance_cents,
            earned_cents=0,
            clawed_back_cents=0,
        )
        for account in await ledger_service.list_platform_accounts(session)
    ]


async def _refund_result(
    session: DbSession, order_id: str, status: str, total: int
) -> RefundResult:
    refunds = await ledger_service.refunds_of(session, order_id)
    refunded = sum(refund.amount_cents for refund in refunds)
    return RefundResult(
        order_id=order_id,
        order_status=status,
        refunded_cents=refunded,
        refundable_cents=max(total - refunded, 0),
        refunds=[RefundOut.model_validate(refund) for refund in refunds],
    )


@router.post("/orders/{order_id}/refunds", status_code=201)
async def refund_order(
    order_id: str, body: RefundIn, user: CurrentUser, session: DbSession
) -> RefundResult:
    """Refund part of a paid order (the order's merchant or an admin). Refunding all
    that is left refunds the order itself: its stock and payment go back too."""
    _, order = await ledger_service.do_partial_refund(
        session, user, order_id, body.amount_cents, body.reason
    )
    return await _refund_result(session, order.id, order.status, order.total_cents)


@router.get("/orders/{order_id}/refunds")
async def list_refunds(order_id: str, user: CurrentUser, session: DbSession) -> RefundResult:
    order = await ledger_service.get_order_for_refunds(session, user, order_id)
    return await _refund_result(session, order.id, order.status, order.total_cents)


@router.get("/statements")
async def list_statements(
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    owner_id: Annotated[str | None, Query(max_length=32)] = None,
) -> StatementList:
    """Statements, the latest period first (100 a page by default)."""
    statements = await ledger_service.list_statements_for_user(
        session, user, owner_id=owner_id, page=page.or_default(MAX_LIMIT)
    )
    return StatementList(
        items=[StatementOut.model_validate(item) for item in statements.items],
        next_cursor=statements.next_cursor,
    )


@router.get("/statements/{statement_id}")
async def get_statement(
    statement_id: str, user: CurrentUser, session: DbSession
) -> StatementDetail:
    statement = await ledger_service.get_statement_for_user(session, user, statement_id)
    lines = await ledger_service.statement_lines(session, statement)
    return StatementDetail(
        **StatementOut.model_validate(statement).model_dump(),
        lines=[StatementLineOut(**line.__dict__) for line in lines],
    )


@router.get("/statements/{statement_id}/csv")
async def download_statement(statement_id: str, user: CurrentUser, session: DbSession) -> Response:
    statement = await ledger_service.get_statement_for_user(session, user, statement_id)
    body = await ledger_service.statement_csv(session, statement)
    name = f"statement-{statement.kind}-{statement.period_end:%Y%m%d%H%M%S}-{statement.id[:8]}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/settlements", status_code=201)
async def close_period(body: CloseIn, user: AdminUser, session: DbSession) -> StatementList:
    """Close the period ending at ``period_end`` (default: now) for every party."""
    statements = await ledger_service.do_close_period(session, body.period_end or utcnow())
    return StatementList(items=[StatementOut.model_validate(item) for item in statements])


@router.post("/statements/{statement_id}/payout")
async def mark_paid_out(statement_id: str, user: AdminUser, session: DbSession) -> StatementOut:
    statement = await ledger_service.do_mark_paid_out(session, statement_id)
    return StatementOut.model_validate(statement)


@router.get("/verify")
async def verify(user: AdminUser, session: DbSession) -> VerifyOut:
    """Check every ledger invariant (the same checks as ``livecommerce ledger verify``)."""
    report = await verify_ledger(session)
    return VerifyOut(
        ok=report.ok,
        entries=report.entries,
        accounts=report.accounts,
        statements=report.statements,
        problems=[ProblemOut(**problem.__dict__) for problem in report.problems],
    )
