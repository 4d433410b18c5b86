"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from livecommerce.kit.base import Base
from livecommerce.models.accounts import AuthSession, Role, User
from livecommerce.models.behaviour import BehaviourEvent, BehaviourKind
from livecommerce.models.catalog import Product, ProductImage, ProductStatus, Sku
from livecommerce.models.jobs import JobStatus, ScheduledJob
from livecommerce.models.live import (
    Follow,
    LiveSession,
    LiveSessionStatus,
    PinEvent,
    Room,
    ShowcaseItem,
)
from livecommerce.models.moderation import BlockedWord, ChatMessage, RoomMute
from livecommerce.models.orders import Address, Order, OrderItem, OrderStatus
from livecommerce.models.payments import Payment, PaymentStatus

__all__ = [
    "Address",
    "AuthSession",
    "Base",
    "BehaviourEvent",
    "BehaviourKind",
    "BlockedWord",
    "ChatMessage",
    "Follow",
    "JobStatus",
    "LiveSession",
    "LiveSessionStatus",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Payment",
    "PaymentStatus",
    "PinEvent",
    "Product",
    "ProductImage",
    "ProductStatus",
    "Role",
    "Room",
    "RoomMute",
    "ScheduledJob",
    "ShowcaseItem",
    "Sku",
    "User",
]
