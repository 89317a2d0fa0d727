"""The ingest pipeline over one batch: read -> normalize -> extract -> index -> report.

Pure orchestration over the store interface and the extractor; Celery tasks and the
CLI call it. One bad document becomes a Failure in the report, never an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import InputError, StoreError, TransientStoreError
from .extract import Extractor
from .models import Article, BatchReport, Failure, IndexOutcome, RawDocument
from .normalize import normalize
from .sources.files import read_file
from .sources.metadata import Overrides
from .store import ArticleStore
from .store.base import is_unchanged

log = logging.getLogger(__name__)


def ingest_files(
    paths: Sequence[Path], store: ArticleStore, extractor: Extractor, overrides: Overrides, max_bytes: int
) -> BatchReport:
    items = (item for path in paths for item in read_file(path, overrides, max_bytes))
    return ingest_documents(items, store, extractor)


def ingest_documents(
    items: Iterable[RawDocument | Failure], store: ArticleStore, extractor: Extractor
) -> BatchReport:
    """Index every document in ``items``; TransientStoreError propagates so the caller can retry."""
    failures: list[Failure] = []
    articles = [a for a in _normalized(items, failures)]
    fresh, duplicates = _new_work(articles, store, extractor.version)
    extracted: list[Article] = []
    for result in extractor.extract_many(fresh):
        (failures if isinstance(result, Failure) else extracted).append(result)
    indexed: list[IndexOutcome] = []
    try:
        for outcome in store.upsert(extracted):
            (duplicates if outcome.status == "unchanged" else indexed).append(outcome)
    except TransientStoreError:
        raise
    except StoreError as exc:
        failures.extend(Failure(origin=a.origin or a.id, reason=str(exc), stage="index") for a in extracted)
    _record(store, failures)
    return BatchReport(indexed=indexed, duplicates=duplicates, failed=failures)


def prepare(items: Iterable[RawDocument | Failure], extractor: Extractor) -> list[Article | Failure]:
    """Normalize and extract without indexing (what `newsworker extract` shows)."""
    failures: list[Failure] = []
    articles = list(_normalized(items, failures))
    return [*failures, *extractor.extract_many(articles)]


def _normalized(items: Iterable[RawDocument | Failure], failures: list[Failure]) -> Iterable[Article]:
    for item in items:
        if isinstance(item, Failure):
            failures.append(item)
            continue
        try:
            yield normalize(item)
        except InputError as exc:
            failures.append(Failure(origin=exc.origin, reason=exc.reason, stage="normalize"))
        except Exception as exc:  # a bug met by one document must not cost the batch; it is reported
            reason = f"unexpected error while normalizing: {type(exc).__name__}: {exc}"
            failures.append(Failure(origin=item.origin, reason=reason, stage="normalize"))


def _new_work(
    articles: list[Article], store: ArticleStore, version: str
) -> tuple[list[Article], list[IndexOutcome]]:
    """Articles that need extracting, and those already stored (or repeated in this batch)."""
    known = store.fingerprints(sorted({a.id for a in articles}))
    fresh: list[Article] = []
    duplicates: list[IndexOutcome] = []
    seen: set[str] = set()
    for article in articles:
        if article.id in seen or is_unchanged(article, known.get(article.id), version):
            duplicates.append(IndexOutcome(id=article.id, origin=article.origin, status="unchanged"))
        else:
            fresh.append(article)
        seen.add(article.id)
    return fresh, duplicates


def _record(store: ArticleStore, failures: list[Failure]) -> None:
    try:
        store.record_failures(failures)
    except StoreError as exc:
        # The failures still reach the caller in the report; only the stored copy is lost.
        log.warning("could not record %d failures in the store: %s", len(failures), exc)
