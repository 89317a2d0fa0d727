"""Deep Elasticsearch pages: the search_after walk, against a recording stand-in client
(osmem-server has no point-in-time; tests/test_store_contract.py runs the walk on a real cluster)."""

from __future__ import annotations

from types import SimpleNamespace

from worker.models import SearchQuery
from worker.store import es_pages, es_query


class Recording:
    """Answers ``search`` from a list of sort values, as a cluster sorted that way would."""

    def __init__(self, matches: int):
        self.sorts = [[float(-n), f"id-{n:03d}"] for n in range(matches)]
        self.bodies: list[dict] = []
        self.closed: list[str] = []

    def open_point_in_time(self, index, keep_alive):
        return SimpleNamespace(body={"id": "pit-1"})

    def close_point_in_time(self, id):
        self.closed.append(id)

    def search(self, body):
        self.bodies.append(body)
        start = self.sorts.index(body["search_after"]) + 1 if "search_after" in body else body.get("from", 0)
        hits = [{"sort": s, "_source": {"id": s[1], "title": s[1]}} for s in self.sorts[start : start + body["size"]]]
        return SimpleNamespace(body={"pit_id": "pit-1", "hits": {"hits": hits, "total": {"value": len(self.sorts), "relation": "eq"}}})


def test_a_deep_page_steps_over_the_hits_before_it_in_chunks_and_asks_for_the_page_after(monkeypatch):
    monkeypatch.setattr(es_query, "MAX_WINDOW", 4)
    client = Recording(20)
    query = SearchQuery(text="troops", offset=10, size=3, figure_category="troops")
    assert es_pages.is_deep(query)
    body = es_pages.deep_page(client, "articles", query)
    assert [h["_source"]["id"] for h in body["hits"]["hits"]] == ["id-010", "id-011", "id-012"]
    skips, page = client.bodies[:-1], client.bodies[-1]
    assert [s["size"] for s in skips] == [4, 4, 2]
    for skip in skips:  # stepping over costs sort values only
        assert skip["_source"] is False and skip["track_total_hits"] is False
        assert "highlight" not in skip and "aggs" not in skip and "inner_hits" not in str(skip)
    assert "from" not in page and page["search_after"] == client.sorts[9]
    assert "highlight" in page and "inner_hits" in str(page) and page["track_total_hits"] == es_query.COUNT_BOUND
    assert client.closed == ["pit-1"]


def test_an_offset_past_every_match_returns_no_hits_but_the_total(monkeypatch):
    monkeypatch.setattr(es_query, "MAX_WINDOW", 4)
    client = Recording(6)
    body = es_pages.deep_page(client, "articles", SearchQuery(text="troops", offset=10, size=3))
    assert body["hits"]["hits"] == [] and body["hits"]["total"]["value"] == 6
    assert client.closed == ["pit-1"]


def test_shallow_pages_use_from_with_a_bounded_total():
    body = es_query.compile_query(SearchQuery(text="troops", offset=20))
    assert body["from"] == 20 and "search_after" not in body
    assert body["track_total_hits"] == es_query.COUNT_BOUND
    assert not es_pages.is_deep(SearchQuery(offset=es_query.MAX_WINDOW - 10, size=10))
