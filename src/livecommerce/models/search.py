from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from livecommerce.kit.base import Base, created_at_column


class SearchKind(StrEnum):
    ROOM = "room"
    HOST = "host"
    PRODUCT = "product"


class SearchDocument(Base):
    """One searchable thing (a room, a host, a product on sale) as the search index sees it.

    ``title`` and ``body`` are the plain text shown and highlighted in results; the terms
    are derived from them. On PostgreSQL ``terms`` holds the weighted ``tsvector`` (GIN
    index); on SQLite it stays empty and the FTS5 table ``search_fts`` (rowid = ``id``)
    holds the terms instead (see docs/architecture.md, "Search").
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_search_documents_terms", "terms", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    ref_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # A room (or host) with a session on air ranks above the others.
    live: Mapped[bool] = mapped_column(default=False)
    # Followers of a room or host; breaks ties between equally relevant documents.
    popularity: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    updated_at: Mapped[datetime] = created_at_column()
