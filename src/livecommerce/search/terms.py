"""Words to index terms, a query to match terms, and highlighted snippets.

Text in Chinese (or Japanese, Korean) has no spaces between words, so it is indexed as
overlapping character pairs (bigrams) plus single characters: 西湖龙井 becomes 西 湖 龙 井
西湖 湖龙 龙井. A query is cut the same way: 龙井 is the pair 龙井, 龙井茶 the pairs 龙井 and
井茶, 茶 the single character. Other scripts are split into words, lower-cased (NFKC,
case-folded). The database's full-text engine (SQLite FTS5, PostgreSQL ``tsvector`` with
the ``simple`` configuration) then matches and ranks these terms; it never sees the raw
query, so no quote, operator or column filter typed by a user reaches its syntax.

Why pairs rather than a dictionary segmenter: a pair index finds every substring of two
or more characters, including names a dictionary does not know (brands, hosts' nicknames,
new product words), and the query is always cut exactly as the indexed text was, so a
word the segmenter splits one way in a title and another way in a query still matches.
It needs no dictionary to load, no thread and no per-process warm-up.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Han (with extension A and compatibility ideographs), kana and hangul: scripts written
# without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")

MAX_QUERY_CHARS = 200  # the rest of a longer query is ignored
MAX_QUERY_TERMS = 24
MAX_WORD_CHARS = 40  # longer "words" are cut (no real word is longer)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[str]:
    return _RUN.findall(normalize(text))


def _is_cjk(run: str) -> bool:
    return _IS_CJK.match(run) is not None


def index_terms(text: str) -> str:
    """The terms of ``text`` as the index stores them: space-separated."""
    terms: list[str] = []
    for run in _runs(text):
        if _is_cjk(run):
            terms.extend(run)
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.append(run[:MAX_WORD_CHARS])
    return " ".join(terms)


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool  # matches any indexed word that starts with it


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...]
    # The pieces of the query as typed (normalized), for highlighting.
    needles: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_query(raw: str) -> Query:
    """Every term must match. Latin words match as prefixes (``tea`` finds ``teapot``)."""
    terms: dict[str, Term] = {}
    needles: list[str] = []
    for run in _runs(raw[:MAX_QUERY_CHARS]):
        if _is_cjk(run):
            needles.append(run)
            pieces = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            for piece in pieces:
                terms.setdefault(piece, Term(piece, prefix=False))
        else:
            word = run[:MAX_WORD_CHARS]
            needles.append(word)
            terms.setdefault(word, Term(word, prefix=True))
        if len(terms) >= MAX_QUERY_TERMS:
            break
    return Query(tuple(list(terms.values())[:MAX_QUERY_TERMS]), tuple(dict.fromkeys(needles)))


def fts5_match(query: Query) -> str:
    """An FTS5 MATCH expression: every term quoted (so read as a string, never as syntax)."""
    parts = []
    for term in query.terms:
        quoted = '"' + term.text.replace('"', '""') + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " AND ".join(parts)


def tsquery_text(query: Query) -> str:
    """A ``to_tsquery('simple', …)`` text: every term a quoted lexeme, joined by ``&``."""
    parts = []
    for term in query.terms:
        quoted = "'" + term.text.replace("\\", "\\\\").replace("'", "''") + "'"
        parts.append(quoted + ":*" if term.prefix else quoted)
    return " & ".join(parts)


# ---- highlighting ------------------------------------------------------------------------

SNIPPET_CHARS = 80


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    hit: bool


def _hits(text: str, needles: tuple[str, ...]) -> list[tuple[int, int]]:
    """Ranges of ``text`` (code points) that match a needle, merged, in order.

    Matching is on the NFKC case-folded text; characters that change length under it
    (rare ligatures) are matched on their own and may be left unmarked.
    """
    folded = [normalize(ch) for ch in text]
    simple = "".join(ch if len(ch) == 1 else "\0" for ch in folded)
    ranges: list[tuple[int, int]] = []
    for needle in needles:
        if not needle:
            continue
        pieces = [needle]
        if _is_cjk(needle) and len(needle) > 2:
            pieces += [needle[i : i + 2] for i in range(len(needle) - 1)]
        for piece in pieces:
            start = simple.find(piece)
            while start != -1:
                ranges.append((start, start + len(piece)))
                start = simple.find(piece, start + len(piece))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, query: Query, *, window: int | None = None) -> list[Part]:
    """``text`` cut into plain and matching parts; with ``window``, a part of at most that
    many characters around the first match (with … where text was left out)."""
    hits = _hits(text, query.needles)
    start, end = 0, len(text)
    if window is not None and len(text) > window:
        first = hits[0][0] if hits else 0
        start = max(0, min(first - window // 4, len(text) - window))
        end = start + window
    parts: list[Part] = []
    position = start
    for hit_start, hit_end in hits:
        hit_start, hit_end = max(hit_start, start), min(hit_end, end)
        if hit_start >= hit_end:
            continue
        if hit_start > position:
            parts.append(Part(text[position:hit_start], False))
        parts.append(Part(text[hit_start:hit_end], True))
        position = hit_end
    if position < end:
        parts.append(Part(text[position:end], False))
    if start > 0:
        parts.insert(0, Part("…", False))
    if end < len(text):
        parts.append(Part("…", False))
    return parts
