"""Reindex: rebuild the store as a new generation from its own stored text, then swap.

Plain functions over the ArticleStore interface and the Extractor, so the same steps run
on SQLite and Elasticsearch, in a worker or in the CLI's process. The caller holds the
lock (worker.locks); ``before_swap`` lets it check the lock is still its own at the one
step that cannot be undone by dropping the new generation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Literal

from pydantic import BaseModel

from ..errors import ReindexVerifyError, StoreError
from ..extract import Extractor
from ..models import Article, Failure, IndexOutcome
from ..rollup import whole_groups
from ..store.base import ArticleStore, IndexVersion, IndexVersions

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# Refused documents named in the error; the rest are counted.
REFUSED_SHOWN = 5

Progress = Callable[[int, int], None]


class ReindexPlan(BaseModel):
    """What a reindex would do now (``--dry-run``); nothing is changed to make it."""

    store: str
    live: IndexVersion | None
    previous: IndexVersion | None
    kept: list[IndexVersion]
    next_version: int | None
    articles: int
    extractor_version: str


class ReindexFailure(BaseModel):
    """An article left out of the new generation, and why; it stays in the previous one."""

    id: str
    origin: str
    stage: Literal["extract"]
    reason: str


class ReindexReport(BaseModel):
    store: str
    from_version: int
    to_version: int
    from_name: str
    to_name: str
    read: int
    articles: int
    failed: list[ReindexFailure]
    extractor_version: str
    seconds: float


class RollbackReport(BaseModel):
    store: str
    from_version: int
    to_version: int
    to_name: str
    articles: int


def plan(store: ArticleStore, extractor_version: str) -> ReindexPlan:
    versions = store.versions()
    return ReindexPlan(
        store=store.kind,
        live=versions.live,
        previous=versions.previous,
        kept=versions.kept,
        next_version=_next_number(versions) if versions.live else None,
        articles=versions.live.articles if versions.live else 0,
        extractor_version=extractor_version,
    )


def _next_number(versions: IndexVersions) -> int:
    # Mirrors the stores: one above everything kept, so an abandoned rebuild is never reused.
    return max([v.version for v in versions.kept] + [versions.live.version if versions.live else 0]) + 1


def run(
    store: ArticleStore,
    extractor: Extractor,
    progress: Progress | None = None,
    before_swap: Callable[[], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ReindexReport:
    """Create the next generation, re-extract every live article into it, verify, swap.

    Any failure before the swap drops the new generation and leaves the live one as it
    was; the exception propagates (ReindexVerifyError when the counts disagree).
    """
    started = time.monotonic()
    live = store.versions().live
    if live is None:
        raise StoreError(f"the {store.kind} store has nothing live to reindex; ingest something first")
    total = store.count(live)
    before = store.event_groups()
    target = store.create_next_version()
    log.info("reindex %s: v%d (%d articles) -> v%d", store.kind, live.version, total, target.version)
    try:
        read, failed, refused = _rebuild(store, extractor, target, total, batch_size, progress or _ignore)
        _verify(store, live, target, total, read, failed, refused)
        if before_swap:
            before_swap()
        store.swap_to(target)
    except BaseException:
        _abandon(store, target)
        raise
    loaded = read - len(failed)
    events = rebuild_events(store, before)
    log.info("reindex %s: swapped to v%d, %d articles, %d failed, %d events", store.kind, target.version, loaded,
             len(failed), events)
    return ReindexReport(
        store=store.kind, from_version=live.version, to_version=target.version, from_name=live.name,
        to_name=target.name, read=read, articles=loaded, failed=failed, extractor_version=extractor.version,
        seconds=round(time.monotonic() - started, 3),
    )


def rollback(store: ArticleStore) -> RollbackReport:
    """Point the store back at the generation the last swap replaced."""
    live = store.versions().live
    before = store.event_groups()
    restored = store.rollback()
    rebuild_events(store, before)
    return RollbackReport(
        store=store.kind, from_version=live.version if live else 0, to_version=restored.version,
        to_name=restored.name, articles=restored.articles,
    )


def rebuild_events(store: ArticleStore, before: list) -> int:
    """Recompute the events rollup from the now-live articles: every group they mention and
    every group the replaced generation mentioned (those with no mentions left are emptied)."""
    return store.refresh_events(whole_groups([*before, *store.event_groups()]))


def _rebuild(
    store: ArticleStore, extractor: Extractor, target: IndexVersion, total: int, batch_size: int, progress: Progress
) -> tuple[int, list[ReindexFailure], list[IndexOutcome]]:
    """Returns how many were read, those that failed re-extraction, and those the store refused."""
    read = 0
    failed: list[ReindexFailure] = []
    refused: list[IndexOutcome] = []
    progress(0, total)
    for batch in _batches(store.iter_articles(batch_size), batch_size):
        fresh: list[Article] = []
        for original, result in zip(batch, extractor.extract_many([_stripped(a) for a in batch])):
            if isinstance(result, Failure):
                failed.append(ReindexFailure(id=original.id, origin=original.origin, stage="extract", reason=result.reason))
            else:
                fresh.append(result)
        if fresh:
            refused += [o for o in store.load_into(target, fresh) if o.status == "failed"]
        read += len(batch)
        # Articles ingested while the rebuild runs can push `read` past the count taken first.
        progress(read, max(total, read))
    return read, failed, refused


def _stripped(article: Article) -> Article:
    """The stored text and metadata without what the extractor derives, so nothing stale survives."""
    return article.model_copy(update={"entities": [], "figures": [], "events": [], "extractor_version": None})


def _verify(
    store: ArticleStore, live: IndexVersion, target: IndexVersion, total: int, read: int,
    failed: list[ReindexFailure], refused: list[IndexOutcome],
) -> None:
    """Only articles that failed re-extraction may be missing; anything else keeps the live one."""
    loaded = store.count(target)
    expected = read - len(failed)
    if read >= total and loaded == expected and not refused:
        return
    why = ""
    if refused:
        shown = "; ".join(f"{o.id}: {o.reason}" for o in refused[:REFUSED_SHOWN])
        more = f" and {len(refused) - REFUSED_SHOWN} more" if len(refused) > REFUSED_SHOWN else ""
        why = f"; the store refused {len(refused)}: {shown}{more}"
    raise ReindexVerifyError(
        f"v{target.version} holds {loaded} articles but {expected} were expected "
        f"({read} read of the {total} live in v{live.version}, {len(failed)} failed re-extraction{why}); "
        f"it was dropped and v{live.version} stays live. Check the store's health and run the reindex again"
    )


def _abandon(store: ArticleStore, target: IndexVersion) -> None:
    try:
        store.drop_version(target)
    except Exception as exc:  # the original error matters more; this one is logged for cleanup
        log.error("could not drop the abandoned generation %s: %s; drop it by hand", target.name, exc)


def _batches(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _ignore(done: int, total: int) -> None:
    return None
