from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from livecommerce.fans.schemas import FanBadge
from livecommerce.kit.types import Name, StrictInt


class ChatOut(BaseModel):
    """One chat line, as sent in ``chat`` messages and listed by the REST API."""

    id: str
    user_id: str
    display_name: str
    text: str
    at: datetime
    badge: FanBadge | None = Field(
        default=None, description="The sender's fan-club badge (灯牌) when it was sent."
    )


class ChatList(BaseModel):
    items: list[ChatOut]
    next_cursor: str | None = None


class MuteIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=32)
    minutes: StrictInt | None = Field(
        default=None, ge=1, le=366 * 24 * 60, description="null: until the mute is lifted."
    )


class MuteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    room_id: str
    user_id: str
    until: datetime | None
    created_by: str
    created_at: datetime


class MuteList(BaseModel):
    items: list[MuteOut]
    next_cursor: str | None = None


BlockedWordText = Annotated[Name, Field(min_length=1, max_length=60)]


class BlockedWordIn(BaseModel):
    word: BlockedWordText


class BlockedWordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    room_id: str
    word: str
    created_at: datetime


class BlockedWordList(BaseModel):
    items: list[BlockedWordOut]


class FloodCounters(BaseModel):
    chat_sampled_out: int  # chat over the room's budget: seen by its sender only
    chat_skipped_for_viewers: int  # deliveries skipped by the per-viewer cap
