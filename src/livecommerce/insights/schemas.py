from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class SessionStats(BaseModel):
    """Live numbers of one session; ``online`` comes from the realtime hub."""

    online: int
    peak_online: int
    viewers: int  # distinct signed-in users plus distinct anonymous visitors who entered
    likes: int
    chats: int
    orders: int  # paid orders attributed to the session
    gmv_cents: int  # sum of the payments of those orders


class PageEventIn(BaseModel):
    """What the live page reports itself: a share, or a click on a showcase product."""

    kind: Literal["share", "product_click"]
    product_id: str | None = Field(default=None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _click_names_a_product(self) -> PageEventIn:
        if self.kind == "product_click" and self.product_id is None:
            raise ValueError("product_click needs a product_id")
        return self
