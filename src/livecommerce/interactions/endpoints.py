from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.dependencies import CurrentUser, OptionalUser
from livecommerce.interactions.buy_queue import buy
from livecommerce.interactions.flash_sales import flash_sale_service
from livecommerce.interactions.lotteries import lottery_service
from livecommerce.interactions.questions import question_out, question_service
from livecommerce.interactions.schemas import (
    FaqOut,
    FlashSaleBuy,
    FlashSaleCreate,
    FlashSaleList,
    FlashSaleOut,
    FlashSaleResults,
    InteractionsOut,
    LotteryClaim,
    LotteryCreate,
    LotteryList,
    LotteryOut,
    PrizeList,
    PrizeOut,
    QuestionAnswer,
    QuestionCreate,
    QuestionList,
    QuestionOut,
    QuestionRank,
    ServerTime,
)
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import Conflict
from livecommerce.kit.http import DbSession, RuntimeDep, get_runtime
from livecommerce.kit.pagination import MAX_LIMIT, PageQuery
from livecommerce.live.dependencies import RoomWorker
from livecommerce.live.service import live_service
from livecommerce.models import User
from livecommerce.orders.schemas import OrderOut

router = APIRouter(prefix="/api/v1", tags=["interactions"])


@router.get("/time")
async def server_time() -> ServerTime:
    """The server's clock: clients measure their offset from it (round-trip midpoint)."""
    return ServerTime(server_now=utcnow())


@router.get("/live-sessions/{session_id}/interactions")
async def room_interactions(
    session_id: str, viewer: OptionalUser, session: DbSession
) -> InteractionsOut:
    """What a viewer entering the room needs: the current flash sale, lottery, questions."""
    questions = await question_service.list_questions(session, session_id, include_closed=False)
    sale = await flash_sale_service.current_sale(session, session_id)
    lottery = await lottery_service.latest(session, session_id)
    return InteractionsOut(
        server_now=utcnow(),
        flash_sale=None if sale is None else await flash_sale_service.sale_out(session, sale),
        lottery=None
        if lottery is None
        else await lottery_service.lottery_out(session, lottery, viewer),
        questions=[question_out(question) for question in questions],
    )


# ---- flash sales ---------------------------------------------------------------------


@router.post("/live-sessions/{session_id}/flash-sales", status_code=201)
async def launch_flash_sale(
    session_id: str, body: FlashSaleCreate, user: RoomWorker, session: DbSession
) -> FlashSaleOut:
    """The host launches a flash sale on a showcase product (now or after a countdown)."""
    sale = await flash_sale_service.do_launch(session, user, session_id, body)
    return await flash_sale_service.sale_out(session, sale)


@router.get("/live-sessions/{session_id}/flash-sales")
async def list_flash_sales(session_id: str, session: DbSession, page: PageQuery) -> FlashSaleList:
    """The session's flash sales, newest first."""
    sales = await flash_sale_service.list_sales(session, session_id, page)
    return FlashSaleList(
        items=[await flash_sale_service.sale_out(session, s) for s in sales.items],
        next_cursor=sales.next_cursor,
    )


@router.get("/flash-sales/{sale_id}")
async def get_flash_sale(sale_id: str, session: DbSession) -> FlashSaleOut:
    sale = await flash_sale_service.get_sale(session, sale_id)
    return await flash_sale_service.sale_out(session, sale)


async def _sold_out_gate(sale_id: str, request: Request) -> None:
    """Runs before authentication and before any database work. Once a sale is known
    sold out, say so at once, to keyed and unkeyed clicks alike — except to a keyed click
    that may be the retry of one that won (``could_hold_order``): it goes on to get its
    order."""
    key = request.headers.get("idempotency-key")
    key = None if key is None else key.strip()
    if await flash_sale_service.answers_sold_out(get_runtime(request), sale_id, key):
        raise Conflict("Sold out.", code="sold_out", details={"left": 0})


