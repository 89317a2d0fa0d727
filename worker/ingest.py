"""The ingest pipeline over one batch: read -> normalize -> extract -> index -> report.

Pure orchestration over the store interface and the extractor; Celery tasks and the
CLI call it. One bad document becomes a Failure in the report, never an exception.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path

from .errors import InputError, StoreError, TransientStoreError
from .extract import Extractor
from .models import Article, BatchReport, Failure, IndexOutcome, RawDocument, Skipped
from .normalize import normalize
from .pages.fetch import PageReader, read_pages
from .pages.ledger import PageLedger
from .pages.requests import PageRequest
from .sources.files import read_file
from .sources.metadata import Overrides
from .store import ArticleStore
from .event_index import link_duplicates, windows_of
from .store.base import is_unchanged

log = logging.getLogger(__name__)


DOCUMENTS_PER_BATCH = 100

# Where the documents of a batch past its first ``batch_size`` go instead: (path, first, stop)
# record positions of one file, sent to another task.
HandOff = Callable[[Path, int, int], None]


def ingest_files(
    paths: Sequence[Path], store: ArticleStore, extractor: Extractor, overrides: Overrides, max_bytes: int,
    *, roots: Sequence[Path], settle_seconds: float = 0.0, batch_size: int = DOCUMENTS_PER_BATCH,
    records: range | None = None, hand_off: HandOff | None = None,
) -> BatchReport:
    """Index the files at ``paths``; each must lie (links resolved) under one of ``roots`` and
    be unchanged for ``settle_seconds``. ``records``: of a single file, only those positions.

    Documents are indexed ``batch_size`` at a time. With ``hand_off``, only the first
    ``batch_size`` are indexed here and the rest are handed off by record range, so no task
    grows with the file (a 20,000-line NDJSON file is 200 tasks, not one of ten minutes).
    """
    numbered = ((path, position, item) for path in paths
                for position, item in _positions(read_file(path, overrides, max_bytes, roots=roots,
                                                           settle_seconds=settle_seconds, records=records), records))
    if hand_off is None:
        return ingest_documents((item for _, _, item in numbered), store, extractor, batch_size)
    mine: list[RawDocument | Failure] = []
    rest: dict[Path, list[int]] = {}
    for path, position, item in numbered:
        if len(mine) < batch_size:
            mine.append(item)
        else:
            rest.setdefault(path, []).append(position)
    report = ingest_documents(mine, store, extractor, batch_size)
    for path, positions in rest.items():
        for start in range(0, len(positions), batch_size):
            piece = positions[start : start + batch_size]
            hand_off(path, piece[0], piece[-1] + 1)
    return report


def ingest_pages(
    requests: Sequence[PageRequest], reader: PageReader, store: ArticleStore, extractor: Extractor,
    overrides: Overrides, *, ledger: PageLedger | None = None, batch_size: int = DOCUMENTS_PER_BATCH,
) -> BatchReport:
    """Fetch and index the pages of ``requests``; each failure names its URL. ``overrides`` fill
    what a page does not say; with ``ledger``, the requests' claims are settled after indexing."""
    retry_later: list[PageRequest] = []
    documents = (overrides.apply(d) if isinstance(d, RawDocument) else d for d in read_pages(requests, reader, retry_later))
    report = ingest_documents(documents, store, extractor, batch_size)
    if ledger is not None:
        ledger.settle(requests, retry_later)
    return report


class IndexPagesHere:
    """A sitemap poll's pages fetched and indexed in this process (no broker), claims settled."""

    def __init__(self, reader: PageReader, store: ArticleStore, extractor: Extractor, ledger: PageLedger, batch_size: int):
        self.reader, self.store, self.extractor, self.ledger, self.batch_size = reader, store, extractor, ledger, batch_size

    def __call__(self, requests: list[PageRequest]) -> BatchReport:
        return ingest_pages(requests, self.reader, self.store, self.extractor, Overrides(), ledger=self.ledger,
                            batch_size=self.batch_size)


def _positions(items: Iterable[RawDocument | Failure], records: range | None) -> Iterable[tuple[int, RawDocument | Failure]]:
    # A file that fails whole yields one Failure: it holds the first position of its range.
    return enumerate(items, start=records.start if records is not None else 0)


