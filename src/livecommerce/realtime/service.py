"""Chat, moderation and the room snapshot sent to a viewer when it connects."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.accounts.service import account_service
from livecommerce.fans.schemas import FanBadge
from livecommerce.fans.service import fan_service
from livecommerce.insights.service import insights_service
from livecommerce.kit.broker import live_channel
from livecommerce.kit.clock import utcnow
from livecommerce.kit.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from livecommerce.kit.ids import new_id
from livecommerce.kit.pagination import Page, PageRequest
from livecommerce.kit.runtime import publish_after_commit, runtime_of
from livecommerce.live.service import live_service
from livecommerce.models import (
    BehaviourKind,
    BlockedWord,
    ChatMessage,
    LiveSession,
    LiveSessionStatus,
    Room,
    RoomMute,
    User,
)
from livecommerce.notifications.service import notification_service
from livecommerce.realtime.events import ChatDeleted, ChatSent, ServerMessage
from livecommerce.realtime.hub import ChatSampledOut
from livecommerce.realtime.repository import realtime_repository
from livecommerce.realtime.schemas import ChatOut
from livecommerce.worker.events import publish

RECENT_CHAT = 30
CHAT_RATE_WINDOW_S = 10
MAX_BLOCKED_WORDS = 500
_CLOSED_STATUSES = {LiveSessionStatus.ENDED.value, LiveSessionStatus.CANCELLED.value}
_WHITESPACE_CONTROLS = {"\t", "\n", "\r", "\x0b", "\x0c"}


def chat_out(message: ChatMessage) -> ChatOut:
    return ChatOut(
        id=message.id,
        user_id=message.user_id,
        display_name=message.display_name,
        text=message.text,
        at=message.created_at,
        badge=None if message.badge is None else FanBadge.model_validate(message.badge),
    )


def clean_chat_text(text: str) -> str:
    """One line of text: control characters become spaces or go, ends are trimmed."""
    kept = []
    for char in text:
        if unicodedata.category(char) == "Cc":
            if char in _WHITESPACE_CONTROLS:
                kept.append(" ")
            continue
        kept.append(char)
    return "".join(kept).strip()


class RealtimeService:
    # ---- connecting ------------------------------------------------------------------

    async def get_live_session(self, session: AsyncSession, session_id: str) -> LiveSession:
        return await live_service.get_session(session, session_id)

    async def get_moderated_session(
        self, session: AsyncSession, user: User, session_id: str
    ) -> LiveSession:
        """The session, if ``user`` is its room's host or an admin (else 403)."""
        live_session = await live_service.get_session(session, session_id)
        await live_service.check_can_moderate(
            session, user, live_session, "chat.moderate", record=False
        )
        return live_session

    async def build_room_snapshot(
        self, session: AsyncSession, live_session: LiveSession
    ) -> dict[str, Any]:
        """The part of ``hello`` every viewer of the session shares."""
        recent = await realtime_repository.recent_chat(session, live_session.id, RECENT_CHAT)
        pinned = await live_service.get_pinned_item_out(session, live_session)
        return {
            "session_id": live_session.id,
            "status": live_session.status,
            "pinned": None if pinned is None else pinned.model_dump(mode="json"),
            "recent_chat": [chat_out(message).model_dump(mode="json") for message in recent],
        }

    async def build_you(
        self, session: AsyncSession, live_session: LiveSession, user: User
    ) -> dict[str, Any]:
        """The viewer's own part of ``hello`` (logged-in viewers only)."""
        return {
            "user_id": user.id,
            "display_name": user.display_name,
            "can_moderate": await live_service.can_moderate(session, user, live_session),
            "unread": await notification_service.unread_count_of(session, user.id),
        }

    def hello(
        self,
        snapshot: dict[str, Any],
        *,
        you: dict[str, Any] | None,
        online: int,
        likes: int,
    ) -> dict[str, Any]:
        return {
            "type": ServerMessage.HELLO.value,
            "session_id": snapshot["session_id"],
            "you": you,
            "status": snapshot["status"],
            "pinned": snapshot["pinned"],
            "online": online,
            "likes": likes,
            "recent_chat": snapshot["recent_chat"],
        }

    # ---- chat ------------------------------------------------------------------------

    async def do_send_chat(
        self, session: AsyncSession, *, session_id: str, user: User | None, text: str
    ) -> ChatMessage:
        """Check, store and (after commit) broadcast one chat message."""
        if user is None:
            raise NotAuthenticated("Log in to chat.", code="not_authenticated")
        settings = runtime_of(session).settings
        text = clean_chat_text(text)
        if not text:
            raise ValidationFailed("A chat message cannot be empty.", code="bad_message")
        if len(text) > settings.chat_max_length:
            raise ValidationFailed(
                f"A chat message is at most {settings.chat_max_length} characters.",
                code="too_long",
            )
        await self.check_chat_rate(session, session_id=session_id, user_id=user.id)
        # The socket may be old: the account could have been closed or renamed since.
        user = await account_service.get_user(session, user.id)
        if not user.is_active:
            raise NotAuthenticated("This account is closed.", code="not_authenticated")
        live_session = await live_service.get_session(session, session_id)
        if live_session.status in _CLOSED_STATUSES:
            raise Conflict("This live session has ended; chat is closed.", code="session_ended")
        now = utcnow()
        mute = await realtime_repository.get_active_mute(
            session, live_session.room_id, user.id, now
        )
        if mute is not None:
            raise Forbidden("You are muted in this room.", code="muted")
        folded = text.casefold()
        for blocked in await realtime_repository.list_blocked_words(session, live_session.room_id):
            if blocked.word in folded:
                raise ValidationFailed(
                    "Your message contains a word this room does not allow.", code="blocked_word"
                )
        message = ChatMessage(
            id=new_id(),
            session_id=live_session.id,
            user_id=user.id,
            display_name=user.display_name,
            text=text,
            created_at=now,
        )
        badge = await fan_service.get_badge(session, live_session.room_id, user.id)
        if badge is not None:
            message.badge = badge.model_dump(mode="json")
        hub = runtime_of(session).extras.get("hub")
        if hub is not None and not await hub.admit_chat(live_session.id):
            # The room is flooding: the sender sees its message, the room does not.
            raise ChatSampledOut(
                {"type": ServerMessage.CHAT.value, **chat_out(message).model_dump(mode="json")}
            )
        session.add(message)
        await insights_service.do_record(
            session,
            BehaviourKind.CHAT,
            user_id=user.id,
            room_id=live_session.room_id,
            session_id=live_session.id,
        )
        await publish(
            session,
            ChatSent(
                message_id=message.id,
                session_id=live_session.id,
                room_id=live_session.room_id,
                user_id=user.id,
                at=now,
            ),
        )
        publish_after_commit(
            session,
            live_channel(live_session.id),
            {"type": ServerMessage.CHAT.value, **chat_out(message).model_dump(mode="json")},
        )
        return message

    async def check_chat_rate(
        self, session: AsyncSession, *, session_id: str, user_id: str
    ) -> None:
        """Fixed 10-second windows counted in the broker, so every app worker shares them."""
        runtime = runtime_of(session)
        window = int(utcnow().timestamp()) // CHAT_RATE_WINDOW_S
        sent = await runtime.broker.incr(
            f"chat_rate:{session_id}:{user_id}:{window}", expire_s=2 * CHAT_RATE_WINDOW_S
        )
        limit = runtime.settings.chat_rate_per_10s
        if sent > limit:
            raise RateLimited(
                f"Slow down: at most {limit} messages every {CHAT_RATE_WINDOW_S} seconds.",
                code="rate_limited",
            )

    async def get_recent_chat(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[ChatMessage]:
        """A page of chat, oldest first within the page; ``next_cursor`` leads further back."""
        live_session = await live_service.get_session(session, session_id)
        found = await realtime_repository.chat_page(
            session, live_session.id, page.or_default(RECENT_CHAT)
        )
        return Page(items=found.items[::-1], next_cursor=found.next_cursor)

    # ---- moderation --------------------------------------------------------------------

    async def do_delete_chat(
        self, session: AsyncSession, user: User, session_id: str, message_id: str
    ) -> None:
        live_session = await live_service.get_session(session, session_id)
        await live_service.check_can_moderate(
            session, user, live_session, "chat.moderate", message_id
        )
        message = await realtime_repository.get_chat_message(session, live_session.id, message_id)
        if message is None:
            raise NotFound("No such chat message in this session.", code="chat_message_not_found")
        now = utcnow()
        if await realtime_repository.soft_delete_chat(session, message.id, now):
            await publish(
                session,
                ChatDeleted(
                    message_id=message.id,
                    session_id=live_session.id,
                    room_id=live_session.room_id,
                    user_id=message.user_id,
                    sent_at=message.created_at,
                    at=now,
                ),
            )
            publish_after_commit(
                session,
                live_channel(live_session.id),
                {"type": ServerMessage.CHAT_DELETED.value, "id": message.id},
            )

    async def check_can_moderate_room(
        self,
        session: AsyncSession,
        user: User,
        room_id: str,
        target: str | None = None,
        *,
        record: bool = True,
    ) -> Room:
        """The room's host, a platform admin or its 场控 (whose changes are logged)."""
        room = await live_service.get_room(session, room_id)
        await live_service.check_room_action(
            session, user, room, "chat.moderate", target, record=record
        )
        return room

    async def list_mutes(
        self, session: AsyncSession, user: User, room_id: str, page: PageRequest
    ) -> Page[RoomMute]:
        room = await self.check_can_moderate_room(session, user, room_id, record=False)
        return await realtime_repository.list_active_mutes(session, room.id, utcnow(), page)

    async def do_mute(
        self,
        session: AsyncSession,
        user: User,
        room_id: str,
        *,
        target_user_id: str,
        minutes: int | None,
    ) -> tuple[RoomMute, bool]:
        """Mute or re-mute; returns the mute and whether it is new."""
        room = await self.check_can_moderate_room(session, user, room_id, target_user_id)
        target = await account_service.get_user(session, target_user_id)
        if target.id == room.host_id:
            raise ValidationFailed("The room's host cannot be muted.", code="cannot_mute_host")
        now = utcnow()
        until = None if minutes is None else now + timedelta(minutes=minutes)
        mute = await realtime_repository.get_mute(session, room.id, target.id)
        if mute is None:
            mute = RoomMute(
                id=new_id(),
                room_id=room.id,
                user_id=target.id,
                until=until,
                created_by=user.id,
                created_at=now,
            )
            try:
                async with session.begin_nested():
                    session.add(mute)
            except IntegrityError:  # muted by someone else a moment ago: update theirs
                mute = await realtime_repository.get_mute(session, room.id, target.id)
                if mute is None:
                    raise
            else:
                return mute, True
        mute.until = until
        mute.created_by = user.id
        mute.created_at = now
        await session.flush()
        return mute, False

    async def do_unmute(
        self, session: AsyncSession, user: User, room_id: str, target_user_id: str
    ) -> None:
        room = await self.check_can_moderate_room(session, user, room_id, target_user_id)
        if not await realtime_repository.delete_mute(session, room.id, target_user_id):
            raise NotFound("That user is not muted in this room.", code="mute_not_found")

    async def list_blocked_words(
        self, session: AsyncSession, user: User, room_id: str
    ) -> list[BlockedWord]:
        room = await self.check_can_moderate_room(session, user, room_id, record=False)
        return await realtime_repository.list_blocked_words(session, room.id)

    async def do_add_blocked_word(
        self, session: AsyncSession, user: User, room_id: str, word: str
    ) -> BlockedWord:
        room = await self.check_can_moderate_room(session, user, room_id)
        folded = word.strip().casefold()
        existing = await realtime_repository.list_blocked_words(session, room.id)
        if any(blocked.word == folded for blocked in existing):
            raise Conflict("This word is already blocked.", code="blocked_word_exists")
        if len(existing) >= MAX_BLOCKED_WORDS:
            raise Conflict(
                f"A room can block at most {MAX_BLOCKED_WORDS} words.",
                code="too_many_blocked_words",
            )
        blocked = BlockedWord(id=new_id(), room_id=room.id, word=folded, created_at=utcnow())
        try:
            async with session.begin_nested():
                session.add(blocked)
        except IntegrityError as exc:
            raise Conflict("This word is already blocked.", code="blocked_word_exists") from exc
        return blocked

    async def do_remove_blocked_word(
        self, session: AsyncSession, user: User, room_id: str, word_id: str
    ) -> None:
        room = await self.check_can_moderate_room(session, user, room_id)
        blocked = await realtime_repository.get_blocked_word(session, room.id, word_id)
        if blocked is None:
            raise NotFound("No such blocked word in this room.", code="blocked_word_not_found")
        await session.delete(blocked)


realtime_service = RealtimeService()
