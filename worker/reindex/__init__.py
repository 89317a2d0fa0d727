"""Reindex: rebuild the store as a new generation from its own stored text, then swap.

Plain functions over the ArticleStore interface and the Extractor, so the same steps run
on SQLite and Elasticsearch, in a worker or in the CLI's process. The live generation is
cut into chunks (worker.reindex.fanout) that Celery workers rebuild side by side, or this
process one after another; their reports are recorded (worker.reindex.runs) so progress is
their sum and a run whose coordinator died resumes from them. The caller holds the lock
(worker.locks); ``before_swap`` lets it check the lock is still its own at the one step
that cannot be undone by dropping the new generation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pydantic import BaseModel

from ..errors import LockLostError, ReindexChunkError, ReindexUnfinishedError, ReindexVerifyError
from ..extract import EXTRACTOR_VERSION, Extractor
from ..models import utc_now
from ..rollup import whole_groups
from ..store.base import ArticleStore, IndexVersion, IndexVersions
from . import fanout
from .progress import RunProgress, summarize
from .runs import ChunkReport, MemoryRuns, ReindexFailure, RunRecord, Runs, Watch

log = logging.getLogger(__name__)

# Articles per chunk when the caller names no size (NEWSWORKER_REINDEX_CHUNK_SIZE for the task).
BATCH_SIZE = 200
POLL_SECONDS = 0.5

Progress = Callable[[RunProgress], None]
Dispatch = Callable[[RunRecord, int], None]


class ReindexPlan(BaseModel):
    """What a reindex would do now (``--dry-run``); nothing is changed to make it."""

    store: str
    live: IndexVersion | None
    previous: IndexVersion | None
    kept: list[IndexVersion]
    next_version: int | None
    articles: int
    extractor_version: str


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
    chunks: int = 0
    # What the new generation held at the swap: the articles read plus those written meanwhile.
    live_articles: int = 0


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
    extractor: Extractor | None,
    progress: Progress | None = None,
    before_swap: Callable[[], None] | None = None,
    batch_size: int = BATCH_SIZE,
    *,
    runs: Runs | None = None,
    dispatch: Dispatch | None = None,
    resume: bool = False,
    poll_seconds: float = POLL_SECONDS,
    task_id: str | None = None,
) -> ReindexReport:
    """Create the next generation, re-extract every live article into it chunk by chunk,
    verify, swap; every write made meanwhile reaches the new generation too (set_building).

    ``dispatch(run, number)`` sends a chunk to be rebuilt (a Celery task that records its
    ChunkReport in ``runs``); without one the chunks run here, one after another, with
    ``extractor``. A coordinator that dispatches needs none (``None``): the workers load
    the model, the version recorded is this code's. ``resume``
    goes on with the run recorded in ``runs`` from the chunks it has done. ``task_id`` (the
    coordinator task's) is recorded with the run.

    A count that does not add up, or a lost lock, drops the new generation and leaves the
    live one as it was (ReindexVerifyError, LockLostError). Any other failure (a chunk that
    gave up, this process dying) leaves the run recorded for ``resume``.
    """
    started = time.monotonic()
    if dispatch is None and extractor is None:
        raise ValueError("a reindex that runs its chunks here needs an extractor")
    version = extractor.version if extractor is not None else EXTRACTOR_VERSION
    runs = runs if runs is not None else MemoryRuns()
    record = _resumed(store, runs) if resume else _begun(store, runs, version, batch_size, task_id)
    dispatch = dispatch or _here(store, extractor, runs)
    reports = _drive(runs, record, dispatch, progress or _ignore, poll_seconds)
    try:
        fanout.verify(store, record, reports)
        before = store.event_groups()
        if before_swap:
            before_swap()
        store.swap_to(record.target)
    except (ReindexVerifyError, LockLostError):
        fanout.abandon(store, record.target)
        runs.clear(record.id)
        raise
    runs.clear(record.id)
    events = rebuild_events(store, before)
    failed = [f for r in reports for f in r.failed]
    read = sum(r.read for r in reports)
    live = store.count(record.target)
    log.info("reindex %s: swapped to v%d, %d articles (%d read, %d failed), %d events", store.kind,
             record.target.version, live, read, len(failed), events)
    return ReindexReport(
        store=store.kind, from_version=record.source.version, to_version=record.target.version,
        from_name=record.source.name, to_name=record.target.name, read=read, articles=read - len(failed),
        failed=failed, extractor_version=version, seconds=round(time.monotonic() - started, 3),
        chunks=len(record.chunks), live_articles=live,
    )


def _begun(store: ArticleStore, runs: Runs, extractor_version: str, chunk_size: int, task_id: str | None) -> RunRecord:
    unfinished = runs.load()
    if unfinished is not None:
        raise ReindexUnfinishedError(
            f"a reindex to v{unfinished.target.version} started {unfinished.started_at:%Y-%m-%d %H:%M:%S} UTC did not "
            f"finish ({len(runs.reports(unfinished.id))} of {len(unfinished.chunks)} chunks done); every write still "
            "reaches it. Finish it with `newsworker reindex --resume`"
        )
    record = fanout.begin(store, extractor_version, chunk_size).model_copy(update={"task_id": task_id})
    runs.save(record)
    return record


def _resumed(store: ArticleStore, runs: Runs) -> RunRecord:
    record = runs.load()
    if record is None:
        raise ReindexUnfinishedError("there is no unfinished reindex of this store to resume; `newsworker reindex` starts one")
    building = store.versions().building
    if building is None or building.name != record.target.name:
        runs.clear(record.id)
        raise ReindexUnfinishedError(
            f"the unfinished reindex to v{record.target.version} cannot be resumed: {record.target.name} is no longer "
            "the generation being built (dropped, or rolled back over), so writes since may have missed it. Its record "
            "was removed: run `newsworker reindex` to start again"
        )
    runs.forget_errors(record.id)
    log.info("reindex %s: resuming v%d with %d of %d chunks done", store.kind, record.target.version,
             len(runs.reports(record.id)), len(record.chunks))
    return record


def _here(store: ArticleStore, extractor: Extractor, runs: Runs) -> Dispatch:
    def rebuild(record: RunRecord, number: int) -> None:
        runs.record(record.id, fanout.rebuild_chunk(store, extractor, record, number))

    return rebuild


def _drive(runs: Runs, record: RunRecord, dispatch: Dispatch, progress: Progress, poll: float) -> list[ChunkReport]:
    """Send the chunks not done yet, then wait for every one's report; progress is their sum."""
    watched_from, done_before = time.monotonic(), summarize(record, runs.reports(record.id), 0, 0).done
    runs.watch(record.id, Watch(at=utc_now(), done=done_before))
    progress(summarize(record, runs.reports(record.id), done_before, 0))
    for chunk in record.chunks:
        if chunk.number not in runs.reports(record.id):
            dispatch(record, chunk.number)
    while True:
        reports = runs.reports(record.id)
        progress(summarize(record, reports, done_before, time.monotonic() - watched_from))
        errors = [r for r in reports.values() if r.error]
        if errors:
            shown = "; ".join(f"chunk {r.number}: {r.error}" for r in errors[:3])
            raise ReindexChunkError(
                f"{len(errors)} chunk(s) of the reindex to v{record.target.version} failed after their retries ({shown}). "
                f"v{record.target.version} is kept, still receiving every write; fix the cause and run "
                "`newsworker reindex --resume` to rebuild just the chunks not done"
            )
        if len(reports) >= len(record.chunks):
            return [reports[c.number] for c in record.chunks]
        time.sleep(poll)


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


def _ignore(progress: RunProgress) -> None:
    return None
