from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from livecommerce.kit.pagination import Page, PageRequest, asc, desc, fetch_page
from livecommerce.models import BlockedWord, ChatMessage, LiveSession, RoomMute


class RealtimeRepository:
    # ---- chat ----------------------------------------------------------------------

    async def recent_chat(
        self, session: AsyncSession, session_id: str, limit: int
    ) -> list[ChatMessage]:
        """The last ``limit`` visible messages, oldest first."""
        result = await session.execute(
            select(ChatMessage)
            .where(ChatMessage.session_id == session_id, ChatMessage.deleted_at.is_(None))
            .order_by(ChatMessage.created_at.desc(), ChatMessage.id.desc())
            .limit(limit)
        )
        return list(reversed(result.scalars().all()))

    async def chat_page(
        self, session: AsyncSession, session_id: str, page: PageRequest
    ) -> Page[ChatMessage]:
        """Visible messages newest first by ``(created_at, id)``: each page is older."""
        query = select(ChatMessage).where(
            ChatMessage.session_id == session_id, ChatMessage.deleted_at.is_(None)
        )
        keyset = (desc(ChatMessage.created_at), desc(ChatMessage.id))
        return await fetch_page(session, query, keyset, page)

    async def get_chat_message(
        self, session: AsyncSession, session_id: str, message_id: str
    ) -> ChatMessage | None:
        result = await session.execute(
            select(ChatMessage).where(
                ChatMessage.id == message_id, ChatMessage.session_id == session_id
            )
        )
        return result.scalar_one_or_none()

    async def soft_delete_chat(self, session: AsyncSession, message_id: str, at: datetime) -> bool:
        """True when this call hid the message (it was visible)."""
        result = await session.execute(
            update(ChatMessage)
            .where(ChatMessage.id == message_id, ChatMessage.deleted_at.is_(None))
            .values(deleted_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    # ---- mutes ---------------------------------------------------------------------

    async def get_active_mute(
        self, session: AsyncSession, room_id: str, user_id: str, now: datetime
    ) -> RoomMute | None:
        result = await session.execute(
            select(RoomMute).where(
                RoomMute.room_id == room_id,
                RoomMute.user_id == user_id,
                or_(RoomMute.until.is_(None), RoomMute.until > now),
            )
        )
        return result.scalar_one_or_none()

    async def get_mute(self, session: AsyncSession, room_id: str, user_id: str) -> RoomMute | None:
        result = await session.execute(
            select(RoomMute).where(RoomMute.room_id == room_id, RoomMute.user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def list_active_mutes(
        self, session: AsyncSession, room_id: str, now: datetime, page: PageRequest
    ) -> Page[RoomMute]:
        """Oldest first by ``(created_at, id)``."""
        query = select(RoomMute).where(
            RoomMute.room_id == room_id,
            or_(RoomMute.until.is_(None), RoomMute.until > now),
        )
        return await fetch_page(session, query, (asc(RoomMute.created_at), asc(RoomMute.id)), page)

    async def delete_mute(self, session: AsyncSession, room_id: str, user_id: str) -> bool:
        result = await session.execute(
            delete(RoomMute).where(RoomMute.room_id == room_id, RoomMute.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    # ---- blocked words -------------------------------------------------------------

    async def list_blocked_words(self, session: AsyncSession, room_id: str) -> list[BlockedWord]:
        result = await session.execute(
            select(BlockedWord)
            .where(BlockedWord.room_id == room_id)
            .order_by(BlockedWord.created_at, BlockedWord.id)
        )
        return list(result.scalars())

    async def get_blocked_word(
        self, session: AsyncSession, room_id: str, word_id: str
    ) -> BlockedWord | None:
        result = await session.execute(
            select(BlockedWord).where(BlockedWord.id == word_id, BlockedWord.room_id == room_id)
        )
        return result.scalar_one_or_none()

    # ---- live numbers --------------------------------------------------------------

    async def raise_peak_online(self, session: AsyncSession, session_id: str, online: int) -> None:
        """Only ever raises the peak: ``WHERE peak_online < :n``."""
        await session.execute(
            update(LiveSession)
            .where(LiveSession.id == session_id, LiveSession.peak_online < online)
            .values(peak_online=online)
        )


realtime_repository = RealtimeRepository()
