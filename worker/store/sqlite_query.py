"""SearchQuery -> SQL for SqliteStore. Pure: builds statements and parameters, runs nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..models import SearchQuery

_PHRASE_OR_WORD = re.compile(r'"([^"]+)"|(\w+)', re.UNICODE)
# bm25 weights for title, standfirst, body: a word in the headline says more.
BM25 = "bm25(articles_fts, 8.0, 3.0, 1.0)"
SNIPPET = "snippet(articles_fts, -1, '<em>', '</em>', '…', 24)"
FACET_SIZE = 10


@dataclass
class Compiled:
    where: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, clause: str, *params: object) -> None:
        self.where.append(clause)
        self.params.extend(params)

    @property
    def clause(self) -> str:
        return " AND ".join(self.where) if self.where else "1"


def fts_expression(text: str) -> str | None:
    """User words to an FTS5 expression: every word must match, "quoted phrases" stay phrases."""
    terms = []
    for phrase, word in _PHRASE_OR_WORD.findall(text):
        words = re.findall(r"\w+", phrase or word, re.UNICODE)
        if words:
            terms.append('"' + " ".join(words) + '"')
    return " AND ".join(terms) if terms else None


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def chunks(items: list, size: int = 500) -> Iterator[list]:
    """Lists of at most ``size``: SQLite limits how many parameters one statement takes."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def figure_condition(query: SearchQuery) -> Compiled:
    """Conditions on ONE figure row: category, value range, qualifier (and location with them)."""
    c = Compiled()
    if query.figure_category:
        c.add("f.category = ?", query.figure_category)
    if query.figure_min is not None:
        c.add("COALESCE(f.value_max, f.value) >= ?", query.figure_min)
    if query.figure_max is not None:
        c.add("f.value <= ?", query.figure_max)
    if query.qualifier:
        c.add("f.qualifier = ?", query.qualifier)
    if query.location and query.filters_figures:
        c.add("f.location = ?", query.location)
    return c


def filters(query: SearchQuery) -> Compiled:
    """Everything but the words, as conditions on ``a`` (articles)."""
    c = Compiled()
    if query.entity:
        c.add(
            "a.rowid IN (SELECT article_rowid FROM entities WHERE canonical = ? OR text = ?)",
            query.entity, query.entity,
        )
    if query.filters_figures:
        fig = figure_condition(query)
        c.add(f"a.rowid IN (SELECT f.article_rowid FROM figures f WHERE {fig.clause})", *fig.params)
    elif query.location:
        c.add(
            "a.rowid IN (SELECT article_rowid FROM figures WHERE location = ?"
            " UNION SELECT article_rowid FROM events WHERE location = ?"
            " UNION SELECT article_rowid FROM entities WHERE label IN ('GPE', 'LOC') AND canonical = ?)",
            query.location, query.location, query.location,
        )
    if query.event_type:
        c.add("a.rowid IN (SELECT article_rowid FROM events WHERE type = ?)", query.event_type)
    if query.source:
        c.add("a.source = ?", query.source)
    if query.published_from:
        c.add("a.published_at >= ?", iso(query.published_from))
    if query.published_to:
        c.add("a.published_at <= ?", iso(query.published_to))
    if not query.include_duplicates:
        c.add("a.duplicate_of IS NULL")  # copies collapse into their original
    return c


def matched(query: SearchQuery) -> tuple[str, list[object], bool]:
    """SELECT of (rowid, score, snippet) for every matching article, and whether words were searched."""
    c = filters(query)
    match = fts_expression(query.text)
    if match is None:
        return (
            f"SELECT a.rowid AS rowid, 0.0 AS score, NULL AS snippet FROM articles a WHERE {c.clause}",
            c.params,
            False,
        )
    sql = (
        f"SELECT a.rowid AS rowid, -{BM25} AS score, {SNIPPET} AS snippet "
        f"FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        f"WHERE articles_fts MATCH ? AND {c.clause}"
    )
    return sql, [match, *c.params], True


def page(query: SearchQuery) -> tuple[str, list[object]]:
    base, params, ranked = matched(query)
    order = "m.score DESC, a.published_at DESC" if ranked else "a.published_at DESC, a.rowid DESC"
    sql = (
        f"WITH m AS ({base}) SELECT a.rowid, a.doc, m.score, m.snippet "
        f"FROM m JOIN articles a ON a.rowid = m.rowid ORDER BY {order} LIMIT ? OFFSET ?"
    )
    return sql, [*params, query.size, query.offset]


def total(query: SearchQuery) -> tuple[str, list[object]]:
    base, params, _ = matched(query)
    return f"WITH m AS ({base}) SELECT count(*) FROM m", params


FACETS = {
    "source": "SELECT a.source, count(*) FROM m JOIN articles a ON a.rowid = m.rowid "
    "WHERE a.source IS NOT NULL GROUP BY a.source",
    "language": "SELECT a.language, count(*) FROM m JOIN articles a ON a.rowid = m.rowid "
    "WHERE a.language IS NOT NULL GROUP BY a.language",
    "entity": "SELECT e.canonical, count(DISTINCT e.article_rowid) FROM m JOIN entities e ON e.article_rowid = m.rowid "
    "WHERE e.label NOT IN ('NORP') GROUP BY e.canonical",
    "location": "SELECT f.location, count(DISTINCT f.article_rowid) FROM m JOIN figures f ON f.article_rowid = m.rowid "
    "WHERE f.location IS NOT NULL GROUP BY f.location",
    "figure_category": "SELECT f.category, count(DISTINCT f.article_rowid) FROM m JOIN figures f "
    "ON f.article_rowid = m.rowid GROUP BY f.category",
    "event_type": "SELECT v.type, count(DISTINCT v.article_rowid) FROM m JOIN events v ON v.article_rowid = m.rowid "
    "GROUP BY v.type",
}


def facets(query: SearchQuery) -> dict[str, tuple[str, list[object]]]:
    base, params, _ = matched(query)
    return {
        name: (f"WITH m AS ({base}) {sql} ORDER BY 2 DESC, 1 LIMIT {FACET_SIZE}", params)
        for name, sql in FACETS.items()
    }


def hit_figures(query: SearchQuery, rowids: list[int]) -> tuple[str, list[object]]:
    """(article_rowid, ord) of the figures that satisfied the figure filter, for the hits shown."""
    fig = figure_condition(query)
    marks = ",".join("?" * len(rowids))
    return (
        f"SELECT f.article_rowid, f.ord FROM figures f WHERE f.article_rowid IN ({marks}) AND {fig.clause} ORDER BY f.ord",
        [*rowids, *fig.params],
    )
