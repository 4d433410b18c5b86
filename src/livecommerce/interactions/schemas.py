"""Request and response shapes of flash sales, lotteries and questions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from livecommerce.kit.types import Name, Paragraph, RequiredParagraph, StrictInt

MAX_UNITS = 1_000_000


class ServerTime(BaseModel):
    server_now: datetime


# ---- flash sales ---------------------------------------------------------------------


class FlashSaleCreate(BaseModel):
    product_id: str = Field(min_length=1, max_length=32)
    sku_id: str = Field(min_length=1, max_length=32)
    price_cents: StrictInt = Field(ge=0, le=100_000_000)
    units: StrictInt = Field(ge=1, le=MAX_UNITS)
    per_buyer_limit: StrictInt = Field(default=1, ge=1, le=99)
    starts_in_s: StrictInt = Field(default=0, ge=0, le=24 * 3600, description="0: start now")
    duration_s: StrictInt = Field(default=300, ge=5, le=24 * 3600)
    fans_early_s: StrictInt = Field(
        default=0,
        ge=0,
        le=3600,
        description="Fan-club members may buy this many seconds before the start (粉丝优先购).",
    )
    fans_min_level: StrictInt = Field(
        default=1, ge=1, le=20, description="The lowest fan-club level with early access."
    )


class FlashSaleBuy(BaseModel):
    quantity: StrictInt = Field(default=1, ge=1, le=99)
    address_id: str | None = Field(
        default=None, min_length=1, max_length=32, description="None: the default address"
    )


FlashSaleStatus = Literal["scheduled", "running", "sold_out", "ended"]


class FlashSaleOut(BaseModel):
    id: str
    session_id: str
    product_id: str
    sku_id: str
    title: str
    spec: dict[str, Any]
    image_url: str | None
    currency: str
    price_cents: int
    original_price_cents: int
    units_total: int
    units_left: int
    per_buyer_limit: int
    fans_early_s: int = 0
    fans_min_level: int = 1
    starts_at: datetime
    ends_at: datetime
    sold_out_at: datetime | None
    status: FlashSaleStatus
    server_now: datetime


class FlashSaleResults(BaseModel):
    sale_id: str
    units_total: int
    units_sold: int
    units_awaiting_payment: int
    units_left: int
    units_returned: int
    buyers: int
    gmv_cents: int | None = Field(
        description="Paid GMV; null for a team member (money is the host's and admins')."
    )
    currency: str
    starts_at: datetime
    sold_out_at: datetime | None
    sell_out_seconds: float | None


class FlashSaleList(BaseModel):
    items: list[FlashSaleOut]
    next_cursor: str | None = None


# ---- lotteries -----------------------------------------------------------------------


class LotteryConditions(BaseModel):
    follow: bool = Field(default=False, description="Entrants follow the host's room.")
    keyword: Name | None = Field(
        default=None,
        min_length=1,
        max_length=30,
        description="Entrants sent a chat message containing this after the launch.",
    )
    watch_minutes: StrictInt | None = Field(
        default=None, ge=1, le=600, description="Entrants watched at least this long."
    )
    fan_club: bool = Field(default=False, description="Members of the room's fan club only.")
    fan_level: StrictInt | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Fan-club members at this level or above (implies `fan_club`).",
    )


class LotteryCreate(BaseModel):
    title: Annotated[Name, Field(min_length=1, max_length=120)]
    prize_kind: Literal["product", "coupon"]
    prize_sku_id: str | None = Field(default=None, min_length=1, max_length=32)
    prize_coupon_id: str | None = Field(default=None, min_length=1, max_length=32)
    winners: StrictInt = Field(ge=1, le=1000)
    conditions: LotteryConditions = Field(default_factory=LotteryConditions)
    countdown_s: StrictInt = Field(default=180, ge=5, le=24 * 3600)


class LotteryWinner(BaseModel):
    user_id: str
    display_name: str  # masked: "小*"


class LotteryYou(BaseModel):
    entered: bool
    won: bool
    prize_order_id: str | None
    missing: list[str]  # conditions not yet met: "follow", "keyword", "watch_minutes"


class LotteryOut(BaseModel):
    id: str
    session_id: str
    title: str
    prize_kind: str
    prize_title: str
    prize_sku_id: str | None
    prize_coupon_id: str | None
    winners_count: int
    conditions: LotteryConditions
    status: str
    seed_hash: str
    seed: str | None  # revealed at the draw
    draw_at: datetime
    drawn_at: datetime | None
    entrants_count: int
    entrants: list[str] | None  # user ids, revealed at the draw
    winners: list[LotteryWinner] | None
    algorithm: str
    server_now: datetime
    you: LotteryYou | None = None


class LotteryList(BaseModel):
    items: list[LotteryOut]
    next_cursor: str | None = None


class PrizeOut(BaseModel):
    """A lottery the viewer won, with where it was drawn."""

    lottery: LotteryOut
    session_title: str
    room_name: str


class PrizeList(BaseModel):
    items: list[PrizeOut]
    next_cursor: str | None = None


class LotteryClaim(BaseModel):
    address_id: str | None = Field(default=None, min_length=1, max_length=32)


# ---- questions -----------------------------------------------------------------------


class QuestionCreate(BaseModel):
    text: Annotated[RequiredParagraph, Field(min_length=1, max_length=500)]
    product_id: str | None = Field(default=None, min_length=1, max_length=32)


class QuestionAnswer(BaseModel):
    answer: Paragraph | None = Field(default=None, max_length=2000)
    product_id: str | None = Field(default=None, min_length=1, max_length=32)


class QuestionRank(BaseModel):
    rank: StrictInt | None = Field(ge=0, le=10_000)


class QuestionOut(BaseModel):
    id: str
    session_id: str
    product_id: str | None
    user_id: str
    display_name: str
    text: str
    upvotes: int
    host_rank: int | None
    status: str
    answer: str | None
    created_at: datetime
    answered_at: datetime | None
    voted: bool | None = None


class QuestionList(BaseModel):
    items: list[QuestionOut]
    next_cursor: str | None = None


class FaqEntry(BaseModel):
    question_id: str
    question: str
    answer: str
    upvotes: int
    answered_at: datetime | None


class FaqOut(BaseModel):
    product_id: str
    items: list[FaqEntry]


class InteractionsOut(BaseModel):
    """What a viewer needs on entering a room: the sale, the lottery, the questions."""

    server_now: datetime
    flash_sale: FlashSaleOut | None
    lottery: LotteryOut | None
    questions: list[QuestionOut]
