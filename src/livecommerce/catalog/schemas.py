from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from livecommerce.kit.types import Line, Name, Paragraph, StrictInt, text_problem

ProductStatusName = Literal["draft", "on_sale", "off_sale"]

# 10 million in major units: large enough for any live-room item, small enough for
# 32-bit integer columns even when multiplied into an order line.
MAX_PRICE_CENTS = 1_000_000_000
MAX_STOCK = 1_000_000_000


def _spec(value: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, item in value.items():
        name, text = key.strip(), item.strip()
        if not name or not text:
            raise ValueError("spec names and values must not be blank")
        problem = text_problem(name) or text_problem(text)
        if problem is not None:
            raise ValueError(f"spec names and values {problem}")
        if len(name) > 30 or len(text) > 60:
            raise ValueError("spec names are at most 30 characters, values at most 60")
        cleaned[name] = text
    return cleaned


Title = Annotated[Name, Field(min_length=1, max_length=120)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
PriceCents = Annotated[StrictInt, Field(ge=1, le=MAX_PRICE_CENTS)]
Stock = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]
Spec = Annotated[dict[str, str], Field(max_length=10), AfterValidator(_spec)]


class SkuCreate(BaseModel):
    spec: Spec = Field(default_factory=dict)
    price_cents: PriceCents
    stock: Stock = 0


class SkuUpdate(BaseModel):
    spec: Spec | None = None
    price_cents: PriceCents | None = None
    stock: Stock | None = Field(default=None, description="Set the stock to this number.")
    stock_delta: StrictInt | None = Field(
        default=None,
        ge=-MAX_STOCK,
        le=MAX_STOCK,
        description="Add (or, negative, remove) this many units, atomically.",
    )

    @model_validator(mode="after")
    def _one_stock_change(self) -> SkuUpdate:
        if self.stock is not None and self.stock_delta is not None:
            raise ValueError("give either stock or stock_delta, not both")
        return self


class ProductCreate(BaseModel):
    title: Title
    description: Paragraph = Field(default="", max_length=5000)
    category: Line = Field(default="", max_length=60)
    currency: Currency | None = Field(
        default=None, description="ISO 4217 code; the platform's default when omitted."
    )
    status: ProductStatusName = "draft"
    skus: list[SkuCreate] = Field(default_factory=list, max_length=100)


class ProductUpdate(BaseModel):
    title: Title | None = None
    description: Paragraph | None = Field(default=None, max_length=5000)
    category: Line | None = Field(default=None, max_length=60)
    currency: Currency | None = None


class ProductStatusChange(BaseModel):
    status: ProductStatusName


class SkuOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    product_id: str
    spec: dict[str, str]
    price_cents: int
    stock: int
    position: int


class ImageOut(BaseModel):
    id: str
    url: str
    content_type: str
    size_bytes: int
    position: int


class ProductOut(BaseModel):
    id: str
    merchant_id: str
    title: str
    description: str
    category: str
    currency: str
    status: str
    price_cents: int | None = Field(description="The lowest SKU price; null without SKUs.")
    stock: int = Field(description="Units left over all SKUs.")
    cover_url: str | None
    images: list[ImageOut]
    skus: list[SkuOut]
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None
