"""The store interface every backend implements (SQLite now, Elasticsearch next).

Only contract models cross it: no cursors, rows, clients or responses leak out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from pydantic import BaseModel

from ..models import Article, Failure, IndexOutcome, SearchQuery, SearchResult, StoreStats


class Fingerprint(BaseModel):
    """What decides whether a stored article is already up to date."""

    content_hash: str
    extractor_version: str | None


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
