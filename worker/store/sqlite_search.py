"""SqliteStore's search, page first: plain functions over a connection.

Rank and cut first (rowids and scores only, through indexes; words alone by FTS5 alone, see
``sqlite_rank``), then snippets, documents, matched figures and links for the page's articles
alone; the total from a count that stops at COUNT_BOUND (and makes the page's snippets on its
way); facets over the matches when they are few, else over the best-ranked FACET_BOUND. The
statements are built by ``sqlite_query`` (pure).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from ..models import Article, FacetCount, SearchHit, SearchQuery, SearchResult
from . import sqlite_events as ev
from . import sqlite_query as q
from . import sqlite_rank as rank

# How many index entries _in_date_order reads at most.
DATED_AFTER_BOUND = 20_000


def search(conn: sqlite3.Connection, query: SearchQuery) -> SearchResult:
    # Ranking the best FACET_BOUND costs about what ranking the page does (matches are read
    # newest first, see sqlite_query.ranked), and when fewer match it spares the count, which
    # would build a filter's rowid set a second time (200,000 articles, --figure with
    # --location: 276 ms of 560). Facets want those rows anyway. Words alone keep only the
    # page: their count is a cheap walk of the doclist, and keeping 1,000 costs the 1% word
    # about 0.8 ms more than it saves.
    wide = query.facets or q.filtered(query)
    wanted = max(query.offset + query.size, q.FACET_BOUND) if wide else query.offset + query.size
    rows = None if wide else _ranked_by_words(conn, query, wanted)
    if rows is None:
        rows = _ranked(conn, query, wanted)
    page = [rowid for rowid, _score in rows[query.offset : query.offset + query.size]]
    total, relation, snippets = _total(conn, query, len(rows), wanted, page)
    scores = dict(rows)
    hits = _hits(conn, query, page, scores, snippets)
    facets, facets_top = {}, None
    if query.facets:
        counted = [rowid for rowid, _score in rows[: q.FACET_BOUND]]
        facets = _facets(conn, counted)
        facets_top = len(counted) if total > len(counted) else None
    return SearchResult(total=total, total_relation=relation, hits=hits, facets=facets, facets_top=facets_top)


def _ranked(conn: sqlite3.Connection, query: SearchQuery, wanted: int) -> list[tuple[int, float]]:
    """The best ``wanted`` (rowid, score), in the order the page shows them."""
    if wanted == 0:
        return []
    sql, params = q.ranked(query, wanted)
    return conn.execute(sql, params).fetchall()


def _ranked_by_words(conn: sqlite3.Connection, query: SearchQuery, wanted: int) -> list[tuple[int, float]] | None:
    """The best ``wanted`` of words alone, ranked by FTS5 alone and dated for the rows read only
    (see sqlite_rank); None when only ranking every match with its date can tell.

    At 200,000 articles the date and near-copy flag of every match cost about as much as FTS5's
    own ranking ("helicopter", 2,037 matches: 4.9 ms ranked with them against 2.7 bare).
    """
    if wanted == 0 or q.fts_expression(query.text) is None:
        return None
    # Room for the near-copies set aside (10% of a store of wire copies) and one row past the cut.
    limit = wanted + wanted // 4 + 8
    while True:
        read = conn.execute(*q.ranked_by_words(query, limit)).fetchall()
        dated = {rowid: (published, copy) for rowid, published, copy in conn.execute(*q.dates_of([r for r, _ in read]))}
        cut = rank.cut(read, dated, wanted, limit, query.include_duplicates)
        if cut.more:
            limit *= 4
            continue
        if cut.exact or (cut.check and not _in_date_order(conn, *cut.check)):
            return None
        return cut.rows


def _in_date_order(conn: sqlite3.Connection, rowid: int, date: str) -> bool:
    """Whether no article before ``rowid`` was published after ``date``, read from the index
    entries of the articles dated after it, up to DATED_AFTER_BOUND (about 2 ms): a cut that
    deep (the 1% word's page 100: 100,000 articles back) is left to the exact ranking."""
    if conn.execute(q.NEWEST_ROWID).fetchone()[0] - rowid > DATED_AFTER_BOUND:
        return False  # in date order, the articles dated after it are about those after rowid: too many to read
    before, read = conn.execute(*q.dated_after_before(date, rowid, DATED_AFTER_BOUND)).fetchone()
    return not before and read <= DATED_AFTER_BOUND


def _total(conn: sqlite3.Connection, query: SearchQuery, ranked: int, wanted: int,
           page: list[int]) -> tuple[int, str, dict[int, str]]:
    """(total, "eq" | "gte", snippets of the page met while counting): exact when the ranking
    already saw every match, else counted up to COUNT_BOUND."""
    if ranked < wanted:
        return ranked, "eq", {}
    snippets: dict[int, str] = {}
    if q.fts_expression(query.text) is not None and conn.execute(q.HAS_COPIES_INDEX).fetchone() is not None:
        counted, found = conn.execute(*q.counted_with_snippets(query, q.COUNT_BOUND + 1, page)).fetchone()
        snippets = {int(rowid): snippet for rowid, snippet in json.loads(found or "{}").items()}
    else:  # a store opened read-only, written before the index of copies
        counted = conn.execute(*q.bounded_count(query, q.COUNT_BOUND + 1)).fetchone()[0]
    return ((q.COUNT_BOUND, "gte") if counted > q.COUNT_BOUND else (counted, "eq")) + (snippets,)


def _hits(conn: sqlite3.Connection, query: SearchQuery, page: list[int], scores: dict[int, float],
          snippets: dict[int, str]) -> list[SearchHit]:
    if not page:
        return []
    met = all(rowid in snippets for rowid in page)  # while counting: the documents alone are left to read
    sql, params = q.page_docs(page) if met else q.page_rows(query, page)
    found = {rowid: (doc, snippets.get(rowid, snippet)) for rowid, doc, snippet in conn.execute(sql, params)}
    shown = _matched_figures(conn, query, page) if query.filters_figures else {}
    hits = [_hit(Article.model_validate_json(found[r][0]), scores[r], found[r][1], shown.get(r, []))
            for r in page if r in found]
    return _with_links(conn, hits)


def _matched_figures(conn: sqlite3.Connection, query: SearchQuery, rowids: list[int]) -> dict[int, list[int]]:
    sql, params = q.hit_figures(query, rowids)
    shown: dict[int, list[int]] = defaultdict(list)
    for rowid, ord_ in conn.execute(sql, params):
        shown[rowid].append(ord_)
    return shown


def _with_links(conn: sqlite3.Connection, hits: list[SearchHit]) -> list[SearchHit]:
    """Rollup keys and near-copies of each hit."""
    ids = [h.id for h in hits]
    keys, copies = ev.event_keys_of(conn, ids), ev.duplicates_of(conn, ids)
    return [h.model_copy(update={"event_keys": keys.get(h.id, h.event_keys), "duplicates": copies.get(h.id, [])})
            for h in hits]


def _facets(conn: sqlite3.Connection, rowids: list[int]) -> dict[str, list[FacetCount]]:
    if not rowids:
        return {name: [] for name in q.FACETS}
    return {
        name: [FacetCount(value=str(v), count=n) for v, n in conn.execute(sql, params)]
        for name, (sql, params) in q.facets(rowids).items()
    }


def _hit(article: Article, score: float, snippet: str | None, figure_ords: list[int]) -> SearchHit:
    return SearchHit(
        id=article.id,
        score=round(score, 4),
        title=article.title,
        source=article.source,
        url=article.url,
        published_at=article.published_at,
        highlights=[snippet] if snippet else [],
        figures=[article.figures[i] for i in figure_ords if i < len(article.figures)],
        event_keys=sorted({e.key for e in article.events}),
        duplicate_of=article.duplicate_of,
    )
