"""Server-rendered pages. What a first paint needs (titles, names, prices) is rendered here,
always autoescaped; the rest loads through the JSON API from the page scripts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from livecommerce.accounts.service import account_service
from livecommerce.catalog.service import catalog_service
from livecommerce.fans.hosts import host_page_service
from livecommerce.insights.service import VISITOR_COOKIE, valid_visitor_id
from livecommerce.interactions.lotteries import lottery_service
from livecommerce.kit.errors import LiveCommerceError, NotFound, ValidationFailed
from livecommerce.kit.http import DbSession, RuntimeDep
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import PageRequest
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.service import live_service
from livecommerce.media.service import media_service
from livecommerce.models import LiveSessionStatus, ProductStatus
from livecommerce.notifications.service import CATEGORIES, notification_service
from livecommerce.orders.checkout import checkout_service
from livecommerce.recommend.service import recommend_service
from livecommerce.search.service import search_service
from livecommerce.web.i18n import LANG_COOKIE, LANGUAGES
from livecommerce.web.profile_pages import record_product_view
from livecommerce.web.rendering import PageDep, safe_next
from livecommerce.web.team_pages import team_console

router = APIRouter(include_in_schema=False)

HOME_LIMIT = 24
VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600


@router.get("/")
async def home_page(page: PageDep, session: DbSession) -> Response:
    live = await live_service.list_sessions(
        session, status=LiveSessionStatus.LIVE, room_id=None, limit=HOME_LIMIT
    )
    upcoming = await live_service.list_sessions(
        session, status=LiveSessionStatus.SCHEDULED, room_id=None, limit=HOME_LIMIT
    )
    live_cards = await live_service.session_summaries(session, live, page.user)
    upcoming_cards = await live_service.session_summaries(session, upcoming, page.user)
    live_cards.sort(key=lambda card: card.online, reverse=True)
    upcoming_cards.sort(key=lambda card: card.planned_start_at)
    hosts = {card.room_id: card.room_name for card in [*live_cards, *upcoming_cards]}
    picks = await recommend_service.products_for_viewer(
        session, page.user.id if page.user else None, 8
    )
    return page.render(
        "home.html",
        live_sessions=live_cards,
        upcoming_sessions=upcoming_cards,
        hosts=hosts,
        feed_categories=list(runtime_of(session).settings.traffic_categories),
        recommended=[catalog_service.product_out(p).model_dump(mode="json") for p in picks],
        recommended_title=page.t("recommend.for_you"),
    )


@router.get("/hosts/{room_id}")
async def host_page(room_id: str, page: PageDep, session: DbSession) -> Response:
    """主播主页: the host's persona, sessions (live, upcoming, past with replays) and shop."""
    try:
        host = await host_page_service.get_host_page(session, room_id, page.user)
    except NotFound:
        return page.not_found("error.host_not_found")
    data: dict[str, Any] = host.model_dump(mode="json")
    page.data.update(host=data)
    return page.render("host.html", host=host)


SEARCH_TABS = (
    ("", "search.tab_all"),
    ("room", "search.tab_room"),
    ("host", "search.tab_host"),
    ("product", "search.tab_product"),
)


@router.get("/search")
async def search_page(
    page: PageDep, session: DbSession, q: str = "", type: str | None = None
) -> Response:
    """搜索: rooms (live first), hosts and products; the first page is rendered here, the
    next ones load from the API."""
    try:
        kind = search_service.check_type(type)
    except ValidationFailed:
        kind = None
    results = await search_service.search(
        session, q, None if kind is None else str(kind), PageRequest()
    )
    kind_name = "" if kind is None else str(kind)
    page.data.update(q=q, type=kind_name, next_cursor=results.next_cursor)
    return page.render(
        "search.html",
        q=q,
        kind=kind_name,
        tabs=SEARCH_TABS,
        results=results.model_dump(mode="json"),
    )


@router.get("/products/{product_id}")
async def product_page(
    product_id: str, page: PageDep, session: DbSession, runtime: RuntimeDep
) -> Response:
    """A product: photos, price range, options, seller, and the rooms selling it on air."""
    try:
        product = await catalog_service.get_visible_product(session, page.user, product_id)
    except NotFound:
        return page.not_found("product.not_found")
    merchant = await account_service.get_user(session, product.merchant_id)
    selling = await live_service.sessions_selling_now(session, product.id)
    if page.user is not None:
        await record_product_view(runtime, page.user.id, product.id)
    also = await recommend_service.also_for_product(session, product.id)
    prices = [sku.price_cents for sku in product.skus]
    return page.render(
        "product.html",
        product=catalog_service.product_out(product).model_dump(mode="json"),
        on_sale=product.status == ProductStatus.ON_SALE,
        price_min=min(prices, default=None),
        price_max=max(prices, default=None),
        merchant_name=merchant.display_name,
        selling=[card.model_dump(mode="json") for card in selling],
        recommended=[catalog_service.product_out(p).model_dump(mode="json") for p in also],
        recommended_title=page.t("recommend.also"),
    )


