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
# Counting stops here, as Elasticsearch's default track_total_hits does: past it the total is
# "at least" (SearchResult.total_relation "gte"), which a person reads as "10,000+ matches".
COUNT_BOUND = 10_000
# Facets count every match up to this many, else the best-ranked this many (SearchResult.facets_top):
# counting entities and figures of 200,000 matches would cost seconds.
FACET_BOUND = 1_000


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


def json_list(rowids: list[int]) -> str:
    """Rowids as one JSON array parameter (read with json_each): no limit on how many."""
    return "[" + ",".join(str(int(r)) for r in rowids) + "]"


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


def filters(query: SearchQuery, rowid: str = "a.rowid") -> Compiled:
    """Everything but the words, as conditions on the article rowid ``rowid``.

    Each is a rowid set read from an index (never the wide ``articles`` rows, which hold the
    whole document), so ranking every match of a common word costs little more than FTS5's own
    ranking. Written as ``+rowid``: a bare ``rowid IN (...)`` on the FTS5 table is handed to
    FTS5 as one MATCH per listed rowid, 100x slower than testing each match against the set.
    """
    column = f"+{rowid}"
    c = Compiled()
    if query.entity:
        c.add(
            f"{column} IN (SELECT article_rowid FROM entities WHERE canonical = ? OR text = ?)",
            query.entity, query.entity,
        )
    if query.filters_figures:
        fig = figure_condition(query)
        c.add(f"{column} IN (SELECT f.article_rowid FROM figures f WHERE {fig.clause})", *fig.params)
    elif query.location:
        c.add(
            f"{column} IN (SELECT article_rowid FROM figures WHERE location = ?"
            " UNION SELECT article_rowid FROM events WHERE location = ?"
            " UNION SELECT article_rowid FROM entities WHERE label IN ('GPE', 'LOC') AND canonical = ?)",
            query.location, query.location, query.location,
        )
    if query.event_type:
        c.add(f"{column} IN (SELECT article_rowid FROM events WHERE type = ?)", query.event_type)
    published = Compiled()
    if query.source:
        published.add("source = ?", query.source)
    if query.published_from:
        published.add("published_at >= ?", iso(query.published_from))
    if query.published_to:
        published.add("published_at <= ?", iso(query.published_to))
    if published.where:
        # Covered by articles_source_published / articles_published: rowids, no documents read.
        c.add(f"{column} IN (SELECT rowid FROM articles WHERE {published.clause})", *published.params)
    return c


def filtered(query: SearchQuery) -> bool:
    """Whether anything but the words (and the near-copy rule) narrows the matches."""
    return bool(filters(query).where)


def originals(query: SearchQuery) -> str:
    """The condition hiding near-copies (they collapse into their original), on the row of
    article_dates (d) every statement here joins anyway: a NOT IN over the copies built that
    set (10% of the store) again for each statement, ~10 ms at 200,000 articles."""
    return "1" if query.include_duplicates else "d.is_copy = 0"


# Every statement over the matches joins each one's row of article_dates (d): its date for
# the order, its near-copy flag. CROSS JOIN keeps the matches as the outer loop.
MATCHES = "articles_fts CROSS JOIN article_dates d ON d.rowid = articles_fts.rowid"
LISTED = "articles a CROSS JOIN article_dates d ON d.rowid = a.rowid"


def ranked(query: SearchQuery, limit: int) -> tuple[str, list[object]]:
    """(rowid, score) of the best ``limit`` matches, in the order the page shows them: by score,
    then newest first (from the narrow article_dates), then newest rowid; without words newest first."""
    match = fts_expression(query.text)
    if match is None:
        c = filters(query, "a.rowid")
        return (f"SELECT a.rowid, 0.0 FROM {LISTED} WHERE {c.clause} AND {originals(query)} "
                "ORDER BY a.published_at DESC, a.rowid DESC LIMIT ?", [*c.params, limit])
    c = filters(query, "articles_fts.rowid")
    # Matches are read newest rowid first (FTS5 walks its doclists backwards; LIMIT -1 keeps the
    # subquery a co-routine in that order). Articles mostly arrive in date order, so among equal
    # scores the newest come first and each later one is refused by the sorter at a glance; read
    # oldest first, each displaced the worst row kept (200,000 articles, most matches of one
    # score: the best 1,000 took 390 instead of 265 ms).
    return (f"SELECT m.rowid, m.score FROM (SELECT rowid, -{BM25} AS score FROM articles_fts "
            f"WHERE articles_fts MATCH ? AND {c.clause} ORDER BY rowid DESC LIMIT -1) m "
            f"CROSS JOIN article_dates d ON d.rowid = m.rowid WHERE {originals(query)} "
            "ORDER BY m.score DESC, d.published_at DESC, m.rowid DESC LIMIT ?",
            [match, *c.params, limit])


def ranked_by_words(query: SearchQuery, limit: int) -> tuple[str, list[object]]:
    """(rowid, score) of the best ``limit`` matches by score, then rowid, from FTS5 alone: no
    row of article_dates is read (``sqlite_rank`` settles date order and near-copies after)."""
    c = filters(query, "rowid")
    # Newest rowid first, as in ranked(): among equal scores the sorter refuses each later row at a glance.
    return (f"SELECT rowid, score FROM (SELECT rowid, -{BM25} AS score FROM articles_fts "
            f"WHERE articles_fts MATCH ? AND {c.clause} ORDER BY rowid DESC LIMIT -1) "
            "ORDER BY score DESC, rowid DESC LIMIT ?", [fts_expression(query.text), *c.params, limit])


