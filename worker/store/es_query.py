"""SearchQuery -> Elasticsearch request body, and the response -> SearchResult. Pure.

Answers exactly what ``sqlite_query`` answers: every word required and stemmed, quoted
phrases in order, filters compared without regard to case, figure conditions held by
ONE figure (a nested query, whose inner hits name the figures that matched), facets
counting articles over the whole match, the same sort orders.
"""

from __future__ import annotations

import re
from typing import Any

from ..models import FacetCount, Figure, SearchHit, SearchQuery, SearchResult

_PHRASE_OR_WORD = re.compile(r'"([^"]+)"|(\w+)', re.UNICODE)
# A word in the headline says more than one in the standfirst, more than one in the body.
TEXT_FIELDS = ["title^3", "standfirst^2", "body"]
# One fragment per hit, as SQLite's snippet(): from the body when it matched there.
HIGHLIGHT_FIELDS = ("body", "standfirst", "title")
FRAGMENT_CHARS = 160
FACET_SIZE = 10
MATCHED_FIGURES = "matched_figures"
# The largest inner-hits page Elasticsearch allows by default (index.max_inner_result_window).
MAX_MATCHED_FIGURES = 100
PLACE_LABELS = ["GPE", "LOC"]
# What a hit is built from; the long texts and entities stay on the server.
HIT_SOURCE_EXCLUDES = ["body", "standfirst", "entities"]
NEWEST_FIRST = {"published_at": {"order": "desc", "missing": "_last"}}
# Counting stops here (track_total_hits), as in SQLite: past it the total is "at least".
COUNT_BOUND = 10_000
# from + size may not pass index.max_result_window (10,000 by default): deeper pages are
# walked with search_after (worker/store/es_pages.py), skipping in chunks this large.
MAX_WINDOW = 10_000


def terms(text: str) -> list[str]:
    """The user's words and "quoted phrases", each a string of words; syntax characters dropped."""
    found = []
    for phrase, word in _PHRASE_OR_WORD.findall(text):
        words = re.findall(r"\w+", phrase or word, re.UNICODE)
        if words:
            found.append(" ".join(words))
    return found


def _sort(words: list[str]) -> list[dict[str, Any]]:
    # Ends with the unique id: search_after needs a total order.
    return ([{"_score": "desc"}, NEWEST_FIRST] if words else [NEWEST_FIRST, {"ingested_at": "desc"}]) + [{"id": "asc"}]


def compile_query(query: SearchQuery, after: list[Any] | None = None) -> dict[str, Any]:
    """The request body for ``_search`` on the articles' read alias; with ``after`` (the sort
    values of the hit before the page), the page that follows it instead of ``from``.

    Highlights and inner hits are fetch-phase work: Elasticsearch computes them for the hits
    returned only, so they cost the page, not the matches.
    """
    words = terms(query.text)
    body: dict[str, Any] = {
        "query": {"bool": {"must": [_text(t) for t in words], "filter": filters(query)}},
        "sort": _sort(words),
        "size": query.size,
        "track_total_hits": COUNT_BOUND,
        "track_scores": bool(words),
        "_source": {"excludes": HIT_SOURCE_EXCLUDES},
    }
    if after is None:
        body["from"] = query.offset
    else:
        body["search_after"] = after
    if words:
        body["highlight"] = {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "fields": {f: {"fragment_size": FRAGMENT_CHARS, "number_of_fragments": 1} for f in HIGHLIGHT_FIELDS},
        }
    if query.facets:
        body["aggs"] = facet_aggs()
    return body


def compile_skip(query: SearchQuery, size: int, after: list[Any] | None) -> dict[str, Any]:
    """A chunk of hits to step over on the way to a deep page: sort values only (no source,
    highlights, inner hits, aggregations or total)."""
    words = terms(query.text)
    body: dict[str, Any] = {
        "query": {"bool": {"must": [_text(t) for t in words], "filter": filters(query, inner_hits=False)}},
        "sort": _sort(words), "size": size, "track_total_hits": False, "_source": False,
    }
    if after is not None:
        body["search_after"] = after
    return body


def _text(term: str) -> dict[str, Any]:
    # A phrase query of one word is a plain match; of several, the words in order.
    return {"multi_match": {"query": term, "type": "phrase", "fields": TEXT_FIELDS}}


def _same(field: str, value: str) -> dict[str, Any]:
    return {"term": {field: {"value": value, "case_insensitive": True}}}


def _nested(path: str, conditions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"nested": {"path": path, "query": {"bool": {"filter": conditions}}, **extra}}


def figure_conditions(query: SearchQuery) -> list[dict[str, Any]]:
    """Conditions on ONE figure: category, value range, qualifier (and location with them)."""
    c: list[dict[str, Any]] = []
    if query.figure_category:
        c.append({"term": {"figures.category": query.figure_category}})
    if query.figure_min is not None:
        # The upper bound of a range counts, as COALESCE(value_max, value) does in SQLite.
        c.append({"bool": {"minimum_should_match": 1, "should": [
            {"range": {"figures.value_max": {"gte": query.figure_min}}},
            {"bool": {"must_not": [{"exists": {"field": "figures.value_max"}}],
                      "filter": [{"range": {"figures.value": {"gte": query.figure_min}}}]}},
        ]}})
    if query.figure_max is not None:
        c.append({"range": {"figures.value": {"lte": query.figure_max}}})
    if query.qualifier:
        c.append({"term": {"figures.qualifier": query.qualifier}})
    if query.location and query.filters_figures:
        c.append(_same("figures.location", query.location))
    return c


