"""Bulk indexing of articles with per-document accounting: nothing is dropped unreported.

Every document comes back as created, updated or failed (with the reason Elasticsearch
gave). Documents rejected as busy (429/503) are sent again with exponential backoff by
the client's streaming bulk helper; any still rejected when the retries run out make
the whole call a TransientStoreError, so the task retries the batch later (re-sending
what did get in is harmless: writes are by id).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from elasticsearch import Elasticsearch
from elasticsearch.helpers import streaming_bulk

from ..duplicates import bands
from ..errors import StoreError, TransientStoreError
from ..models import Article, IndexOutcome
from .es_errors import reason, translated

# Per-document statuses worth sending again: queue full, shard briefly unavailable.
RETRY_STATUS = (429, 503)
NAMED_IDS = 5

Refresh = Literal["wait_for", "true", "false"]


@dataclass(frozen=True)
class BulkPolicy:
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 30.0
    chunk_size: int = 500


def write(
    client: Elasticsearch,
    index: str,
    articles: Sequence[Article],
    policy: BulkPolicy,
    where: str,
    *,
    require_alias: bool,
    refresh: Refresh,
    create_only: bool = False,
    landed: set[str] | None = None,
) -> list[IndexOutcome]:
    """Index ``articles`` (distinct ids) into ``index`` by id; one outcome per article, in order.

    ``create_only``: an id already in the index is left as it is ("unchanged"). ``landed``
    collects the concrete indices the documents went to (``index`` may be an alias)."""
    if not articles:
        return []
    results: dict[str, dict[str, Any]] = {}
    with translated(f"bulk indexing {len(articles)} documents into {index}", where):
        for _ok, item in streaming_bulk(
            client,
            _actions(index, articles, "create" if create_only else "index"),
            chunk_size=policy.chunk_size,
            max_retries=policy.retries,
            initial_backoff=policy.backoff,
            max_backoff=policy.max_backoff,
            retry_on_status=RETRY_STATUS,
            raise_on_error=False,
            raise_on_exception=False,
            require_alias=require_alias,
            refresh=refresh,
        ):
            info = next(iter(item.values()))
            _refuse_whole_request(info, index)
            results[str(info.get("_id"))] = info
            if landed is not None and info.get("_index"):
                landed.add(info["_index"])
    return outcomes(articles, results, policy.retries)


def _actions(index: str, articles: Sequence[Article], op: str) -> Iterator[dict[str, Any]]:
    for article in articles:
        yield {"_op_type": op, "_index": index, "_id": article.id, "_source": article_source(article)}


def article_source(article: Article) -> dict[str, Any]:
    """The Article's JSON plus its MinHash bands, so near-copies are found by a terms query."""
    return {**article.model_dump(mode="json"), "near_bands": bands(article.body)}


def _refuse_whole_request(info: dict[str, Any], index: str) -> None:
    """A request the cluster refused as a whole (not per document) is the store's error, not the documents'."""
    exc = info.get("exception")
    if exc is not None and info.get("status") not in RETRY_STATUS:
        raise StoreError(f"Elasticsearch refused a bulk request to {index}: {info.get('status')} {reason(getattr(exc, 'body', None) or str(exc))}")


def outcomes(articles: Sequence[Article], results: dict[str, dict[str, Any]], retries: int) -> list[IndexOutcome]:
    """Bulk item results -> outcomes in the articles' order. Pure."""
    busy = [a.id for a in articles if results.get(a.id, {}).get("status") in RETRY_STATUS]
    if busy:
        raise TransientStoreError(
            f"Elasticsearch still rejected {len(busy)} of {len(articles)} documents as busy after {retries} retries "
            f"(e.g. {', '.join(busy[:NAMED_IDS])}); the batch is retried later"
        )
    return [_outcome(a, results.get(a.id)) for a in articles]


def _outcome(article: Article, info: dict[str, Any] | None) -> IndexOutcome:
    if info is None:
        return IndexOutcome(id=article.id, origin=article.origin, status="failed",
                            reason=f"document {article.id}: the bulk response did not mention it; ingest it again")
    status = info.get("status", 500)
    if status == 409:  # create-only: the id is there already (a newer write, or an earlier run)
        return IndexOutcome(id=article.id, origin=article.origin, status="unchanged")
    if 200 <= status < 300:
        return IndexOutcome(id=article.id, origin=article.origin, status="created" if info.get("result") == "created" else "updated")
    return IndexOutcome(id=article.id, origin=article.origin, status="failed",
                        reason=f"document {article.id} refused by Elasticsearch ({status}): {reason(info.get('error'))}")