def dates_of(rowids: list[int]) -> tuple[str, list[object]]:
    """(rowid, published_at, is_copy) of these articles."""
    return ("SELECT rowid, published_at, is_copy FROM article_dates WHERE rowid IN (SELECT value FROM json_each(?))",
            [json_list(rowids)])


NEWEST_ROWID = "SELECT coalesce(max(rowid), 0) FROM articles"


def dated_after_before(date: str, rowid: int, bound: int) -> tuple[str, list[object]]:
    """(whether some article of a smaller rowid than ``rowid`` was published after ``date``, how
    many articles were read): from articles_published (rowid is in the index), over at most
    ``bound`` + 1 of the articles dated after ``date``; past ``bound`` the caller cannot tell cheaply."""
    return ("SELECT coalesce(max(rowid < ?), 0), count(*) FROM (SELECT rowid FROM articles INDEXED BY "
            "articles_published WHERE published_at > ? LIMIT ?)", [rowid, date, bound + 1])


# The index of the near-copies alone (mappings/sqlite.sql).
COPIES_INDEX = "article_dates_copies"
HAS_COPIES_INDEX = f"SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = '{COPIES_INDEX}'"


def bounded_count(query: SearchQuery, bound: int) -> tuple[str, list[object]]:
    """How many articles match, counting no further than ``bound`` (the caller passes its bound + 1)."""
    match = fts_expression(query.text)
    if match is None:
        c = filters(query, "a.rowid")
        return (f"SELECT count(*) FROM (SELECT 1 FROM {LISTED} WHERE {c.clause} AND {originals(query)} LIMIT ?)",
                [*c.params, bound])
    c = filters(query, "articles_fts.rowid")
    return (f"SELECT count(*) FROM (SELECT 1 FROM {MATCHES} WHERE articles_fts MATCH ? AND {c.clause} "
            f"AND {originals(query)} LIMIT ?)", [match, *c.params, bound])


def counted_with_snippets(query: SearchQuery, bound: int, page: list[int]) -> tuple[str, list[object]]:
    """(how many articles match the words, up to ``bound``; a JSON object rowid -> snippet of the
    ``page`` rows met on the way), in one walk of the matches, newest rowid first, where each is
    tested against the small index of near-copies (the store must have it), not its row of
    article_dates. A snippet computed here spares the page a MATCH of its own per row, which
    costs FTS5 more than the snippet (10 rows: 0.5 of 0.85 ms)."""
    c = filters(query, "articles_fts.rowid")
    # A LEFT JOIN finding no copy: a little cheaper than NOT EXISTS, a subprogram per match.
    copies = "" if query.include_duplicates else (
        f"LEFT JOIN article_dates c INDEXED BY {COPIES_INDEX} ON c.is_copy = 1 AND c.rowid = articles_fts.rowid ")
    original = "1" if query.include_duplicates else "c.rowid IS NULL"
    return ("SELECT count(*), json_group_object(rowid, snip) FILTER (WHERE snip IS NOT NULL) FROM ("
            f"SELECT articles_fts.rowid AS rowid, CASE WHEN articles_fts.rowid IN (SELECT value FROM json_each(?)) "
            f"THEN {SNIPPET} END AS snip FROM articles_fts {copies}WHERE articles_fts MATCH ? AND {c.clause} "
            f"AND {original} ORDER BY articles_fts.rowid DESC LIMIT ?)",
            [json_list(page), fts_expression(query.text), *c.params, bound])


def page_docs(rowids: list[int]) -> tuple[str, list[object]]:
    """(rowid, doc, NULL) of these articles."""
    return f"SELECT rowid, doc, NULL FROM articles WHERE rowid IN ({','.join('?' * len(rowids))})", list(rowids)


def page_rows(query: SearchQuery, rowids: list[int]) -> tuple[str, list[object]]:
    """(rowid, doc, snippet) of the page's articles only: snippet() is the costly part of a hit."""
    marks = ",".join("?" * len(rowids))
    match = fts_expression(query.text)
    if match is None:
        return page_docs(rowids)
    # Here the rowid list IS handed to FTS5: one lookup per page row.
    return (f"SELECT a.rowid, a.doc, s.snippet FROM articles a JOIN (SELECT rowid, {SNIPPET} AS snippet "
            f"FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN ({marks})) s ON s.rowid = a.rowid",
            [match, *rowids])


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


def facets(rowids: list[int]) -> dict[str, tuple[str, list[object]]]:
    """Facet counts over these articles (the matches, or the best-ranked of them), each through
    the per-article indexes (entities_article, figures_article, events_article)."""
    listed = json_list(rowids)
    return {
        name: (f"WITH m(rowid) AS (SELECT value FROM json_each(?)) {sql} ORDER BY 2 DESC, 1 LIMIT {FACET_SIZE}",
               [listed])
        for name, sql in FACETS.items()
    }


def hit_figures(query: SearchQuery, rowids: list[int]) -> tuple[str, list[object]]:
    """(article_rowid, ord) of the figures that satisfied the figure filter, for the hits shown."""
    fig = figure_condition(query)
    marks = ",".join("?" * len(rowids))
    return (
        # By article: the category index would read every figure of the category.
        f"SELECT f.article_rowid, f.ord FROM figures f INDEXED BY figures_article "
        f"WHERE f.article_rowid IN ({marks}) AND {fig.clause} ORDER BY f.ord",
        [*rowids, *fig.params],
    )
