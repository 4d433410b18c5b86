"""How text becomes index terms, a query becomes engine syntax, and a title marked parts."""

from __future__ import annotations

from livecommerce.search.terms import (
    MAX_QUERY_CHARS,
    Part,
    fts5_match,
    highlight,
    index_terms,
    parse_query,
    tsquery_text,
)


def test_chinese_is_indexed_as_characters_and_pairs_other_words_folded() -> None:
    assert index_terms("西湖龙井 Green TEA，２５０g") == (
        "西 湖 龙 井 西湖 湖龙 龙井 green tea 250g"
    )
    assert index_terms("茶") == "茶"
    assert index_terms("<b>'\";--*") == "b"


def test_a_query_becomes_quoted_terms_and_never_syntax() -> None:
    query = parse_query('龙井茶 "tea" NEAR(x) title:y -z \\ \x00 *')
    assert [(term.text, term.prefix) for term in query.terms] == [
        ("龙井", False),
        ("井茶", False),
        ("tea", True),
        ("near", True),
        ("x", True),
        ("title", True),
        ("y", True),
        ("z", True),
    ]
    assert fts5_match(query) == (
        '"龙井" AND "井茶" AND "tea"* AND "near"* AND "x"* AND "title"* AND "y"* AND "z"*'
    )
    assert tsquery_text(parse_query("茶 tea")) == "'茶' & 'tea':*"
    assert parse_query("  ** () \"' ").empty
    assert parse_query("").empty


def test_only_the_start_of_a_long_query_counts() -> None:
    query = parse_query("a" * MAX_QUERY_CHARS + " tea")
    assert [term.text for term in query.terms] == ["a" * 40]


def test_highlight_marks_matches_and_keeps_all_text() -> None:
    query = parse_query("龙井茶 tea")
    assert highlight("西湖龙井明前茶 Longjing Tea", query) == [
        Part("西湖", False),
        Part("龙井", True),
        Part("明前茶 Longjing ", False),
        Part("Tea", True),
    ]
    assert highlight("<b>龙井</b>", parse_query("龙井")) == [
        Part("<b>", False),
        Part("龙井", True),
        Part("</b>", False),
    ]


def test_a_snippet_is_a_window_around_the_first_match() -> None:
    text = "很长的介绍" * 30 + "龙井" + "后面的文字" * 30
    parts = highlight(text, parse_query("龙井"), window=40)
    assert parts[0] == Part("…", False)
    assert parts[-1] == Part("…", False)
    assert [part.text for part in parts if part.hit] == ["龙井"]
    assert sum(len(part.text) for part in parts[1:-1]) == 40
