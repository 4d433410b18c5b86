from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column, id_column


class Role(StrEnum):
    VIEWER = "viewer"
    HOST = "host"
    MERCHANT = "merchant"
    MCN_ADMIN = "mcn_admin"
    PLATFORM_ADMIN = "platform_admin"
    SUPPLIER = "supplier"  # a factory that makes pre-sale goods (c2b production orders)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class AuthSession(Base):
    """A log-in: a browser cookie or an API bearer token. Only the token's hash is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "cookie" | "api"
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
