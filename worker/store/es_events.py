"""ElasticsearchStore's near-duplicate lookups and events rollup: functions over a client.

The events live in ``{prefix}-events`` (read) / ``{prefix}-events-write`` (write), one
document per EventRecord with id = key (mappings/elasticsearch/component_templates/
events-mappings.json). Articles carry ``near_bands`` for the near-copy lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from ..duplicates import Signature
from ..errors import StoreError
from ..models import Article, EventMention, EventQuery, EventRecord
from ..rollup import (Group, Mention, Window, fact_of, group_of, group_text, in_window, record_group, record_search_text,
                      record_types)
from .es_errors import reason, translated
from .es_names import Layout

EXTRA_ARTICLE_FIELDS = ("near_bands",)
EXTRA_EVENT_FIELDS = ("grp", "types", "search_text")
TERMS_CHUNK = 1000
SCROLL = "5m"


def article_from_source(source: dict[str, Any]) -> Article:
    return Article.model_validate({k: v for k, v in source.items() if k not in EXTRA_ARTICLE_FIELDS})


def signatures_near(client: Elasticsearch, layout: Layout, band_list: Sequence[str], where: str,
                    limit: int) -> list[Signature]:
    """Originals sharing the most bands (each matching band adds to the score)."""
    wanted = sorted(set(band_list))
    if not wanted:
        return []
    should = [{"constant_score": {"filter": {"term": {"near_bands": b}}}} for b in wanted[:TERMS_CHUNK]]
    body = {"query": {"bool": {"should": should, "minimum_should_match": 1,
                               "must_not": {"exists": {"field": "duplicate_of"}}}},
            "size": limit, "sort": ["_score", {"id": "asc"}],
            "_source": ["id", "body", "published_at", "duplicate_of", "figures.value", "figures.field", "entities.iso_code"]}
    with translated("looking up near-copies", where):
        hits = client.search(index=layout.articles.read_alias, body=body).body["hits"]["hits"]
    return [Signature.of(s["id"], s.get("body") or "", s.get("published_at"), s.get("duplicate_of"), s.get("figures") or [],
                         s.get("entities") or []) for s in (h["_source"] for h in hits)]


def set_duplicate_of(client: Elasticsearch, layout: Layout, changes: dict[str, str | None], where: str,
                     index: str | None = None) -> set[str]:
    """Link near-copies in ``index`` (default: through the write alias); returns the indices written."""
    if not changes:
        return set()
    operations: list[dict] = []
    for id_, original in changes.items():
        operations += [{"update": {"_index": index or layout.articles.write_alias, "_id": id_}},
                       {"doc": {"duplicate_of": original}}]
    with translated(f"linking {len(changes)} near-copies", where):
        response = client.bulk(operations=operations, refresh="wait_for").body
    refused = [i["update"] for i in response["items"] if i["update"].get("error") and i["update"].get("status") != 404]
    if refused:
        raise StoreError(f"Elasticsearch refused {len(refused)} near-copy links, e.g. {refused[0].get('_id')}: "
                         f"{reason(refused[0]['error'])}")
    return {i["update"]["_index"] for i in response["items"] if i["update"].get("_index")}


def mentions(client: Elasticsearch, layout: Layout, window: Window, where: str) -> list[Mention]:
    """The stored mentions in the window, read from the articles that report them. The query
    may select a little more (an article dated in the window with an older event); the exact
    window is applied here."""
    out: list[Mention] = []
    with translated("reading event mentions", where):
        for hit in scan(client, index=layout.articles.read_alias, scroll=SCROLL,
                        _source=["id", "source", "url", "published_at", "duplicate_of", "events"],
                        query={"query": _articles_in(window)}):
            src = hit["_source"]
            for raw in src.get("events") or []:
                mention = Mention(article_id=src["id"], source=src.get("source"), url=src.get("url"),
                                  published_at=src.get("published_at"), duplicate_of=src.get("duplicate_of"),
                                  event=EventMention.model_validate(raw))
                fact = fact_of(mention)
                if fact is not None and in_window(window, fact):
                    out.append(mention)
    return out


def _articles_in(window: Window) -> dict:
    """Articles with an event at the window's place whose fact date (the event's, else the
    article's publication) may fall in the window."""
    location = window.group[2]
    place = ({"term": {"events.location": location}} if location is not None
             else {"bool": {"must_not": {"exists": {"field": "events.location"}}}})

    def events(*more: dict) -> dict:
        return {"nested": {"path": "events", "query": {"bool": {"filter": [place, *more]}}}}

    dates = _range(window.facts_from, window.until)
    should: list[dict] = []
    if window.dated and not dates:
        should.append(events())
    elif window.dated:
        should.append(events({"range": {"events.date": dates}}))
        should.append({"bool": {"filter": [events(), {"range": {"published_at": dates}}]}})
    if window.undated:
        should.append({"bool": {"filter": [events({"bool": {"must_not": {"exists": {"field": "events.date"}}}})],
                                "must_not": {"exists": {"field": "published_at"}}}})
    return {"bool": {"should": should or [{"match_none": {}}], "minimum_should_match": 1}}


