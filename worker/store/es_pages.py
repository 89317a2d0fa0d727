"""Elasticsearch pages past the from + size window: search_after in a point-in-time.

``from`` may not pass index.max_result_window (10,000), and a large ``from`` makes every
shard collect and sort from + size hits anyway. A deep page is reached by stepping over the
hits before it in chunks of sort values only (``es_query.compile_skip``), then asking for
the page after the last of them. The point-in-time keeps every step on one snapshot, so an
ingest in between cannot shift the page.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from ..models import SearchQuery
from . import es_query

KEEP_ALIVE = "1m"


def is_deep(query: SearchQuery) -> bool:
    return query.offset + query.size > es_query.MAX_WINDOW


def deep_page(client: Elasticsearch, index: str, query: SearchQuery) -> dict[str, Any]:
    """The ``_search`` response body for a page beyond the window."""
    pit = client.open_point_in_time(index=index, keep_alive=KEEP_ALIVE).body["id"]
    try:
        after, skipped = None, 0
        while skipped < query.offset:
            size = min(es_query.MAX_WINDOW, query.offset - skipped)
            body = {**es_query.compile_skip(query, size, after), "pit": {"id": pit, "keep_alive": KEEP_ALIVE}}
            response = client.search(body=body).body
            pit = response.get("pit_id", pit)
            hits = response["hits"]["hits"]
            if hits:
                after = hits[-1]["sort"]
            skipped += len(hits)
            if len(hits) < size:
                break
        body = {**es_query.compile_query(query, after=after), "pit": {"id": pit, "keep_alive": KEEP_ALIVE}}
        if skipped < query.offset:
            # Fewer matches than the offset: no hits, but the total and facets still come back.
            body.pop("search_after", None)
            body.update({"size": 0, "from": 0})
        return client.search(body=body).body
    finally:
        client.close_point_in_time(id=pit)
