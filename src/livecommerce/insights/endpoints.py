from __future__ import annotations

from fastapi import APIRouter, Request, Response

from livecommerce.accounts.dependencies import CurrentUser, OptionalUser
from livecommerce.insights.schemas import PageEventIn, SessionStats
from livecommerce.insights.service import VISITOR_COOKIE, insights_service, valid_visitor_id
from livecommerce.kit.http import DbSession
from livecommerce.kit.ids import new_id
from livecommerce.models import BehaviourKind

router = APIRouter(prefix="/api/v1", tags=["insights"])

_VISITOR_COOKIE_MAX_AGE = 365 * 24 * 3600


@router.get("/live-sessions/{session_id}/stats")
async def session_stats(session_id: str, user: CurrentUser, session: DbSession) -> SessionStats:
    """Online now, peak, viewers, likes, chats, paid orders and GMV (host or admin)."""
    await insights_service.check_can_view_stats(session, user, session_id)
    return await insights_service.get_session_stats(session, session_id)


@router.post("/live-sessions/{session_id}/events", status_code=204)
async def record_page_event(
    session_id: str,
    body: PageEventIn,
    request: Request,
    response: Response,
    user: OptionalUser,
    session: DbSession,
) -> None:
    """The live page reports a share or a product click; anonymous visitors are welcome."""
    visitor_id = valid_visitor_id(request.cookies.get(VISITOR_COOKIE))
    if visitor_id is None:
        visitor_id = new_id()
        response.set_cookie(
            VISITOR_COOKIE,
            visitor_id,
            max_age=_VISITOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.app.state.runtime.settings.session_cookie_secure,
        )
    await insights_service.do_record_page_event(
        session,
        session_id=session_id,
        kind=BehaviourKind(body.kind),
        product_id=body.product_id,
        user=user,
        visitor_id=visitor_id,
    )
