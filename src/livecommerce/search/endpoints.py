from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from livecommerce.kit.http import DbSession
from livecommerce.kit.pagination import PageQuery
from livecommerce.search.schemas import SearchPage
from livecommerce.search.service import search_service

router = APIRouter(prefix="/api/v1", tags=["search"])


@router.get("/search")
async def search(
    session: DbSession,
    page: PageQuery,
    q: Annotated[
        str,
        Query(
            description="Words in Chinese or English; any text (only the first 200 characters"
            " count). An empty query finds nothing."
        ),
    ] = "",
    type: Annotated[
        str | None,
        Query(
            max_length=20,
            description="room, product or host; leave out for all kinds.",
            json_schema_extra={"enum": ["room", "product", "host"]},
        ),
    ] = None,
) -> SearchPage:
    """Rooms, hosts and products matching every word of ``q``, best first: rooms on air
    first, then by relevance (title words weigh more), then by followers. Each item comes
    with its title and a snippet cut into parts, the matching ones marked."""
    return await search_service.search(session, q, type, page)