def ingest_documents(
    items: Iterable[RawDocument | Failure | Skipped], store: ArticleStore, extractor: Extractor,
    batch_size: int = DOCUMENTS_PER_BATCH,
) -> BatchReport:
    """Index every document in ``items``, ``batch_size`` at a time (near-copy linking, memory and
    a store transaction are per batch); TransientStoreError propagates so the caller can retry.
    Skipped inputs are only counted, and take no room in a batch."""
    report = BatchReport()
    skipped: Counter[str] = Counter()
    for batch in batched(_counting_skips(items, skipped), batch_size):
        report = report.merge(_ingest_batch(batch, store, extractor))
    return report.model_copy(update={"skipped": dict(skipped)}) if skipped else report


def _counting_skips(items: Iterable[RawDocument | Failure | Skipped], skipped: Counter[str]) -> Iterable[RawDocument | Failure]:
    for item in items:
        if isinstance(item, Skipped):
            skipped[item.reason] += 1
        else:
            yield item


def batched(items: Iterable, size: int) -> Iterable[list]:
    """``items`` in lists of ``size`` (itertools.batched is Python 3.12)."""
    iterator = iter(items)
    while piece := list(islice(iterator, size)):
        yield piece


def _ingest_batch(items: Sequence[RawDocument | Failure], store: ArticleStore, extractor: Extractor) -> BatchReport:
    failures: list[Failure] = []
    articles = [a for a in _normalized(items, failures)]
    fresh, duplicates, replaced = _new_work(articles, store, extractor.version)
    extracted: list[Article] = []
    for result in extractor.extract_many(fresh):
        (failures if isinstance(result, Failure) else extracted).append(result)
    indexed: list[IndexOutcome] = []
    try:
        for outcome in index_articles(store, extracted, replaced):
            if outcome.status == "failed":
                failures.append(Failure(origin=outcome.origin or outcome.id, reason=outcome.reason, stage="index"))
            else:
                (duplicates if outcome.status == "unchanged" else indexed).append(outcome)
    except TransientStoreError:
        raise
    except StoreError as exc:
        failures.extend(Failure(origin=a.origin or a.id, reason=str(exc), stage="index") for a in extracted)
    _record(store, failures)
    return BatchReport(indexed=indexed, duplicates=duplicates, failed=failures)


def index_articles(store: ArticleStore, articles: list[Article], replaced: list[Article]) -> list[IndexOutcome]:
    """Link near-copies, upsert, then bring copies and the events rollup up to date.

    ``replaced`` are the stored versions being overwritten: the groups their events were in
    are recomputed too, so an event an update moved elsewhere leaves its old record.
    """
    linked, repointed = link_duplicates(store, articles)
    outcomes = store.upsert(linked)
    written = {o.id for o in outcomes if o.status in ("created", "updated")}
    _follow_up(store, repointed, [a for a in linked if a.id in written], replaced)
    return outcomes


def _follow_up(store: ArticleStore, repointed: dict[str, str | None], indexed: list[Article], replaced: list[Article]) -> None:
    """Copies that found an older original, and the events the batch touched. The articles are
    stored already; a failure here is logged and healed by the next batch of the same groups
    or by reindex."""
    try:
        store.set_duplicate_of(repointed)
        store.refresh_events(windows_of([*indexed, *replaced]))
    except TransientStoreError:
        raise
    except StoreError as exc:
        log.warning("articles indexed, but updating copies and events failed: %s", exc)


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
) -> tuple[list[Article], list[IndexOutcome], list[Article]]:
    """Articles that need extracting, those already stored (or repeated in this batch), and the
    stored versions of every known one (their events' groups are recomputed after the batch)."""
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
    # Stored versions the fresh ones replace, and those of unchanged ones: a batch redelivered
    # after a worker died between the upsert and the events refresh heals its events here.
    replaced = [old for a in articles if a.id in known and (old := store.get(a.id)) is not None]
    return fresh, duplicates, list({a.id: a for a in replaced}.values())


def _record(store: ArticleStore, failures: list[Failure]) -> None:
    try:
        store.record_failures(failures)
    except StoreError as exc:
        # The failures still reach the caller in the report; only the stored copy is lost.
        log.warning("could not record %d failures in the store: %s", len(failures), exc)
