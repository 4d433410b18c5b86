"""The stock gate's durable side: a gate's size and every unit taken through it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class StockGate(Base):
    """Units on offer behind one Redis gate (a flash sale, a hot SKU)."""

    __tablename__ = "stock_gates"
    __table_args__ = (
        CheckConstraint("units_total >= 0", name="units_total_not_negative"),
        CheckConstraint("per_buyer_limit > 0", name="per_buyer_limit_positive"),
    )

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    units_total: Mapped[int] = mapped_column(Integer)
    per_buyer_limit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()


class StockGateTake(Base):
    """Units one buyer holds; the row's id is the take's token in Redis."""

    __tablename__ = "stock_gate_takes"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = id_column()
    gate_name: Mapped[str] = mapped_column(
        ForeignKey("stock_gates.name", ondelete="CASCADE"), index=True
    )
    buyer_id: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