@router.post("/flash-sales/{sale_id}/buy", status_code=201)
async def buy_flash_sale(
    sale_id: str,
    _gate: Annotated[None, Depends(_sold_out_gate)],
    user: CurrentUser,
    runtime: RuntimeDep,
    response: Response,
    body: FlashSaleBuy | None = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> OrderOut:
    """One click: an order at the sale price to the default address. Repeating a request
    with the same ``Idempotency-Key`` returns the first order (200) and takes nothing.

    What the buy reads and checks runs in a reading unit of work (no lock, buyers in
    parallel); the conditional writes and the order then join the sale's next batch in
    the buy queue (``interactions/buy_queue.py``), written with other buyers' in one
    unit of work. Clicks are usually answered in front of the router, with the same
    contract (``interactions/fast_path.py``); this route documents the operation and
    answers what that one leaves to it (a body it cannot take as it is, no caller)."""
    body = body or FlashSaleBuy()

    async def buyer(_reader: AsyncSession) -> User:
        return user

    placed = await buy(
        runtime,
        buyer,
        sale_id,
        quantity=body.quantity,
        address_id=body.address_id,
        idempotency_key=idempotency_key,
    )
    if not placed.created:
        response.status_code = 200
    return OrderOut.model_validate(placed.order)


@router.post("/flash-sales/{sale_id}/end")
async def end_flash_sale(sale_id: str, user: RoomWorker, session: DbSession) -> FlashSaleOut:
    sale = await flash_sale_service.do_end(session, user, sale_id)
    return await flash_sale_service.sale_out(session, sale)


@router.get("/flash-sales/{sale_id}/results")
async def flash_sale_results(
    sale_id: str, user: CurrentUser, session: DbSession
) -> FlashSaleResults:
    """For the host: units sold (paid), buyers, GMV and how fast it sold out."""
    return await flash_sale_service.results(session, user, sale_id)


# ---- lotteries -----------------------------------------------------------------------


@router.post("/live-sessions/{session_id}/lotteries", status_code=201)
async def launch_lottery(
    session_id: str, body: LotteryCreate, user: RoomWorker, session: DbSession
) -> LotteryOut:
    """Launch a lottery: the room sees the seed's SHA-256 now and the seed at the draw."""
    lottery = await lottery_service.do_launch(session, user, session_id, body)
    return await lottery_service.lottery_out(session, lottery, user)


@router.get("/live-sessions/{session_id}/lotteries")
async def list_lotteries(
    session_id: str, viewer: OptionalUser, session: DbSession, page: PageQuery
) -> LotteryList:
    """The session's lotteries, newest first."""
    lotteries = await lottery_service.list_lotteries(session, session_id, page)
    return LotteryList(
        items=[
            await lottery_service.lottery_out(session, item, viewer) for item in lotteries.items
        ],
        next_cursor=lotteries.next_cursor,
    )


@router.get("/lotteries/won")
async def my_prizes(user: CurrentUser, session: DbSession, page: PageQuery) -> PrizeList:
    """The lotteries I won, latest first: a win stays visible after the next lottery."""
    items: list[PrizeOut] = []
    won = await lottery_service.list_won(session, user, page)
    for lottery in won.items:
        live_session = await live_service.get_session(session, lottery.session_id)
        room = await live_service.get_room(session, live_session.room_id)
        items.append(
            PrizeOut(
                lottery=await lottery_service.lottery_out(session, lottery, user),
                session_title=live_session.title,
                room_name=room.name,
            )
        )
    return PrizeList(items=items, next_cursor=won.next_cursor)


@router.get("/lotteries/{lottery_id}")
async def get_lottery(lottery_id: str, viewer: OptionalUser, session: DbSession) -> LotteryOut:
    """Public: after the draw it carries the seed, the entrant ids and the winners."""
    lottery = await lottery_service.get_lottery(session, lottery_id)
    return await lottery_service.lottery_out(session, lottery, viewer)


@router.post("/lotteries/{lottery_id}/enter")
async def enter_lottery(lottery_id: str, user: CurrentUser, session: DbSession) -> LotteryOut:
    """Enter (idempotent); 409 ``conditions_not_met`` lists what is missing."""
    lottery = await lottery_service.do_enter(session, user, lottery_id)
    return await lottery_service.lottery_out(session, lottery, user)


@router.post("/lotteries/{lottery_id}/draw")
async def draw_lottery(lottery_id: str, user: RoomWorker, session: DbSession) -> LotteryOut:
    """The host draws before the countdown ends."""
    lottery = await lottery_service.do_draw_now(session, user, lottery_id)
    return await lottery_service.lottery_out(session, lottery, user)


@router.post("/lotteries/{lottery_id}/claim", status_code=201)
async def claim_prize(
    lottery_id: str, user: CurrentUser, session: DbSession, body: LotteryClaim | None = None
) -> OrderOut:
    """A winner claims a product prize: a zero-price order to their address."""
    order = await lottery_service.do_claim(
        session, user, lottery_id, None if body is None else body.address_id
    )
    return OrderOut.model_validate(order)


# ---- questions -----------------------------------------------------------------------


@router.post("/live-sessions/{session_id}/questions", status_code=201)
async def ask(
    session_id: str, body: QuestionCreate, user: CurrentUser, session: DbSession
) -> QuestionOut:
    question = await question_service.do_ask(session, user, session_id, body.text, body.product_id)
    return question_out(question)


@router.get("/live-sessions/{session_id}/questions")
async def list_questions(
    session_id: str,
    session: DbSession,
    page: PageQuery,
    include_closed: Annotated[bool, Query()] = False,
) -> QuestionList:
    """Ranked: the host's order first, then by upvotes, then oldest first (100 a page by
    default). Upvotes move questions between pages; re-read from the first page to re-rank."""
    questions = await question_service.page_questions(
        session, session_id, include_closed=include_closed, page=page.or_default(MAX_LIMIT)
    )
    return QuestionList(
        items=[question_out(question) for question in questions.items],
        next_cursor=questions.next_cursor,
    )


@router.get("/live-sessions/{session_id}/questions/mine")
async def my_questions(
    session_id: str, user: CurrentUser, session: DbSession, page: PageQuery
) -> QuestionList:
    """My questions in this session, newest first, answered ones with the host's answer."""
    questions = await question_service.list_mine(
        session, user, session_id, page.or_default(MAX_LIMIT)
    )
    return QuestionList(
        items=[question_out(question) for question in questions.items],
        next_cursor=questions.next_cursor,
    )


@router.post("/questions/{question_id}/upvote")
async def upvote(question_id: str, user: CurrentUser, session: DbSession) -> QuestionOut:
    """One upvote per user; repeating it changes nothing."""
    return question_out(await question_service.do_upvote(session, user, question_id))


@router.post("/questions/{question_id}/answering")
async def mark_answering(question_id: str, user: RoomWorker, session: DbSession) -> QuestionOut:
    return question_out(await question_service.do_mark_answering(session, user, question_id))


@router.post("/questions/{question_id}/answered")
async def mark_answered(
    question_id: str, body: QuestionAnswer, user: RoomWorker, session: DbSession
) -> QuestionOut:
    question = await question_service.do_mark_answered(
        session, user, question_id, answer=body.answer, product_id=body.product_id
    )
    return question_out(question)


@router.post("/questions/{question_id}/dismiss")
async def dismiss(question_id: str, user: RoomWorker, session: DbSession) -> QuestionOut:
    return question_out(await question_service.do_dismiss(session, user, question_id))


@router.put("/questions/{question_id}/rank")
async def rank(
    question_id: str, body: QuestionRank, user: RoomWorker, session: DbSession
) -> QuestionOut:
    return question_out(await question_service.do_rank(session, user, question_id, body.rank))


@router.get("/products/{product_id}/faq")
async def product_faq(product_id: str, session: DbSession) -> FaqOut:
    """The product's answered questions, most upvoted first."""
    return await question_service.faq(session, product_id)