def filters(query: SearchQuery, inner_hits: bool = True) -> list[dict[str, Any]]:
    """Everything but the words, as filters (no effect on the score); ``inner_hits`` names the
    figures that matched (wanted for the page, not for hits only stepped over)."""
    f: list[dict[str, Any]] = []
    if query.entity:
        f.append(_nested("entities", [{"bool": {"minimum_should_match": 1, "should": [
            _same("entities.canonical", query.entity), _same("entities.text", query.entity)]}}]))
    if query.filters_figures:
        inner = {"inner_hits": {"name": MATCHED_FIGURES, "size": MAX_MATCHED_FIGURES, "_source": False}} if inner_hits else {}
        f.append(_nested("figures", figure_conditions(query), **inner))
    elif query.location:
        f.append({"bool": {"minimum_should_match": 1, "should": [
            _nested("figures", [_same("figures.location", query.location)]),
            _nested("events", [_same("events.location", query.location)]),
            _nested("entities", [{"terms": {"entities.label": PLACE_LABELS}}, _same("entities.canonical", query.location)]),
        ]}})
    if query.event_type:
        f.append(_nested("events", [{"term": {"events.type": query.event_type}}]))
    if query.source:
        f.append(_same("source", query.source))
    if query.published_from or query.published_to:
        bounds = {}
        if query.published_from:
            bounds["gte"] = query.published_from.isoformat()
        if query.published_to:
            bounds["lte"] = query.published_to.isoformat()
        f.append({"range": {"published_at": bounds}})
    if not query.include_duplicates:
        f.append({"bool": {"must_not": {"exists": {"field": "duplicate_of"}}}})  # copies collapse into their original
    return f


def _top(field: str) -> dict[str, Any]:
    return {"terms": {"field": field, "size": FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}]}}


def _top_articles(field: str) -> dict[str, Any]:
    """Top values of a nested field counted in articles (reverse_nested), not in nested rows."""
    return {
        "terms": {"field": field, "size": FACET_SIZE, "order": [{"articles": "desc"}, {"_key": "asc"}]},
        "aggs": {"articles": {"reverse_nested": {}}},
    }


def facet_aggs() -> dict[str, Any]:
    """The facets SqliteStore returns, by the same names."""
    return {
        "source": _top("source"),
        "language": _top("language"),
        "entity": {"nested": {"path": "entities"}, "aggs": {"kept": {
            "filter": {"bool": {"must_not": [{"term": {"entities.label": "NORP"}}]}},
            "aggs": {"values": _top_articles("entities.canonical")},
        }}},
        "location": {"nested": {"path": "figures"}, "aggs": {"values": _top_articles("figures.location")}},
        "figure_category": {"nested": {"path": "figures"}, "aggs": {"values": _top_articles("figures.category")}},
        "event_type": {"nested": {"path": "events"}, "aggs": {"values": _top_articles("events.type")}},
    }


def to_result(query: SearchQuery, body: dict[str, Any]) -> SearchResult:
    ranked = bool(terms(query.text))
    hits = [_hit(h, ranked) for h in body["hits"]["hits"]]
    facets = _facets(body.get("aggregations", {})) if query.facets else {}
    total = body["hits"]["total"]
    return SearchResult(total=total["value"], total_relation=total.get("relation", "eq"), hits=hits, facets=facets)


def _hit(hit: dict[str, Any], ranked: bool) -> SearchHit:
    source = hit["_source"]
    figures = source.get("figures", [])
    matched = hit.get("inner_hits", {}).get(MATCHED_FIGURES, {}).get("hits", {}).get("hits", [])
    offsets = sorted(h["_nested"]["offset"] for h in matched)
    highlight = hit.get("highlight", {})
    fragment = next((highlight[f][0] for f in HIGHLIGHT_FIELDS if highlight.get(f)), None)
    return SearchHit(
        id=source["id"],
        score=round(hit.get("_score") or 0.0, 4) if ranked else 0.0,
        title=source["title"],
        source=source.get("source"),
        url=source.get("url"),
        published_at=source.get("published_at"),
        highlights=[fragment] if fragment else [],
        figures=[Figure.model_validate(figures[i]) for i in offsets if i < len(figures)],
        event_keys=sorted({e["key"] for e in source.get("events", [])}),
        duplicate_of=source.get("duplicate_of"),
    )


def _facets(aggs: dict[str, Any]) -> dict[str, list[FacetCount]]:
    def plain(name: str) -> list[FacetCount]:
        return [FacetCount(value=str(b["key"]), count=b["doc_count"]) for b in aggs[name]["buckets"]]

    def nested(agg: dict[str, Any]) -> list[FacetCount]:
        return [FacetCount(value=str(b["key"]), count=b["articles"]["doc_count"]) for b in agg["values"]["buckets"]]

    return {
        "source": plain("source"),
        "language": plain("language"),
        "entity": nested(aggs["entity"]["kept"]),
        "location": nested(aggs["location"]),
        "figure_category": nested(aggs["figure_category"]),
        "event_type": nested(aggs["event_type"]),
    }