def _range(since: datetime | None, until: datetime | None) -> dict[str, str]:
    return {op: value.isoformat() for op, value in (("gte", since), ("lt", until)) if value}


def _records_in(window: Window, since: datetime | None, until: datetime | None) -> dict:
    """The group's records dated in [since, until) and, when the window covers them, its undated ones."""
    dates = _range(since, until)
    should: list[dict] = []
    if window.dated:
        should.append({"range": {"date": dates}} if dates else {"exists": {"field": "date"}})
    if window.undated:
        should.append({"bool": {"must_not": {"exists": {"field": "date"}}}})
    # grp folds the place's case; a window is one group exactly, as the rollup clusters them.
    location = window.group[2]
    exact = ({"term": {"location": location}} if location is not None
             else {"bool": {"must_not": {"exists": {"field": "location"}}}})
    return {"bool": {"filter": [{"term": {"grp": group_text(window.group)}}, exact],
                     "should": should or [{"match_none": {}}], "minimum_should_match": 1}}


def records_in(client: Elasticsearch, layout: Layout, window: Window, where: str) -> list[EventRecord]:
    with translated("reading the stored events of a window", where):
        return [event_from_source(hit["_source"]) for hit in scan(
            client, index=layout.events.read_alias, scroll=SCROLL,
            query={"query": _records_in(window, window.records_from, window.until)})]


def event_groups(client: Elasticsearch, layout: Layout, where: str) -> list[Group]:
    groups: set[Group] = set()
    with translated("listing event groups", where):
        for hit in scan(client, index=layout.articles.read_alias, scroll=SCROLL, _source=["events"],
                        query={"query": {"nested": {"path": "events", "query": {"match_all": {}}}}}):
            for raw in hit["_source"].get("events") or []:
                group = group_of(EventMention.model_validate(raw))
                if group is not None:
                    groups.add(group)
    return sorted(groups, key=group_text)


def replace_events(client: Elasticsearch, layout: Layout, window: Window, records: Sequence[EventRecord],
                   where: str) -> None:
    """The window's records become exactly ``records``: stale keys deleted, the rest written by key."""
    keep = {r.key for r in records}
    stale: list[str] = []
    with translated("reading the events to replace", where):
        for hit in scan(client, index=layout.events.read_alias, scroll=SCROLL, _source=False,
                        query={"query": _records_in(window, window.facts_from, window.replace_until)}):
            if hit["_id"] not in keep:
                stale.append(hit["_id"])
    operations: list[dict] = []
    for key in stale:
        operations.append({"delete": {"_index": layout.events.write_alias, "_id": key}})
    for record in records:
        operations += [{"index": {"_index": layout.events.write_alias, "_id": record.key}}, event_source(record)]
    if not operations:
        return
    with translated(f"writing {len(records)} events", where):
        response = client.bulk(operations=operations, refresh="wait_for").body
    refused = [next(iter(i.values())) for i in response["items"]
               if next(iter(i.values())).get("error") and next(iter(i.values())).get("status") != 404]
    if refused:
        raise StoreError(f"Elasticsearch refused {len(refused)} event records, e.g. {refused[0].get('_id')}: "
                         f"{reason(refused[0]['error'])}")


