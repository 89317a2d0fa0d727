"""The store interface every backend implements (SQLite now, Elasticsearch next).

Only contract models cross it: no cursors, rows, clients or responses leak out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from pydantic import BaseModel

from ..duplicates import Signature
from ..models import Article, EventQuery, EventRecord, Failure, IndexOutcome, SearchQuery, SearchResult, StoreStats
from ..rollup import Group, Mention, Window, recompute

# Near-copy candidates read per batch: the originals sharing the most bands.
CANDIDATES = 200
# Refresh rounds before giving up on a group that keeps changing under us (other workers).
REFRESH_ROUNDS = 5


class Fingerprint(BaseModel):
    """What decides whether a stored article is already up to date."""

    content_hash: str
    extractor_version: str | None


class IndexVersion(BaseModel):
    """One physical generation of the store: an ES index or a SQLite file."""

    name: str
    version: int
    articles: int


class Chunk(BaseModel):
    """A stable range of a generation's articles, rebuilt by one task: ``low`` inclusive,
    ``high`` exclusive, None unbounded (SQLite: rowids; Elasticsearch: ids in their sort
    order). Articles written after planning fall into some range or past the last; the
    dual write (ArticleStore.set_building) carries them, so a range need not be exact."""

    number: int
    low: int | str | None
    high: int | str | None
    articles: int


class IndexVersions(BaseModel):
    """What the read/write aliases point at now, what rollback would restore, and all kept."""

    live: IndexVersion | None
    previous: IndexVersion | None
    kept: list[IndexVersion]
    # The generation a reindex is building: every write reaches it too (see set_building).
    building: IndexVersion | None = None


class ArticleStore(ABC):
    kind: str

    @abstractmethod
    def setup(self) -> None:
        """Create tables / templates / indices if missing; safe to call every start."""

    @abstractmethod
    def fingerprints(self, ids: Sequence[str]) -> dict[str, Fingerprint]:
        """Fingerprints of those ids that are stored, to skip work on unchanged documents."""

    @abstractmethod
    def upsert(self, articles: Sequence[Article]) -> list[IndexOutcome]:
        """Insert or replace by id; an unchanged article (same content and extractor) is left alone.

        Returns one outcome per article, in order. Raises TransientStoreError when the
        store is unavailable (the caller retries) and StoreError when it refuses.
        """

    @abstractmethod
    def get(self, article_id: str) -> Article | None: ...

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    def record_failures(self, failures: Sequence[Failure]) -> None:
        """Keep inputs that could not be ingested, so `status` can show them later."""

    @abstractmethod
    def stats(self) -> StoreStats: ...

    # -- near-duplicates and the events rollup -----------------------------------------

    @abstractmethod
    def signatures_near(self, bands: Sequence[str]) -> list[Signature]:
        """Stored originals (nobody's copy) sharing the most MinHash bands with ``bands``, with their
        body: the near-copy candidates (at most CANDIDATES of them)."""

    @abstractmethod
    def copies_of(self, originals: Sequence[str]) -> dict[str, list[str]]:
        """Original id -> ids of its stored near-copies."""

    @abstractmethod
    def set_duplicate_of(self, changes: dict[str, str | None]) -> None:
        """Point stored articles at their original (None: it is an original)."""

    @abstractmethod
    def mentions(self, window: Window) -> list[Mention]:
        """The stored event mentions in a rollup window (worker.rollup.Window: a group's facts dated
        from ``window.facts_from``, and its undated ones), with their article's source and date."""

    @abstractmethod
    def records_in(self, window: Window) -> list[EventRecord]:
        """The group's stored rollup records dated from ``window.records_from`` (the seeds of an
        incremental refresh), and its undated ones when the window covers them."""

    @abstractmethod
    def replace_events(self, window: Window, records: Sequence[EventRecord]) -> None:
        """Make the group's records dated from ``window.facts_from`` (and its undated ones, when the
        window covers them) exactly ``records``; the group's earlier records are left alone."""

    @abstractmethod
    def event_groups(self) -> list[Group]:
        """Every rollup group the stored articles have mentions in (reindex recomputes them all)."""

    @abstractmethod
    def search_events(self, query: EventQuery) -> list[EventRecord]:
        """Rollup records matching the query, oldest first."""

    @abstractmethod
    def get_event(self, key: str) -> EventRecord | None: ...

    def refresh_events(self, windows: Sequence[Window]) -> int:
        """Recompute these windows' records from the stored mentions; returns how many were written.

        Converges under concurrent writers: after writing, the mentions are read again and
        the window recomputed if another batch changed them meanwhile, so the last write
        reflects what the store holds. (SqliteStore does it in one write transaction.)
        """
        return sum(self._refresh(window) for window in windows)

    def _refresh(self, window: Window) -> int:
        used: list[Mention] = []

        def mentions_of(w: Window) -> list[Mention]:
            used[:] = self.mentions(w)
            return used

        records: list[EventRecord] = []
        for _ in range(REFRESH_ROUNDS):
            window, records = recompute(window, mentions_of, self.records_in)
            self.replace_events(window, records)
            if _same_mentions(self.mentions(window), used):
                break
        return len(records)

    # -- rebuild (reindex): new generation beside the live one, then an atomic swap --------

    @abstractmethod
    def iter_articles(self, batch_size: int = 500) -> Iterator[Article]:
        """Every live article (ES: scan through the read alias), text and all."""

    @abstractmethod
    def versions(self) -> IndexVersions: ...

    @abstractmethod
    def create_next_version(self) -> IndexVersion:
        """A new empty generation built from the current mappings, numbered one above every
        kept generation (normally live + 1; after a rollback the abandoned number is skipped)."""

    @abstractmethod
    def load_into(self, target: IndexVersion, articles: Sequence[Article]) -> list[IndexOutcome]:
        """Write into a generation that is not live yet, bypassing the aliases."""

    @abstractmethod
    def count(self, target: IndexVersion) -> int: ...

    @abstractmethod
    def set_building(self, target: IndexVersion | None) -> None:
        """Mark ``target`` as the generation being built (None: no longer any). From then on
        every write (upsert, near-copy links) lands in the live generation and then in
        ``target``: writers look at the marker after their live write, so a write either
        happened before the marker (and a chunk read after it sees it) or reaches both."""

    @abstractmethod
    def plan_chunks(self, source: IndexVersion, size: int) -> list["Chunk"]:
        """``source``'s articles cut into ranges of about ``size``, covering the whole key space."""

    @abstractmethod
    def chunk_articles(self, source: IndexVersion, chunk: "Chunk") -> list[Article]:
        """The articles of ``source`` in the chunk's range, read from that generation itself."""

    @abstractmethod
    def load_chunk(self, target: IndexVersion, source: IndexVersion, articles: Sequence[Article]) -> list[IndexOutcome]:
        """Create-only load of re-extracted articles into ``target``: an id already there was put
        by a writer after the chunk was read (newer) or by an earlier run of the chunk, and is
        left alone ("unchanged"). ``duplicate_of`` is taken from ``source`` as it is now, so a
        near-copy link made while the chunk ran is not undone by the chunk's older read."""

    @abstractmethod
    def missing_from(self, target: IndexVersion, source: IndexVersion) -> list[str]:
        """Ids in ``source`` that ``target`` lacks (the final check before a swap)."""

    @abstractmethod
    def swap_to(self, target: IndexVersion) -> None:
        """Point the read and write aliases at target in one atomic step, clearing the building
        marker in the same step; the old one is kept."""

    @abstractmethod
    def rollback(self) -> IndexVersion:
        """Point the aliases back at the previous generation; StoreError when there is none."""

    @abstractmethod
    def drop_version(self, target: IndexVersion) -> None:
        """Delete a generation that is not live (a failed or abandoned rebuild)."""

    def close(self) -> None:
        """Release connections; the default has nothing to release."""

    def __enter__(self) -> "ArticleStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_unchanged(article: Article, known: Fingerprint | None, extractor_version: str | None) -> bool:
    return (
        known is not None
        and known.content_hash == article.content_hash
        and known.extractor_version == extractor_version
    )


def _same_mentions(a: Sequence[Mention], b: Sequence[Mention]) -> bool:
    def key(m: Mention) -> tuple:
        return (m.article_id, m.event.key, m.event.sentence, m.duplicate_of)

    return sorted(map(key, a)) == sorted(map(key, b))
