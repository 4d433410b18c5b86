"""The host's team: invitations, members, what each did."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.accounts.service import account_service
from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import PageQuery
from livecommerce.kit.runtime import runtime_of
from livecommerce.live.schemas import (
    InviteOut,
    MyTeamRoom,
    MyTeamRooms,
    StaffActionList,
    StaffActionOut,
    StaffInviteIn,
    StaffInviteOut,
    StaffList,
    StaffOut,
)
from livecommerce.live.service import live_service
from livecommerce.live.team import ROLE_ACTIONS, invite_path, team_service
from livecommerce.models import RoomStaff, StaffRole

router = APIRouter(prefix="/api/v1", tags=["team"])


async def _outs(session: AsyncSession, rows: list[RoomStaff]) -> list[StaffOut]:
    users = await account_service.get_users(session, {r.user_id for r in rows if r.user_id})
    return [
        StaffOut(
            id=row.id,
            room_id=row.room_id,
            role=row.role,
            status=row.status,
            email=row.email,
            user_id=row.user_id,
            display_name=users[row.user_id].display_name if row.user_id in users else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
        )
        for row in rows
    ]


@router.post("/rooms/{room_id}/team", status_code=201)
async def invite_staff(
    room_id: str, body: StaffInviteIn, user: CurrentUser, session: DbSession
) -> StaffInviteOut:
    """The host invites staff with a role (场控 ``moderator``, 客服 ``service``, 选品
    ``selection``), by e-mail (that account is told, and only it may accept) or as a link
    for whoever opens it first. The link is in the answer, once; it expires."""
    staff, token = await team_service.do_invite(
        session, user, room_id, role=body.role, email=body.email
    )
    base = runtime_of(session).settings.public_url.rstrip("/")
    (out,) = await _outs(session, [staff])
    return StaffInviteOut(**out.model_dump(), invite_url=f"{base}{invite_path(token)}")


@router.get("/rooms/{room_id}/team")
async def list_staff(
    room_id: str, user: CurrentUser, session: DbSession, page: PageQuery
) -> StaffList:
    """The room's team: members and open invitations (the host's view), oldest first
    (50 by default)."""
    found = await team_service.page_team(session, user, room_id, page)
    return StaffList(items=await _outs(session, found.items), next_cursor=found.next_cursor)


@router.delete("/rooms/{room_id}/team/{staff_id}")
async def revoke_staff(
    room_id: str, staff_id: str, user: CurrentUser, session: DbSession
) -> StaffOut:
    """Withdraw an invitation or remove a member: their access ends at once, and their
    open pages are told on their user channel (``staff_changed``)."""
    staff = await team_service.do_revoke(session, user, room_id, staff_id)
    (out,) = await _outs(session, [staff])
    return out


@router.get("/rooms/{room_id}/team/log")
async def staff_log(
    room_id: str,
    user: CurrentUser,
    session: DbSession,
    page: PageQuery,
    member: str | None = Query(default=None, max_length=32, description="One member's user id."),
) -> StaffActionList:
    """The audit log: what each member did in the room (newest first)."""
    found = await team_service.page_log(session, user, room_id, member_id=member, page=page)
    users = await account_service.get_users(session, {item.user_id for item in found.items})
    return StaffActionList(
        items=[
            StaffActionOut(
                id=item.id,
                user_id=item.user_id,
                display_name=users[item.user_id].display_name if item.user_id in users else None,
                role=item.role,
                action=item.action,
                target=item.target,
                created_at=item.created_at,
            )
            for item in found.items
        ],
        next_cursor=found.next_cursor,
    )


@router.get("/team/invites/{token}")
async def get_invite(token: str, session: DbSession) -> InviteOut:
    """What an invitation offers, before accepting it."""
    staff, room = await team_service.get_invite(session, token[:64])
    return InviteOut(
        room_id=room.id,
        room_name=room.name,
        role=staff.role,
        status=staff.status,
        email=staff.email,
        expires_at=staff.expires_at,
    )


@router.post("/team/invites/{token}/accept")
async def accept_invite(token: str, user: CurrentUser, session: DbSession) -> StaffOut:
    """Join the room's team. 409 ``staff_invite_expired`` / ``staff_invite_used``, 403
    ``staff_invite_other_email``, 404 ``staff_invite_not_found`` (withdrawn)."""
    staff = await team_service.do_accept(session, user, token[:64])
    (out,) = await _outs(session, [staff])
    return out


@router.get("/team/rooms")
async def my_team_rooms(user: CurrentUser, session: DbSession, page: PageQuery) -> MyTeamRooms:
    """The rooms the caller works for, with their role, what it allows and the session
    to work on (on air, else the next planned; for 选品 the next planned first; 50 rooms
    by default)."""
    found = await team_service.page_my_rooms(session, user, page)
    items = []
    for row in found.items:
        room = await live_service.get_room(session, row.room_id)
        # 选品 prepares the showcase before a session; the others work the one on air.
        current = await live_service.current_or_next_session(
            session, room.id, upcoming_first=row.role == StaffRole.SELECTION
        )
        items.append(
            MyTeamRoom(
                room_id=room.id,
                room_name=room.name,
                role=row.role,
                actions=sorted(ROLE_ACTIONS[row.role]),
                session_id=None if current is None else current.id,
                session_title=None if current is None else current.title,
                session_status=None if current is None else current.status,
            )
        )
    return MyTeamRooms(items=items, next_cursor=found.next_cursor)
