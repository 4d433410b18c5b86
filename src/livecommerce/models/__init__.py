"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from livecommerce.kit.base import Base
from livecommerce.models.accounts import AuthSession, Role, User
from livecommerce.models.behaviour import BehaviourEvent, BehaviourKind
from livecommerce.models.catalog import Product, ProductImage, ProductStatus, Sku
from livecommerce.models.jobs import JobStatus, ScheduledJob
from livecommerce.models.ledger import (
    AccountKind,
    EntryKind,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    OrderRefund,
    Statement,
    StatementPayout,
)
from livecommerce.models.live import (
    Follow,
    LiveSession,
    LiveSessionStatus,
    PinEvent,
    Room,
    ShowcaseItem,
)
from livecommerce.models.mcn import (
    AffiliateConversion,
    AffiliateLink,
    Agency,
    ContractStatus,
    HostContract,
    MerchantStaff,
    Offer,
    OfferInvite,
    OfferStatus,
    OfferVisibility,
    SamplePolicy,
    SampleRequest,
    SampleStatus,
)
from livecommerce.models.media import StreamKey, StreamPublication
from livecommerce.models.moderation import BlockedWord, ChatMessage, RoomMute
from livecommerce.models.orders import Address, Order, OrderItem, OrderStatus
from livecommerce.models.payments import Payment, PaymentStatus

__all__ = [
    "AccountKind",
    "Address",
    "AffiliateConversion",
    "AffiliateLink",
    "Agency",
    "AuthSession",
    "Base",
    "BehaviourEvent",
    "BehaviourKind",
    "BlockedWord",
    "ChatMessage",
    "ContractStatus",
    "EntryKind",
    "Follow",
    "HostContract",
    "JobStatus",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "LiveSession",
    "LiveSessionStatus",
    "MerchantStaff",
    "Offer",
    "OfferInvite",
    "OfferStatus",
    "OfferVisibility",
    "Order",
    "OrderItem",
    "OrderRefund",
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
    "SamplePolicy",
    "SampleRequest",
    "SampleStatus",
    "ScheduledJob",
    "ShowcaseItem",
    "Sku",
    "StreamKey",
    "StreamPublication",
    "Statement",
    "StatementPayout",
    "User",
]
