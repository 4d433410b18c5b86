"""Property test: no query, however long or odd, makes search fail.

Quotes, stars, NEAR, column filters, minus signs, parentheses, backslashes, SQL and
tsquery operators, NUL and 1,000-character queries each get 200 (results or none) or
a refusal with a code and a sentence: 422 for a type that does not exist, and the
request guard's 400 ``null_character`` for a NUL, as everywhere in the API."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.catalog.helpers import create_product
from tests.factories import sign_up
from tests.interactions.helpers import run_hypothesis
from tests.live.helpers import create_room, schedule, start

SYNTAX = [
    '"',
    "'",
    "''",
    "*",
    "NEAR",
    "NEAR(",
    "near/3",
    ":",
    "title:",
    "-",
    "(",
    ")",
    "\\",
    "\x00",
    "AND",
    "OR",
    "NOT",
    "^",
    "{",
    "}",
    "%",
    "_",
    ";--",
    "'; DROP TABLE products; --",
    "&",
    "|",
    "!",
    "<->",
    ":*",
    "@@",
    "$$",
    "茶",
    "龙井",
    "tea",
    " ",
    "\t",
    "\n",
    "\u200b",
    "０",
    "ﬁ",
    "Ⅻ",
    "🍵",
    "e\u0301",
    "西湖龙井明前茶",
]
fragments = st.one_of(
    st.sampled_from(SYNTAX),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
)
queries = st.lists(fragments, max_size=40).map("".join)
long_queries = st.builds(
    lambda piece, n: (piece * n)[:1000], st.sampled_from(SYNTAX), st.just(1000)
)
types = st.one_of(
    st.none(),
    st.sampled_from(["room", "product", "host", "", "video", "ROOM", "room'", "*"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
)


def _check(response: httpx.Response, q: str, type_: str | None) -> None:
    if response.status_code == 200:
        body: dict[str, Any] = response.json()
        assert isinstance(body["items"], list)
        for item in body["items"]:
            assert "".join(part["text"] for part in item["title_parts"]) == item["title"]
            assert item["kind"] in ("room", "product", "host")
        return
    error = response.json()
    assert error["message"], error
    if "\x00" in q or (type_ is not None and "\x00" in type_):
        assert (response.status_code, error["code"]) == (400, "null_character")
        return
    assert response.status_code == 422, response.text
    assert type_ not in (None, "", "room", "product", "host")
    assert error["code"] in ("unknown_search_type", "validation_failed")


async def test_any_query_gets_an_answer_never_an_error(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant", name="杭州茶行")
    await create_product(client, merchant, title="西湖龙井明前茶", category="茶叶")
    await create_product(client, merchant, title='Green tea (NEAR "Hangzhou") *50%*')
    host = await sign_up(client, "host")
    room = await create_room(client, host, name="龙井 tea room")
    live = await schedule(client, host, room["id"], title="明前茶 AND 新茶")
    await start(client, host, live["id"])

    seen: list[str] = []

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(q=st.one_of(queries, long_queries), type_=types)
    @example(q="", type_=None)
    @example(q="茶" * 1000, type_=None)
    @example(q='"龙井" NEAR(tea "x") title:* -(a OR b) \\ \x00', type_=None)
    @example(q="tea' & !room:* <-> '", type_="room")
    @example(q="龙井", type_="video")
    async def case(q: str, type_: str | None) -> None:
        seen.append(q)
        params = {"q": q} if type_ is None else {"q": q, "type": type_}
        response = await client.get("/api/v1/search", params=params)
        _check(response, q, type_)
        if response.status_code == 200 and response.json()["next_cursor"]:
            params["cursor"] = response.json()["next_cursor"]
            _check(await client.get("/api/v1/search", params=params), q, type_)

    await run_hypothesis(case)
    assert len(seen) >= 150


async def test_a_found_query_still_finds_with_syntax_around_it(client: httpx.AsyncClient) -> None:
    merchant = await sign_up(client, "merchant")
    await create_product(client, merchant, title="西湖龙井明前茶")
    for q in ('"龙井"', "龙井*", "(龙井)", "title:龙井", "-龙井", "龙井\\", "NEAR(龙井)"):
        response = await client.get("/api/v1/search", params={"q": q})
        assert response.status_code == 200, (q, response.text)
        titles = [item["title"] for item in response.json()["items"]]
        expected = ["西湖龙井明前茶"]
        if q in ("title:龙井", "NEAR(龙井)"):
            expected = []  # "title" and "near" are words too, and no text has them
        assert titles == expected, q
