"""The host's team (团队): 场控 (moderator), 客服 (customer service), 选品 (selection).

A room's host invites staff by e-mail (only that account can accept) or by a link
(whoever opens it first), with a role; invitations expire after
``staff_invite_days`` and can be withdrawn. A member acts in that one room only, and
only within the role (``ROLE_ACTIONS``): every endpoint that a role opens asks
:meth:`TeamService.check_action`, which lets the host and platform admins through,
lets a member through for their role's actions and writes the audit log, and refuses
everyone else. Removing a member takes effect on their next request, and their open
pages hear it at once on their user channel (``staff_changed``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.broker import user_channel
from livecommerce.kit.clock import as_utc, utcnow
from livecommerce.kit.errors import Conflict, Forbidden, NotFound
from livecommerce.kit.ids import new_id, new_token
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit, runtime_of
from livecommerce.live.events import StaffInvited
from livecommerce.live.repository import live_repository
from livecommerce.live.team_repository import team_repository
from livecommerce.models import (
    Role,
    Room,
    RoomStaff,
    StaffAction,
    StaffRole,
    StaffStatus,
    User,
)
from livecommerce.worker.events import publish

# What each role may do in its room. The host (and platform admins) may do all of it.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    StaffRole.MODERATOR: frozenset(
        {"chat.moderate", "pin", "flash_sale", "lottery", "coupon", "question"}
    ),
    StaffRole.SERVICE: frozenset({"orders.view", "question", "message_buyer", "refund_request"}),
    StaffRole.SELECTION: frozenset({"showcase", "marketplace", "sample_request"}),
}
ACTIONS = frozenset().union(*ROLE_ACTIONS.values())
STAFF_CHANGED = "staff_changed"  # the user-channel message (docs/protocol.md)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_path(token: str) -> str:
    return f"/team/invite/{token}"


class NotRoomHost(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only the room's host may do this.", code="not_room_host")


class TeamService:
    # ---- permissions ---------------------------------------------------------------------

    def is_host(self, user: User, room: Room) -> bool:
        return user.role == Role.PLATFORM_ADMIN or room.host_id == user.id

    async def role_of(self, session: AsyncSession, user: User, room: Room) -> str | None:
        """The user's team role in the room; "host" for its host (or an admin)."""
        if self.is_host(user, room):
            return "host"
        return await team_repository.active_role(session, room.id, user.id)

    async def allows(self, session: AsyncSession, user: User, room: Room, action: str) -> bool:
        role = await self.role_of(session, user, room)
        return role == "host" or (role is not None and action in ROLE_ACTIONS[role])

    async def check_action(
        self,
        session: AsyncSession,
        user: User,
        room: Room,
        action: str | None,
        target: str | None = None,
        *,
        record: bool = True,
    ) -> str:
        """Let the host, an admin, or a member whose role includes ``action`` through (the
        member's action is logged unless it only reads: ``record=False``); 403 otherwise.
        ``None``: the host's own business."""
        if self.is_host(user, room):
            return "host"
        role = (
            None if action is None else await team_repository.active_role(session, room.id, user.id)
        )
        if role is None:
            raise NotRoomHost()
        if action not in ROLE_ACTIONS[role]:
            raise Forbidden(
                "Your role in this room's team does not allow this.",
                code="staff_role_forbidden",
                details={"role": role},
            )
        if not record:
            return role
        self.record(session, room.id, user.id, role, action, target)
        return role

    def record(
        self,
        session: AsyncSession,
        room_id: str,
        user_id: str,
        role: str,
        action: str,
        target: str | None = None,
    ) -> None:
        """One line of the room's audit log (``role``: a team role, "host" or "merchant")."""
        team_repository.add_action(
            session,
            StaffAction(
                id=new_id(),
                room_id=room_id,
                user_id=user_id,
                role=role,
                action=action,
                target=None if target is None else target[:64],
                created_at=utcnow(),
            ),
        )

    async def act_for_room(
        self,
        session: AsyncSession,
        user: User,
        room_id: str,
        action: str,
        target: str | None = None,
        *,
        record: bool = True,
    ) -> User:
        """Whom ``user`` acts as when working for the room: its host, once ``check_action``
        let them through (a member's action logged unless ``record=False``)."""
        room = await live_repository.get_room(session, room_id)
        if room is None:
            raise NotFound("No such room.", code="room_not_found")
        await self.check_action(session, user, room, action, target, record=record)
        if room.host_id == user.id:
            return user
        host = await session.get(User, room.host_id)
        assert host is not None
        return host

    # ---- invitations -----------------------------------------------------------------

    async def _room_of_host(self, session: AsyncSession, user: User, room_id: str) -> Room:
        room = await live_repository.get_room(session, room_id)
        if room is None:
            raise NotFound("No such room.", code="room_not_found")
        if not self.is_host(user, room):
            raise NotRoomHost()
        return room

    async def do_invite(
        self, session: AsyncSession, user: User, room_id: str, *, role: str, email: str | None
    ) -> tuple[RoomStaff, str]:
        """A new invitation and its secret token (shown once, in the link)."""
        room = await self._room_of_host(session, user, room_id)
        address = None if email is None else email.strip().lower()
        token = new_token(24)
        now = utcnow()
        days = runtime_of(session).settings.staff_invite_days
        staff = RoomStaff(
            id=new_id(),
            room_id=room.id,
            role=role,
            status=StaffStatus.INVITED,
            email=address,
            token_hash=_hash(token),
            user_id=None,
            invited_by=user.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        session.add(staff)
        await session.flush()
        if address is not None:
            invitee = await team_repository.user_id_by_email(session, address)
            await publish(
                session,
                StaffInvited(
                    staff_id=staff.id,
                    room_id=room.id,
                    room_name=room.name,
                    role=role,
                    email=address,
                    user_id=invitee,
                    path=invite_path(token),
                ),
            )
        return staff, token

    async def get_invite(self, session: AsyncSession, token: str) -> tuple[RoomStaff, Room]:
        staff = await team_repository.get_by_token_hash(session, _hash(token))
        if staff is None or staff.status == StaffStatus.REVOKED:
            raise NotFound("No such invitation.", code="staff_invite_not_found")
        room = await live_repository.get_room(session, staff.room_id)
        assert room is not None
        return staff, room

    async def do_accept(self, session: AsyncSession, user: User, token: str) -> RoomStaff:
        staff = await team_repository.get_by_token_hash(session, _hash(token), for_update=True)
        if staff is None or staff.status == StaffStatus.REVOKED:
            raise NotFound("No such invitation.", code="staff_invite_not_found")
        if staff.status == StaffStatus.ACTIVE:
            if staff.user_id == user.id:
                return staff
            raise Conflict("This invitation was accepted already.", code="staff_invite_used")
        now = utcnow()
        if as_utc(staff.expires_at) <= now:
            raise Conflict("This invitation has expired.", code="staff_invite_expired")
        if staff.email is not None and staff.email != user.email.lower():
            raise Forbidden(
                "This invitation is for another e-mail address.", code="staff_invite_other_email"
            )
        room = await live_repository.get_room(session, staff.room_id)
        assert room is not None
        if room.host_id == user.id:
            raise Conflict("A host is not staff of their own room.", code="own_room_staff")
        await team_repository.revoke_active(session, room.id, user.id, now)
        staff.status = StaffStatus.ACTIVE
        staff.user_id = user.id
        staff.accepted_at = now
        await session.flush()
        self._tell(session, staff)
        return staff

    async def do_revoke(
        self, session: AsyncSession, user: User, room_id: str, staff_id: str
    ) -> RoomStaff:
        """Withdraw an invitation or remove a member; their access ends at once."""
        room = await self._room_of_host(session, user, room_id)
        staff = await team_repository.get(session, staff_id)
        if staff is None or staff.room_id != room.id:
            raise NotFound("No such team member.", code="team_member_not_found")
        if staff.status != StaffStatus.REVOKED:
            staff.status = StaffStatus.REVOKED
            staff.revoked_at = utcnow()
            await session.flush()
            self._tell(session, staff)
        return staff

    def _tell(self, session: AsyncSession, staff: RoomStaff) -> None:
        if staff.user_id is None:
            return
        active = staff.status == StaffStatus.ACTIVE
        publish_after_commit(
            session,
            user_channel(staff.user_id),
            {
                "type": STAFF_CHANGED,
                "room_id": staff.room_id,
                "role": staff.role if active else None,
                "can_moderate": active and "chat.moderate" in ROLE_ACTIONS[staff.role],
            },
        )

    # ---- reads ---------------------------------------------------------------------------

    async def page_team(
        self, session: AsyncSession, user: User, room_id: str, page: PageRequest
    ) -> Page[RoomStaff]:
        room = await self._room_of_host(session, user, room_id)
        return await team_repository.page_of_room(session, room.id, page)

    async def page_my_rooms(
        self, session: AsyncSession, user: User, page: PageRequest
    ) -> Page[RoomStaff]:
        return await team_repository.page_of_user(session, user.id, page)

    async def works_anywhere(self, session: AsyncSession, user: User) -> bool:
        return await team_repository.has_active(session, user.id)

    async def page_log(
        self,
        session: AsyncSession,
        user: User,
        room_id: str,
        *,
        member_id: str | None,
        page: PageRequest,
    ) -> Page[StaffAction]:
        room = await self._room_of_host(session, user, room_id)
        return await team_repository.page_actions(session, room.id, member_id, page)


team_service = TeamService()
