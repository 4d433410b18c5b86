"""Who may run a room's tools: hosts and merchants, or anyone on a room's team."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from livecommerce.accounts.dependencies import CurrentUser
from livecommerce.accounts.service import account_service
from livecommerce.kit.http import DbSession
from livecommerce.live.team import team_service
from livecommerce.models import Role, User


async def _room_worker(user: CurrentUser, session: DbSession) -> User:
    """A host or merchant (as ``HostUser``), or a member of some room's team: the
    endpoint's service then checks this room and this action (``live/team.py``)."""
    if user.role in (Role.HOST, Role.MERCHANT, Role.PLATFORM_ADMIN):
        return user
    if await team_service.works_anywhere(session, user):
        return user
    account_service.check_role(user, Role.HOST, Role.MERCHANT)  # refuses: role_required
    return user


RoomWorker = Annotated[User, Depends(_room_worker)]
