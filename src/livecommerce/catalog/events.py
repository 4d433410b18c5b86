"""Facts about products, published by the catalog service (see docs/architecture.md)."""

from __future__ import annotations

from livecommerce.kit.events import DomainEvent


class ProductChanged(DomainEvent):
    """A product was created, or its text or status changed."""

    name = "catalog.product_changed"
    product_id: str
