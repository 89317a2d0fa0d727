"""Celery tasks: thin shells over worker.ingest. Idempotent (upsert by stable id), so acks_late."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar
from functools import partial
from pathlib import Path

from celery import shared_task
from celery.exceptions import Ignore, TaskPredicate

from . import deliveries, splitting
from .errors import ReindexBusyError, TransientStoreError
from .ingest import ingest_files
from .parking import index_or_park, retry_store
from .settings import RETRY_DELAY_MAX
from .pages.requests import PageRequest
from .sources.metadata import Overrides

log = logging.getLogger(__name__)

INGEST_PATHS = "newsworker.ingest_paths"


@shared_task(bind=True, name=INGEST_PATHS, acks_late=True, reject_on_worker_lost=True)
def ingest_paths(self, paths: list[str], overrides: dict | None = None, records: list[int] | None = None) -> dict:
    """Read, normalize, extract and index the files at ``paths`` (``records``: of one file, the
    record positions [first, stop)); returns a BatchReport as JSON.

    With a broker, documents past the first NEWSWORKER_DOCUMENTS_PER_TASK of a long file are
    handed to new tasks by record range (their ids in the report's ``handed_off``): no task
    outlives the visibility timeout because its file is long.
    """
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    with counted_delivery(self, runtime) as delivery:
        if delivery > runtime.settings.max_deliveries:
            return splitting.split_paths(self, runtime, paths, overrides, records, delivery).model_dump(mode="json")
        return _ingest_paths(self, runtime, paths, overrides, records)


def counted_delivery(task, runtime):
    """This delivery's number (see worker.deliveries); in process always the first."""
    if task.request.is_eager:
        return nullcontext(1)
    return deliveries.counted(runtime.settings.lock_url, task.request.id, task.request.retries)


def _ingest_paths(self, runtime, paths: list[str], overrides: dict | None, records: list[int] | None) -> dict:
    started = time.monotonic()
    handed: list[str] = []
    piece = range(*records) if records else None
    hand_off = None if self.request.is_eager or piece is not None else partial(_hand_off, self, overrides, handed)
    report = index_or_park(self, runtime, paths, lambda: ingest_files(
        [Path(p) for p in paths],
        runtime.store,
        runtime.extractor,
        Overrides(**(overrides or {})),
        runtime.settings.max_file_bytes,
        # From the worker's own settings, never from the message: a forged task names any path.
        roots=runtime.settings.inbox_dirs,
        settle_seconds=runtime.settings.settle_seconds,
        batch_size=runtime.settings.documents_per_task,
        records=piece,
        hand_off=hand_off,
    ))
    report = report.model_copy(update={"handed_off": handed})
    log.info(
        "ingest_paths task=%s files=%d indexed=%d duplicates=%d failed=%d seconds=%.2f",
        self.request.id, len(paths), len(report.indexed), len(report.duplicates), len(report.failed),
        time.monotonic() - started,
    )
    return report.model_dump(mode="json")


def _hand_off(task, overrides: dict | None, handed: list[str], path: Path, first: int, stop: int) -> None:
    # The id follows from this task's: a redelivered task hands off the same ids again, and the
    # second run of a piece finds its articles stored unchanged.
    task_id = f"{task.request.id}:{hashlib.blake2b(str(path).encode(), digest_size=6).hexdigest()}:{first}"
    task.app.tasks[INGEST_PATHS].apply_async(args=[[str(path)], overrides], kwargs={"records": [first, stop]}, task_id=task_id)
    handed.append(task_id)


INGEST_URLS = "newsworker.ingest_urls"


@shared_task(bind=True, name=INGEST_URLS, acks_late=True, reject_on_worker_lost=True)
def ingest_urls(self, requests: list, overrides: dict | None = None) -> dict:
    """Fetch (robots.txt kept), read and index the pages of ``requests`` (PageRequests as JSON,
    or bare URLs); returns a BatchReport as JSON. Their ledger claims, if any (sitemap polls),
    are settled once the batch is indexed."""
    from .celery_app import runtime_of
    from .ingest import ingest_pages
    from .pages.ledger import PageLedger

    runtime = runtime_of(self.app)
    pages = [PageRequest(url=r) if isinstance(r, str) else PageRequest.model_validate(r) for r in requests]
    with counted_delivery(self, runtime) as delivery:
        if delivery > runtime.settings.max_deliveries:
            return splitting.split_requests(self, runtime, pages, overrides, delivery).model_dump(mode="json")
        ledger = PageLedger(runtime.feed_states) if any(p.keys for p in pages) else None
        report = index_or_park(self, runtime, [p.url for p in pages], lambda: ingest_pages(
            pages, runtime.pages, runtime.store, runtime.extractor, Overrides(**(overrides or {})), ledger=ledger,
            batch_size=runtime.settings.documents_per_task))
    log.info("ingest_urls task=%s urls=%d indexed=%d duplicates=%d failed=%d", self.request.id, len(pages),
             len(report.indexed), len(report.duplicates), len(report.failed))
    return report.model_dump(mode="json")


POLL_FEED = "newsworker.poll_feed"
POLL_FEEDS = "newsworker.poll_feeds"
POLL_DUE_FEEDS = "newsworker.poll_due_feeds"
POLL_RETRY_BASE = 30


@shared_task(bind=True, name=POLL_FEED, acks_late=True, reject_on_worker_lost=True)
def poll_feed(self, url: str) -> dict:
    """Poll one registered feed and index (or queue) its new items as one batch; returns a PollReport."""
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    report = _poll_or_retry(self, runtime, url)
    if report.transient and not self.request.is_eager and self.request.retries < runtime.settings.feeds.poll_max_retries:
        raise self.retry(countdown=min(POLL_RETRY_BASE * 2 ** self.request.retries, RETRY_DELAY_MAX))
    return report.model_dump(mode="json")


@shared_task(bind=True, name=POLL_FEEDS, acks_late=True, reject_on_worker_lost=True)
def poll_feeds(self, urls: list[str]) -> list[dict]:
    """Poll a chunk of feeds (what beat fans out). A feed's network error is recorded in its
    state and backs that feed off; it does not retry the chunk."""
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    return [_poll_alone(self, runtime, url).model_dump(mode="json") for url in urls]


def _poll_alone(task, runtime, url: str):
    """One feed of a chunk: whatever breaks its poll (a bug met by its data) is its own error,
    reported for it, and the feeds after it are still polled."""
    from .feeds.poll import PollReport

    try:
        return _poll_or_retry(task, runtime, url)
    except (TransientStoreError, TaskPredicate):  # the store is down (retry), or Celery's own control flow
        raise
    except Exception as exc:  # noqa: BLE001 - reported in this feed's result and the task log
        log.exception("poll of %s failed: %s", url, exc)
        return PollReport(feed_url=url, status="error", error=f"poll failed: {type(exc).__name__}: {exc}")


def _poll_or_retry(task, runtime, url: str):
    from .feeds.poll import PollReport

    feed = runtime.registry.get(url)
    if feed is None:
        return PollReport(feed_url=url, status="error", error="not in the feed registry (removed?)")
    started = time.monotonic()
    try:
        report = runtime.poller.poll(feed)
    except TransientStoreError as exc:
        raise retry_store(task, runtime, exc)
    log.info(
        "poll_feed task=%s feed=%s status=%s http=%s items=%d new=%d indexed=%d failed=%d seconds=%.3f",
        task.request.id, report.feed_url, report.status, report.http_status, report.items, report.new_items,
        len(report.report.indexed), len(report.report.failed), time.monotonic() - started,
    )
    return report


@shared_task(bind=True, name=POLL_DUE_FEEDS, acks_late=True, reject_on_worker_lost=True)
def poll_due_feeds(self) -> list[str]:
    """Fan out poll_feeds chunks for the due feeds (run by beat); returns the URLs enqueued."""
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    feeds = runtime.registry.feeds()
    due = _reserve_due(runtime, feeds)
    size = runtime.settings.feeds.feeds_per_task
    chunk_task = self.app.tasks[POLL_FEEDS]
    for chunk in (due[i : i + size] for i in range(0, len(due), size)):
        # Without a broker there is nowhere to send to: poll here, one chunk after another.
        chunk_task.apply(args=[chunk]) if runtime.settings.eager else chunk_task.apply_async(args=[chunk])
    log.info("poll_due_feeds task=%s feeds=%d due=%d", self.request.id, len(feeds), len(due))
    return due


POLL_SITEMAP = "newsworker.poll_sitemap"
POLL_DUE_SITEMAPS = "newsworker.poll_due_sitemaps"


@shared_task(bind=True, name=POLL_SITEMAP, acks_late=True, reject_on_worker_lost=True)
def poll_sitemap(self, url: str) -> dict:
    """Poll one registered sitemap; its new or changed pages go to ingest_urls tasks (in process:
    fetched and indexed here). Returns a SitemapPollReport."""
    from .celery_app import runtime_of
    from .sitemaps.poll import SitemapPollReport

    runtime = runtime_of(self.app)
    config = runtime.sitemap_registry.get(url)
    if config is None:
        return SitemapPollReport(sitemap_url=url, status="error", error="not in the sitemap registry (removed?)").model_dump(mode="json")
    try:
        report = runtime.sitemap_poller.poll(config)
    except TransientStoreError as exc:
        raise retry_store(self, runtime, exc)
    log.info("poll_sitemap task=%s sitemap=%s status=%s urls=%d new=%d deferred=%d", self.request.id, url, report.status,
             report.urls, report.new_urls, report.deferred)
    if report.transient and not self.request.is_eager and self.request.retries < runtime.settings.feeds.poll_max_retries:
        raise self.retry(countdown=min(POLL_RETRY_BASE * 2 ** self.request.retries, RETRY_DELAY_MAX))
    return report.model_dump(mode="json")


@shared_task(bind=True, name=POLL_DUE_SITEMAPS, acks_late=True, reject_on_worker_lost=True)
def poll_due_sitemaps(self) -> list[str]:
    """Send a poll_sitemap task for each due sitemap (run by beat); returns the URLs sent."""
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    sitemaps = runtime.sitemap_registry.feeds()
    due = _reserve_due(runtime, sitemaps)
    task = self.app.tasks[POLL_SITEMAP]
    for url in due:
        task.apply(args=[url]) if runtime.settings.eager else task.apply_async(args=[url])
    log.info("poll_due_sitemaps task=%s sitemaps=%d due=%d", self.request.id, len(sitemaps), len(due))
    return due


class QueuePages:
    """A sitemap poll's pages to the workers, as ingest_urls tasks; the report is empty (queued)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, requests):
        from .models import BatchReport

        self.app.tasks[INGEST_URLS].apply_async(args=[[r.model_dump(mode="json") for r in requests]])
        return BatchReport()


def _reserve_due(runtime, entries) -> list[str]:
    """The URLs of the registered feeds (or sitemaps) due now, each held until its next interval
    so a second beat tick does not send it again while its poll is queued."""
    from datetime import timedelta

    from .models import utc_now

    now = utc_now()
    hold = {e.url: now + timedelta(minutes=e.interval_minutes) for e in entries}
    return runtime.feed_states.reserve_due([e.url for e in entries], now, hold)


INGEST_FEED_ITEMS = "newsworker.ingest_feed_items"


class QueueSink:
    """Feed polls hand their new items to ingest workers: polling stays I/O-bound and fast,
    extraction scales on its own queue. Returns an empty report: the batch is queued."""

    def __init__(self, app):
        self.app = app

    def __call__(self, documents, claimed):
        from .feeds.poll import documents_to_json
        from .models import BatchReport

        self.app.tasks[INGEST_FEED_ITEMS].apply_async(args=[documents_to_json(documents), claimed])
        return BatchReport()


@shared_task(bind=True, name=INGEST_FEED_ITEMS, acks_late=True, reject_on_worker_lost=True)
def ingest_feed_items(self, documents: list[dict], claimed: list[list[str]]) -> dict:
    """Index one poll's new items as a batch and mark them done in the item ledger."""
    from .celery_app import runtime_of
    from .feeds.poll import documents_from_json, index_items

    runtime = runtime_of(self.app)
    with counted_delivery(self, runtime) as delivery:
        if delivery > runtime.settings.max_deliveries:
            return splitting.split_items(self, runtime, documents, claimed, delivery).model_dump(mode="json")
        report = index_or_park(self, runtime, _item_origins(documents), lambda: index_items(
            documents_from_json(documents), claimed, runtime.feed_states, runtime.store, runtime.extractor))
    log.info("ingest_feed_items task=%s items=%d indexed=%d failed=%d", self.request.id, len(documents),
             len(report.indexed), len(report.failed))
    return report.model_dump(mode="json")


def _item_origins(documents: list[dict]) -> list[str]:
    # Read from the JSON as sent: a batch whose items do not even parse still names each one.
    return [str((d.get("document") or d.get("failure") or {}).get("origin") or f"feed item {i + 1}")
            if isinstance(d, dict) else f"feed item {i + 1}" for i, d in enumerate(documents)]


REINDEX = "newsworker.reindex"
REINDEX_CHUNK = "newsworker.reindex_chunk"

# In process there is no result backend to poll for PROGRESS: the CLI listens here instead.
eager_progress: ContextVar[Callable | None] = ContextVar("eager_progress", default=None)


@shared_task(bind=True, name=REINDEX, acks_late=True, reject_on_worker_lost=True)
def reindex(self, rollback: bool = False, resume: bool = False) -> dict:
    """Coordinate a reindex (or roll back) under the store's Redis lock; returns a ReindexReport
    (or RollbackReport) as JSON.

    The chunks go to NEWSWORKER_REINDEX_QUEUE as reindex_chunk tasks (in process: run here one
    after another); this task waits for their reports, then verifies and swaps. With a broker it
    holds one worker slot while it waits: run two worker processes or more. A second reindex of
    the same store fails with ReindexBusyError; one while an unfinished run is recorded fails
    with ReindexUnfinishedError (``resume=True`` goes on with that run).

    The broker hands this message out again when it stays unacknowledged past the visibility
    timeout, whether its worker died or is still waiting for chunks: a copy while the first one
    runs is ignored, a copy after it finished returns its report, and a copy whose first run
    died resumes the run that one recorded. Never a second reindex from one request.
    """
    from . import locks
    from . import reindex as reindexing
    from .celery_app import runtime_of
    from .reindex.runs import Runs, run_key

    runtime = runtime_of(self.app)
    settings = runtime.settings
    client = locks.connect(settings.lock_url)
    name = locks.reindex_lock_name(settings)
    runs = Runs(client, run_key(name))
    try:
        earlier = None if self.request.is_eager else runs.finished(self.request.id)
        if earlier is not None:
            log.info("reindex task=%s was delivered again after it finished; its report is returned", self.request.id)
            return json.loads(earlier)
        if not rollback and not self.request.is_eager:
            recorded = runs.load()
            resume = resume or (recorded is not None and recorded.task_id == self.request.id)
        # A coordinator that sends its chunks to workers needs no spaCy model. In process it does:
        # loaded before the lock is taken, since the load is seconds of CPU that can starve the
        # lock's heartbeat thread past a short NEWSWORKER_REINDEX_LOCK_SECONDS.
        store = runtime.store
        extractor = runtime.extractor if self.request.is_eager and not rollback else None
        try:
            with locks.held(client, name, task_id=self.request.id, ttl=settings.reindex_lock_seconds) as lock:
                if rollback:
                    report = reindexing.rollback(store)
                else:
                    dispatch = None if self.request.is_eager else partial(_send_chunk, self.app)
                    report = reindexing.run(store, extractor, progress=partial(_reindex_progress, self),
                                            before_swap=lock.verify, batch_size=settings.reindex_chunk_size,
                                            runs=runs, dispatch=dispatch, resume=resume, task_id=self.request.id)
                if not self.request.is_eager:
                    runs.finish(self.request.id, report.model_dump_json())
        except ReindexBusyError:
            _ignore_if_held_by_itself(self, client, name)
            raise
    finally:
        client.close()
    log.info("reindex task=%s %s", self.request.id, report.model_dump_json(exclude={"failed"}))
    return report.model_dump(mode="json")


def _ignore_if_held_by_itself(task, client, name: str) -> None:
    """The lock is held by another delivery of this very task: this copy is ignored (no state
    stored, the message acknowledged; the running one reports)."""
    from . import locks

    holder = locks.StoreLock(client, name).holder()
    if holder is not None and holder.task_id == task.request.id and not task.request.is_eager:
        log.warning("reindex task=%s was delivered again while it still runs (visibility timeout); this copy is ignored",
                    task.request.id)
        raise Ignore() from None


def _send_chunk(app, record, number: int) -> None:
    # Immutable: the chunk's message is the run id and its number, nothing of a result before it;
    # its id follows from them, so a chunk sent again on resume is recognisably the same one.
    app.tasks[REINDEX_CHUNK].si(record.id, number).apply_async(task_id=f"reindex-{record.id}-{number}")


@shared_task(bind=True, name=REINDEX_CHUNK, acks_late=True, reject_on_worker_lost=True)
def reindex_chunk(self, run_id: str, number: int) -> dict:
    """Rebuild one chunk of the recorded run into its target generation and record the report.

    Idempotent (the load is create-only), so a chunk whose worker was killed simply runs again.
    The store unavailable: retried with backoff; any other failure, or the last retry, is
    recorded as the chunk's error, which stops the coordinator with a message to --resume.
    """
    from . import locks
    from .celery_app import runtime_of
    from .reindex import fanout
    from .reindex.runs import ChunkReport, Runs, run_key

    runtime = runtime_of(self.app)
    settings = runtime.settings
    client = locks.connect(settings.lock_url)
    try:
        runs = Runs(client, run_key(locks.reindex_lock_name(settings)))
        record = runs.load()
        if record is None or record.id != run_id:
            log.warning("reindex_chunk task=%s: run %s is no longer recorded (finished or abandoned); nothing done",
                        self.request.id, run_id)
            return {"run": run_id, "number": number, "skipped": True}
        try:
            report = fanout.rebuild_chunk(runtime.store, runtime.extractor, record, number)
        except TransientStoreError as exc:
            if self.request.retries < settings.task_max_retries:
                raise self.retry(countdown=settings.store_retry_delay(self.request.retries))
            runs.record(run_id, ChunkReport(number=number, error=str(exc)))
            raise
        except Exception as exc:
            runs.record(run_id, ChunkReport(number=number, error=f"{type(exc).__name__}: {exc}"))
            raise
        runs.record(run_id, report)
    finally:
        client.close()
    log.info("reindex_chunk task=%s run=%s chunk=%d read=%d loaded=%d kept=%d failed=%d seconds=%.2f", self.request.id,
             run_id, number, report.read, report.loaded, report.kept, len(report.failed), report.seconds)
    return report.model_dump(mode="json")


def _reindex_progress(task, progress) -> None:
    if task.request.is_eager:
        listener = eager_progress.get()
        if listener is not None:
            listener(progress)
    else:
        task.update_state(state="PROGRESS", meta=progress.model_dump(mode="json"))