@router.get("/live/{session_id}")
async def live_room_page(
    session_id: str, page: PageDep, session: DbSession, runtime: RuntimeDep
) -> Response:
    try:
        live_session = await live_service.get_session(session, session_id)
    except NotFound:
        return page.not_found("error.session_not_found")
    detail = await live_service.session_detail(session, live_session, page.user)
    likes = 0
    activity = getattr(runtime.extras.get("hub"), "activity", None)
    like_total = getattr(activity, "like_total", None)
    if like_total is not None:
        likes = int(await like_total(live_session.id, session=session))
    detail_data: dict[str, Any] = detail.model_dump(mode="json")
    page.data.update(session=detail_data, likes=likes)
    response = page.render(
        "live.html",
        detail=detail_data,
        likes=likes,
        chat_max_length=runtime.settings.chat_max_length,
    )
    if valid_visitor_id(page.request.cookies.get(VISITOR_COOKIE)) is None:
        # One id per browser, so the room's WebSocket and the page's events count one viewer.
        response.set_cookie(
            VISITOR_COOKIE,
            new_id(),
            max_age=VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=runtime.settings.session_cookie_secure,
        )
    return response


@router.get("/replay/{session_id}")
async def replay_page(session_id: str, page: PageDep, session: DbSession) -> Response:
    """回放: the recording with its product timeline, and the showcase to buy from."""
    try:
        replay = await media_service.get_replay(session, session_id)
    except NotFound:
        return page.not_found("error.session_not_found")
    replay_data: dict[str, Any] = replay.model_dump(mode="json")
    page.data.update(replay=replay_data)
    return page.render("replay.html", replay=replay_data)


@router.get("/orders")
async def orders_page(page: PageDep) -> Response:
    if page.user is None:
        return page.login_redirect()
    return page.render("orders.html")


@router.get("/coupons")
async def my_coupons_page(page: PageDep) -> Response:
    """我的优惠券 and 我的奖品: the wallet and every lottery the viewer won."""
    if page.user is None:
        return page.login_redirect()
    return page.render("coupons.html")


@router.get("/lotteries/{lottery_id}")
async def lottery_page(lottery_id: str, page: PageDep, session: DbSession) -> Response:
    """A lottery's public record: prize, seed hash, seed, winners and how to check them."""
    try:
        lottery = await lottery_service.get_lottery(session, lottery_id)
    except NotFound:
        return page.not_found("error.lottery_not_found")
    data = (await lottery_service.lottery_out(session, lottery, page.user)).model_dump(mode="json")
    return page.render("lottery.html", lottery=data)


@router.get("/pay/sandbox/{payment_id}")
async def sandbox_pay_page(payment_id: str, page: PageDep, session: DbSession) -> Response:
    """The sandbox provider's pay page (only the buyer sees it)."""
    user = page.user
    if user is None:
        return page.login_redirect()
    try:
        view = await checkout_service.get_payment_for_buyer(session, user, payment_id)
    except NotFound:
        return page.not_found("error.payment_not_found")
    page.data.update(payment_id=view.payment.id, order_id=view.order.id)
    return page.render("pay.html", payment=view.payment, order=view.order)


@router.get("/console/host")
async def host_console_page(page: PageDep) -> Response:
    if page.user is None:
        return page.login_redirect()
    if not page.is_host:
        return page.forbidden()
    return page.render("console_host.html")


@router.get("/console/host/sessions/{session_id}")
async def host_session_page(session_id: str, page: PageDep, session: DbSession) -> Response:
    user = page.user
    if user is None:
        return page.login_redirect()
    try:
        live_session = await live_service.get_session(session, session_id)
    except NotFound:
        return page.not_found("error.session_not_found")
    # The room's host, or a member of its team with the parts their role may use.
    console = await team_console(session, user, live_session.room_id)
    if console is None:
        return page.forbidden()
    detail = await live_service.session_detail(session, live_session)
    detail_data: dict[str, Any] = detail.model_dump(mode="json")
    page.data.update(session=detail_data, console=console)
    return page.render("console_session.html", detail=detail_data, console=console)


@router.get("/console/merchant")
async def merchant_console_page(page: PageDep) -> Response:
    if page.user is None:
        return page.login_redirect()
    if not page.is_merchant:
        return page.forbidden()
    return page.render("console_merchant.html")


@router.get("/login")
async def login_page(page: PageDep, next: str | None = None) -> Response:
    target = safe_next(next)
    if page.user is not None:
        return RedirectResponse(target, status_code=303)
    return page.render("login.html", next=target)


@router.get("/signup")
async def signup_page(page: PageDep, next: str | None = None) -> Response:
    target = safe_next(next)
    if page.user is not None:
        return RedirectResponse(target, status_code=303)
    return page.render("signup.html", next=target)


@router.get("/lang/{language}")
async def switch_language(language: str, page: PageDep, next: str | None = None) -> Response:
    """The no-script fallback of the language switch: remember the choice in a cookie."""
    if language not in LANGUAGES:
        return page.not_found()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/notifications")
async def notifications_page(page: PageDep) -> Response:
    """The inbox and the choices of what reaches the user where."""
    if page.user is None:
        return page.login_redirect()
    page.data.update(categories=list(CATEGORIES))
    return page.render("notifications.html", categories=CATEGORIES)


@router.get("/unsubscribe")
async def unsubscribe_page(page: PageDep, runtime: RuntimeDep, token: str = "") -> Response:
    """Where an e-mail's unsubscribe link leads: no log-in, one button (a GET changes
    nothing, so mail scanners that open links unsubscribe no one)."""
    try:
        _, category = notification_service.read_unsubscribe_token(runtime, token[:300])
    except LiveCommerceError:
        return page.render("unsubscribe.html", valid=False, category=None, token="")
    page.data.update(token=token)
    return page.render("unsubscribe.html", valid=True, category=category, token=token)