def event_source(record: EventRecord) -> dict[str, Any]:
    return {
        **record.model_dump(mode="json"),
        "grp": group_text(record_group(record)),
        "types": record_types(record),
        "search_text": record_search_text(record),
    }


def event_from_source(source: dict[str, Any]) -> EventRecord:
    return EventRecord.model_validate({k: v for k, v in source.items() if k not in EXTRA_EVENT_FIELDS})


def search_events(client: Elasticsearch, layout: Layout, query: EventQuery, where: str) -> list[EventRecord]:
    filters: list[dict] = []
    if query.type:
        filters.append({"term": {"types": query.type}})
    if query.location:
        filters.append({"term": {"location": {"value": query.location, "case_insensitive": True}}})
    if query.actor:
        filters.append({"term": {"actor": {"value": query.actor, "case_insensitive": True}}})
    dates = {k: v.isoformat() for k, v in (("gte", query.since), ("lte", query.until)) if v}
    if dates:
        filters.append({"range": {"date": dates}})
    must = [{"match": {"search_text": {"query": query.text, "operator": "and"}}}] if query.text.strip() else []
    body = {"query": {"bool": {"filter": filters, "must": must}}, "size": query.size,
            "sort": [{"date": {"order": "asc", "missing": "_last"}}, {"key": "asc"}]}
    with translated("searching events", where):
        hits = client.search(index=layout.events.read_alias, body=body).body["hits"]["hits"]
    return [event_from_source(h["_source"]) for h in hits]


def get_event(client: Elasticsearch, layout: Layout, key: str, where: str) -> EventRecord | None:
    with translated(f"reading the event {key}", where):
        hits = client.search(index=layout.events.read_alias, body={"query": {"ids": {"values": [key]}}, "size": 1}).body
    found = hits["hits"]["hits"]
    return event_from_source(found[0]["_source"]) if found else None


def event_keys_of(client: Elasticsearch, layout: Layout, article_ids: Sequence[str], where: str) -> dict[str, list[str]]:
    if not article_ids:
        return {}
    body = {"query": {"terms": {"article_ids": list(article_ids)}}, "size": 1000, "_source": ["key", "article_ids"]}
    with translated("reading the events of the hits", where):
        hits = client.search(index=layout.events.read_alias, body=body).body["hits"]["hits"]
    wanted = set(article_ids)
    out: dict[str, list[str]] = {}
    for hit in hits:
        for article_id in hit["_source"].get("article_ids", []):
            if article_id in wanted:
                out.setdefault(article_id, []).append(hit["_source"]["key"])
    return {k: sorted(v) for k, v in out.items()}


def duplicates_of(client: Elasticsearch, layout: Layout, article_ids: Sequence[str], where: str) -> dict[str, list[str]]:
    if not article_ids:
        return {}
    body = {"query": {"terms": {"duplicate_of": list(article_ids)}}, "size": 1000, "_source": ["id", "duplicate_of"]}
    with translated("reading near-copies of the hits", where):
        hits = client.search(index=layout.articles.read_alias, body=body).body["hits"]["hits"]
    out: dict[str, list[str]] = {}
    for hit in hits:
        out.setdefault(hit["_source"]["duplicate_of"], []).append(hit["_source"]["id"])
    return {k: sorted(v) for k, v in out.items()}
