"""ElasticsearchStore: the production store. Articles in versioned indices behind aliases.

Reads go through ``{prefix}-articles``, writes through ``{prefix}-articles-write``
(``require_alias``: a missing alias is an error, never a stray auto-created index).
Documents are the Article's JSON, keyed by its id, so writing one again replaces it.

Refresh: a write waits for the next scheduled refresh (``refresh=wait_for``) before it
returns, so a search right after an upsert sees it. Forcing a refresh per bulk request
instead would cut a new segment for every worker batch; waiting costs at most the
refresh interval (1 s) of latency and nothing of the cluster's work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from time import time_ns

from elastic_transport import BaseNode
from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import scan

from ..errors import StoreError
from ..duplicates import Signature
from ..models import Article, EventQuery, EventRecord, Failure, IndexOutcome, SearchHit, SearchQuery, SearchResult, StoreStats
from ..rollup import Group, Mention, Window
from ..settings import DEFAULT_MAPPINGS_DIR, ElasticsearchSettings
from . import es_bulk, es_events, es_generations, es_pages, es_query
from .base import CANDIDATES, ArticleStore, Chunk, Fingerprint, IndexVersion, IndexVersions, is_unchanged
from .es_client import make_client, where
from .es_errors import reason, translated
from .es_names import Family, Layout
from .es_setup import ClusterStatus, SetupReport, install
from .es_setup import status as cluster_status
from .es_templates import load_templates

RECENT_FAILURES = 10
MGET_CHUNK = 1000
SCROLL_KEEP_ALIVE = "10m"
# Articles per page when reading a chunk or listing ids (search_after over the id keyword).
PAGE = 500


class ElasticsearchStore(ArticleStore):
    kind = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str = "newsworker",
        mappings_dir: Path = DEFAULT_MAPPINGS_DIR,
        *,
        where: str = "",
        bulk: es_bulk.BulkPolicy = es_bulk.BulkPolicy(),
    ):
        self.client = client
        self.layout = Layout(prefix)
        self.mappings_dir = Path(mappings_dir)
        self.where = where or "the configured cluster"
        self.bulk = bulk

    @classmethod
    def from_settings(
        cls, es: ElasticsearchSettings, mappings_dir: Path, node_class: type[BaseNode] | None = None
    ) -> "ElasticsearchStore":
        return cls(
            make_client(es, node_class), es.index_prefix, mappings_dir,
            where=where(es), bulk=es_bulk.BulkPolicy(retries=es.max_retries),
        )

    @property
    def articles(self) -> Family:
        return self.layout.articles

    def close(self) -> None:
        self.client.close()

    # -- interface ------------------------------------------------------------------

    def setup(self) -> None:
        self.install()

    def install(self) -> SetupReport:
        """Templates from the mapping files, then the first indices and aliases if there are none."""
        return install(self.client, self.layout, load_templates(self.mappings_dir, self.layout.prefix), self.where)

    def cluster_status(self) -> ClusterStatus:
        templates = load_templates(self.mappings_dir, self.layout.prefix)
        return cluster_status(self.client, self.layout, templates, self.where)

    def fingerprints(self, ids: Sequence[str]) -> dict[str, Fingerprint]:
        found: dict[str, Fingerprint] = {}
        ids = list(ids)
        for start in range(0, len(ids), MGET_CHUNK):
            with translated("reading fingerprints", self.where):
                docs = self.client.mget(
                    index=self.articles.read_alias, ids=ids[start : start + MGET_CHUNK],
                    source_includes=["content_hash", "extractor_version"],
                ).body["docs"]
            for doc in docs:
                if doc.get("found"):
                    src = doc["_source"]
                    found[doc["_id"]] = Fingerprint(content_hash=src["content_hash"], extractor_version=src.get("extractor_version"))
        return found

    def upsert(self, articles: Sequence[Article]) -> list[IndexOutcome]:
        """Insert or replace by id, skipping unchanged articles (one mget and one bulk per call).

        An id repeated within the call is written in a second round, after the first copy,
        so the outcomes are those of writing the articles one after another.
        """
        articles = list(articles)
        first, again = _first_occurrences(articles)
        outcomes: list[IndexOutcome | None] = [None] * len(articles)
        for i, outcome in zip(first, self._upsert_distinct([articles[i] for i in first])):
            outcomes[i] = outcome
        if again:
            for i, outcome in zip(again, self.upsert([articles[i] for i in again])):
                outcomes[i] = outcome
        return [o for o in outcomes if o is not None]

    def _upsert_distinct(self, articles: list[Article]) -> list[IndexOutcome]:
        if not articles:
            return []
        known = self.fingerprints([a.id for a in articles])
        changed = [a for a in articles if not is_unchanged(a, known.get(a.id), a.extractor_version)]
        landed: set[str] = set()
        written = es_bulk.write(
            self.client, self.articles.write_alias, changed, self.bulk, self.where,
            require_alias=True, refresh="wait_for", landed=landed,
        )
        stored = {o.id for o in written if o.status != "failed"}
        for index in self._also_to(landed) if stored else ():
            es_bulk.write(self.client, index, [a for a in changed if a.id in stored], self.bulk, self.where,
                          require_alias=False, refresh="false")
        by_id = {o.id: o for o in written}
        return [by_id.get(a.id) or IndexOutcome(id=a.id, origin=a.origin, status="unchanged") for a in articles]

    def get(self, article_id: str) -> Article | None:
        with translated(f"reading the article {article_id}", self.where):
            try:
                doc = self.client.get(index=self.articles.read_alias, id=article_id).body
            except NotFoundError as exc:
                if isinstance(exc.body, dict) and exc.body.get("found") is False:
                    return None
                raise
        return es_events.article_from_source(doc["_source"])

    def search(self, query: SearchQuery) -> SearchResult:
        with translated("searching", self.where):
            if es_pages.is_deep(query):
                body = es_pages.deep_page(self.client, self.articles.read_alias, query)
            else:
                body = self.client.search(index=self.articles.read_alias, body=es_query.compile_query(query)).body
        result = es_query.to_result(query, body)
        return result.model_copy(update={"hits": self._with_links(result.hits)})

    def _with_links(self, hits: list[SearchHit]) -> list[SearchHit]:
        """Rollup keys and near-copies of each hit."""
        ids = [h.id for h in hits]
        keys = es_events.event_keys_of(self.client, self.layout, ids, self.where)
        copies = es_events.duplicates_of(self.client, self.layout, ids, self.where)
        return [h.model_copy(update={"event_keys": keys.get(h.id, h.event_keys), "duplicates": copies.get(h.id, [])})
                for h in hits]

    # -- near-duplicates and the events rollup -----------------------------------------

    def signatures_near(self, bands: Sequence[str]) -> list[Signature]:
        return es_events.signatures_near(self.client, self.layout, bands, self.where, CANDIDATES)

    def copies_of(self, originals: Sequence[str]) -> dict[str, list[str]]:
        return es_events.duplicates_of(self.client, self.layout, originals, self.where)

    def set_duplicate_of(self, changes: dict[str, str | None]) -> None:
        landed = es_events.set_duplicate_of(self.client, self.layout, changes, self.where)
        for index in self._also_to(landed) if changes else ():
            es_events.set_duplicate_of(self.client, self.layout, changes, self.where, index=index)

    def _also_to(self, landed: set[str]) -> set[str]:
        """Where a write that went to ``landed`` must go too: the generation a reindex is building,
        and the live one if a swap moved it meanwhile. Asked after the write has returned (and
        is searchable): the reindex marks its generation before it plans the chunks, so a
        write that finds no mark was visible before any chunk was read."""
        return es_generations.write_targets(self.client, self.articles, self.where) - landed

    def mentions(self, window: Window) -> list[Mention]:
        return es_events.mentions(self.client, self.layout, window, self.where)

    def records_in(self, window: Window) -> list[EventRecord]:
        return es_events.records_in(self.client, self.layout, window, self.where)

    def replace_events(self, window: Window, records: Sequence[EventRecord]) -> None:
        es_events.replace_events(self.client, self.layout, window, records, self.where)

    def event_groups(self) -> list[Group]:
        return es_events.event_groups(self.client, self.layout, self.where)

    def search_events(self, query: EventQuery) -> list[EventRecord]:
        return es_events.search_events(self.client, self.layout, query, self.where)

    def get_event(self, key: str) -> EventRecord | None:
        return es_events.get_event(self.client, self.layout, key, self.where)

    def record_failures(self, failures: Sequence[Failure]) -> None:
        if not failures:
            return
        seq = time_ns()
        operations: list[dict] = []
        for i, f in enumerate(failures):
            operations += [{"index": {"_index": self.layout.failures}}, {**f.model_dump(mode="json"), "seq": seq + i}]
        with translated(f"recording {len(failures)} failures", self.where):
            response = self.client.bulk(operations=operations, refresh="wait_for").body
        refused = [item["index"] for item in response["items"] if item["index"].get("error")]
        if refused:
            raise StoreError(f"Elasticsearch refused {len(refused)} failure records: {reason(refused[0]['error'])}")

    def stats(self) -> StoreStats:
        aggs = {
            "entities": {"nested": {"path": "entities"}},
            "figures": {"nested": {"path": "figures"}},
            "events": {"nested": {"path": "events"}},
            "last_ingested": {"max": {"field": "ingested_at"}},
        }
        with translated("reading store statistics", self.where):
            body = self.client.search(index=self.articles.read_alias, size=0, track_total_hits=True, aggs=aggs).body
            failed = self.client.search(
                index=self.layout.failures, size=RECENT_FAILURES, track_total_hits=True,
                sort=[{"at": "desc"}, {"seq": "desc"}],
            ).body
        a = body["aggregations"]
        last = a["last_ingested"].get("value")
        return StoreStats(
            kind=self.kind,
            location=f"{self.where} {self.articles.read_alias}",
            articles=body["hits"]["total"]["value"],
            entities=a["entities"]["doc_count"],
            figures=a["figures"]["doc_count"],
            events=a["events"]["doc_count"],
            failures=failed["hits"]["total"]["value"],
            last_ingested_at=datetime.fromtimestamp(last / 1000, timezone.utc) if last is not None else None,
            recent_failures=[_failure(h["_source"]) for h in failed["hits"]["hits"]],
        )

    # -- rebuild: generations behind the aliases ------------------------------------

    def iter_articles(self, batch_size: int = 500) -> Iterator[Article]:
        """Every live article, by a scroll over the read alias (one consistent snapshot)."""
        with translated(f"scanning {self.articles.read_alias}", self.where):
            for hit in scan(self.client, index=self.articles.read_alias, size=batch_size, scroll=SCROLL_KEEP_ALIVE,
                            query={"query": {"match_all": {}}}):
                yield es_events.article_from_source(hit["_source"])

    def versions(self) -> IndexVersions:
        return es_generations.versions(self.client, self.articles, self.where)

    def create_next_version(self) -> IndexVersion:
        """A new empty index, one above every existing generation (so a rolled-back one is
        never reused), shaped by the templates as installed now."""
        return es_generations.create_next(self.client, self.articles, self.where)

    def load_into(self, target: IndexVersion, articles: Sequence[Article]) -> list[IndexOutcome]:
        """Index into the generation itself, not through the aliases; nothing is skipped as
        unchanged (the generation starts empty) and no refresh is awaited (count() refreshes)."""
        self._not_live(target, "load into")
        written = es_bulk.write(self.client, target.name, _last_copies(articles), self.bulk, self.where,
                                require_alias=False, refresh="false")
        by_id = {o.id: o for o in written}
        return [by_id[a.id] for a in articles]

    def set_building(self, target: IndexVersion | None) -> None:
        if target is not None:
            self._known(target)
        es_generations.mark_building(self.client, self.articles, self.versions().building, target, self.where)

    def plan_chunks(self, source: IndexVersion, size: int) -> list[Chunk]:
        """Ranges of ids: the first id of every ``size`` in id order (search_after, no scroll)."""
        lows: list[str] = []
        total = 0
        for page in self._id_pages(source.name, size):
            lows.append(page[0])
            total += len(page)
        return [Chunk(number=i, low=low if i else None, high=lows[i + 1] if i + 1 < len(lows) else None,
                      articles=min(size, total - i * size)) for i, low in enumerate(lows)]

    def chunk_articles(self, source: IndexVersion, chunk: Chunk) -> list[Article]:
        bounds = {k: v for k, v in (("gte", chunk.low), ("lt", chunk.high)) if v is not None}
        query = {"range": {"id": bounds}} if bounds else {"match_all": {}}
        return [es_events.article_from_source(h["_source"]) for h in self._pages(source.name, query, PAGE, None)]

    def load_chunk(self, target: IndexVersion, source: IndexVersion, articles: Sequence[Article]) -> list[IndexOutcome]:
        self._not_live(target, "load into")
        # Links as they are now, read just before writing: a link made since the chunk was read
        # is kept. (Unlike SQLite no transaction orders the two; the window is this one request.)
        links = self._links(source.name, [a.id for a in articles])
        fresh = [a.model_copy(update={"duplicate_of": links.get(a.id, a.duplicate_of)}) for a in _last_copies(articles)]
        written = es_bulk.write(self.client, target.name, fresh, self.bulk, self.where,
                                require_alias=False, refresh="false", create_only=True)
        by_id = {o.id: o for o in written}
        return [by_id[a.id] for a in articles]

    def missing_from(self, target: IndexVersion, source: IndexVersion) -> list[str]:
        with translated(f"refreshing {target.name} and {source.name}", self.where):
            self.client.indices.refresh(index=f"{target.name},{source.name}")
        have = {i for page in self._id_pages(target.name, PAGE) for i in page}
        return sorted(i for page in self._id_pages(source.name, PAGE) for i in page if i not in have)

    def _links(self, index: str, ids: list[str]) -> dict[str, str | None]:
        if not ids:
            return {}
        with translated(f"reading near-copy links in {index}", self.where):
            docs = self.client.mget(index=index, ids=ids, source_includes=["duplicate_of"]).body["docs"]
        return {d["_id"]: d["_source"].get("duplicate_of") for d in docs if d.get("found")}

    def _id_pages(self, index: str, size: int) -> Iterator[list[str]]:
        page: list[str] = []
        for hit in self._pages(index, {"match_all": {}}, size, ["id"]):
            page.append(hit["_source"]["id"])
            if len(page) == size:
                yield page
                page = []
        if page:
            yield page

    def _pages(self, index: str, query: dict, size: int, fields: list[str] | None) -> Iterator[dict]:
        """Every hit of ``query`` in id order, page by page with search_after (stable ranges,
        no scroll context held open between a worker's pages)."""
        after: list | None = None
        while True:
            body: dict = {"query": query, "size": size, "sort": [{"id": "asc"}]}
            if fields is not None:
                body["_source"] = fields
            if after is not None:
                body["search_after"] = after
            with translated(f"reading {index} in id order", self.where):
                hits = self.client.search(index=index, body=body).body["hits"]["hits"]
            yield from hits
            if len(hits) < size:
                return
            after = hits[-1]["sort"]

    def count(self, target: IndexVersion) -> int:
        self._known(target)
        return es_generations.count(self.client, target.name, self.where)

    def swap_to(self, target: IndexVersion) -> None:
        current = self.versions()
        self._known(target, current)
        if current.live is not None and current.live.name == target.name:
            return
        es_generations.swap(self.client, self.articles, current.live, target, self.where, building=current.building)

    def rollback(self) -> IndexVersion:
        current = self.versions()
        if current.previous is None:
            live = current.live.name if current.live else "nothing"
            raise StoreError(
                f"no earlier generation of {self.articles.read_alias} to roll back to (live: {live}); "
                "a reindex keeps the index it replaces until that is dropped"
            )
        es_generations.swap(self.client, self.articles, current.live, current.previous, self.where)
        return current.previous

    def drop_version(self, target: IndexVersion) -> None:
        self._known(target)
        self._not_live(target, "drop")
        building = self.versions().building
        if building is not None and building.name == target.name:
            self.set_building(None)
        es_generations.drop(self.client, target.name, self.where)

    def _known(self, target: IndexVersion, current: IndexVersions | None = None) -> None:
        if self.articles.version_of(target.name) != target.version:
            raise StoreError(f"{target.name} is not a generation of {self.articles.read_alias} "
                             f"(expected {self.articles.index(target.version)})")
        if current is not None and target.name not in {k.name for k in current.kept}:
            raise StoreError(f"the index {target.name} does not exist; `newsworker es status` lists the generations")

    def _not_live(self, target: IndexVersion, what: str) -> None:
        self._known(target)
        if target.name in es_generations.live_names(self.client, self.articles, self.where):
            raise StoreError(f"{target.name} is the live generation behind {self.articles.read_alias}; "
                             f"refusing to {what} it (swap or roll back first)")


def _first_occurrences(articles: list[Article]) -> tuple[list[int], list[int]]:
    seen: set[str] = set()
    first: list[int] = []
    again: list[int] = []
    for i, article in enumerate(articles):
        (again if article.id in seen else first).append(i)
        seen.add(article.id)
    return first, again


def _last_copies(articles: Sequence[Article]) -> list[Article]:
    """One article per id, the last given (what writing them in order would leave)."""
    return list({a.id: a for a in articles}.values())


def _failure(source: dict) -> Failure:
    return Failure.model_validate({k: v for k, v in source.items() if k != "seq"})
