from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class SearchType(StrEnum):
    ROOM = "room"
    PRODUCT = "product"
    HOST = "host"


class TextPart(BaseModel):
    """A piece of a highlighted text: plain text, marked when it matches the query.

    Parts are text, never markup: show each with ``textContent`` (or escape it) and wrap
    the ones with ``hit`` in a ``<mark>``."""

    text: str
    hit: bool


class SearchItem(BaseModel):
    kind: SearchType
    id: str = Field(description="The room's, host's (user's) or product's id.")
    title: str
    title_parts: list[TextPart] = Field(description="The title, cut into matching parts.")
    snippet_parts: list[TextPart] = Field(
        description="Up to 80 characters of the rest of the text around the first match."
    )
    url: str | None = Field(description="The page to open: the room's session, or the product.")
    image_url: str | None
    # rooms and hosts
    room_id: str | None = None
    live: bool = Field(default=False, description="A session of the room is on air now.")
    session_id: str | None = Field(
        default=None, description="The session on air, else the next or latest one."
    )
    session_title: str | None = None
    online: int | None = Field(default=None, description="Viewers connected now (on air).")
    followers: int | None = None
    # products
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    currency: str | None = None
    merchant_name: str | None = None


class SearchPage(BaseModel):
    query: str = Field(description="The query as it was understood (normalized, cut).")
    items: list[SearchItem]
    next_cursor: str | None


class ReindexResult(BaseModel):
    rooms: int
    hosts: int
    products: int
