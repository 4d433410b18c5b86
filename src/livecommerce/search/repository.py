"""The search index: documents in ``search_documents`` and the engine's full-text terms.

SQLite keeps the terms in the FTS5 table ``search_fts`` (rowid = document id), created at
start-up by :meth:`SearchRepository.ensure_engine` because no model can describe a
virtual table. PostgreSQL keeps them in ``search_documents.terms`` (a weighted
``tsvector`` of the ``simple`` configuration, GIN-indexed), which the migration creates.
Either way the engine only ever sees pre-cut terms (:mod:`livecommerce.search.terms`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from livecommerce.kit.clock import utcnow
from livecommerce.models import SearchDocument
from livecommerce.search.terms import Query, fts5_match, index_terms, tsquery_text

# The FTS5 table and the shadow tables SQLite keeps for it (not described by any model).
FTS_TABLE = "search_fts"
FTS_TABLES = frozenset(
    {
        FTS_TABLE,
        *(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config")),
    }
)


def engine_owned(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: False for SQLite's FTS5 tables, which no model
    describes, so comparing the schema with the models leaves them alone."""
    return not (type_ == "table" and name in FTS_TABLES)


# Title terms weigh more than body terms.
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0

_PG_TERMS = (
    "setweight(to_tsvector('simple', :title_terms), 'A')"
    " || setweight(to_tsvector('simple', :body_terms), 'B')"
)


@dataclass(frozen=True, slots=True)
class NewDocument:
    kind: str
    ref_id: str
    title: str
    body: str
    live: bool
    popularity: int


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    ref_id: str
    title: str
    body: str
    live: bool


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class SearchRepository:
    async def ensure_engine(self, connection: AsyncConnection) -> bool:
        """Create the SQLite FTS5 table if it is missing; True when it was just created."""
        if connection.dialect.name != "sqlite":
            return False
        exists = await connection.scalar(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": FTS_TABLE},
        )
        if exists:
            return False
        await connection.execute(
            text(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
                "title, body, tokenize = 'unicode61 remove_diacritics 0')"
            )
        )
        return True

    async def refill_engine(self, session: AsyncSession) -> int:
        """Re-derive every document's terms from its stored text (SQLite's FTS5 table)."""
        if _dialect(session) != "sqlite":
            return 0
        await session.execute(text(f"DELETE FROM {FTS_TABLE}"))
        rows = (await session.execute(select(SearchDocument))).scalars().all()
        for row in rows:
            await self._write_fts(session, row.id, row.title, row.body)
        return len(rows)

    async def upsert(self, session: AsyncSession, document: NewDocument) -> None:
        title_terms = index_terms(document.title)
        body_terms = index_terms(document.body)
        values = {
            "kind": document.kind,
            "ref_id": document.ref_id,
            "title": document.title,
            "body": document.body,
            "live": document.live,
            "popularity": document.popularity,
            "updated_at": utcnow(),
        }
        changes = {key: value for key, value in values.items() if key not in ("kind", "ref_id")}
        if _dialect(session) == "postgresql":
            terms = text(_PG_TERMS).bindparams(title_terms=title_terms, body_terms=body_terms)
            pg = postgresql_insert(SearchDocument).values(**values, terms=terms)
            await session.execute(
                pg.on_conflict_do_update(
                    index_elements=["kind", "ref_id"], set_={**changes, "terms": terms}
                ).execution_options(synchronize_session=False)
            )
            return
        lite = sqlite_insert(SearchDocument).values(**values)
        result = await session.execute(
            lite.on_conflict_do_update(index_elements=["kind", "ref_id"], set_=changes)
            .returning(SearchDocument.id)
            .execution_options(synchronize_session=False)
        )
        document_id = result.scalar_one()
        await session.execute(
            text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": document_id}
        )
        await self._write_fts(session, document_id, document.title, document.body)

    async def _write_fts(
        self, session: AsyncSession, document_id: int, title: str, body: str
    ) -> None:
        await session.execute(
            text(f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": document_id, "title": index_terms(title), "body": index_terms(body)},
        )

    async def set_popularity(
        self, session: AsyncSession, kind: str, ref_id: str, popularity: int
    ) -> None:
        """A document's followers count (the terms do not change, so the engine is left be)."""
        await session.execute(
            update(SearchDocument)
            .where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
            .values(popularity=popularity, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def popularity(self, session: AsyncSession, kind: str, ref_id: str) -> int | None:
        return await session.scalar(
            select(SearchDocument.popularity).where(
                SearchDocument.kind == kind, SearchDocument.ref_id == ref_id
            )
        )

    async def remove(self, session: AsyncSession, kind: str, ref_id: str) -> None:
        result = await session.execute(
            delete(SearchDocument)
            .where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
            .returning(SearchDocument.id)
            .execution_options(synchronize_session=False)
        )
        removed = [row[0] for row in result]
        if removed and _dialect(session) == "sqlite":
            await session.execute(
                text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": removed[0]}
            )

    async def clear(self, session: AsyncSession) -> None:
        await session.execute(delete(SearchDocument).execution_options(synchronize_session=False))
        if _dialect(session) == "sqlite":
            await session.execute(text(f"DELETE FROM {FTS_TABLE}"))

    async def search(
        self, session: AsyncSession, query: Query, *, kind: str | None, limit: int, offset: int
    ) -> list[Hit]:
        """Matches of every term, best first: rooms on air, then relevance, then followers."""
        params: dict[str, object] = {"limit": limit, "offset": offset, "kind": kind}
        kind_filter = "" if kind is None else " AND d.kind = :kind"
        if _dialect(session) == "postgresql":
            params["q"] = tsquery_text(query)
            statement = text(
                "SELECT d.kind, d.ref_id, d.title, d.body, d.live"
                " FROM search_documents AS d, to_tsquery('simple', :q) AS q"
                f" WHERE d.terms @@ q{kind_filter}"
                " ORDER BY d.live DESC, ts_rank(d.terms, q) DESC, d.popularity DESC, d.id"
                " LIMIT :limit OFFSET :offset"
            )
        else:
            params["q"] = fts5_match(query)
            statement = text(
                "SELECT d.kind, d.ref_id, d.title, d.body, d.live"
                f" FROM {FTS_TABLE} JOIN search_documents AS d ON d.id = {FTS_TABLE}.rowid"
                f" WHERE {FTS_TABLE} MATCH :q{kind_filter}"
                f" ORDER BY d.live DESC, bm25({FTS_TABLE}, {TITLE_WEIGHT}, {BODY_WEIGHT}),"
                " d.popularity DESC, d.id"
                " LIMIT :limit OFFSET :offset"
            )
        result = await session.execute(statement, params)
        return [
            Hit(
                kind=row.kind,
                ref_id=row.ref_id,
                title=row.title,
                body=row.body,
                live=bool(row.live),
            )
            for row in result
        ]

    async def count(self, session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(SearchDocument)) or 0)


search_repository = SearchRepository()
