"""The Celery task over WARC files: a thin shell over worker.warc_ingest, idempotent (upsert by
stable id), so acks_late like the others."""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from functools import partial
from pathlib import Path

from celery import shared_task

from .parking import index_or_park
from .sources.warc import Progress, WarcFilter
from .splitting import split_warc_span
from .tasks import counted_delivery
from .warc_ingest import ingest_warc as ingest_warc_file

log = logging.getLogger(__name__)

INGEST_WARC = "newsworker.ingest_warc"

# In process the CLI draws a progress bar over the file's bytes: it listens here.
eager_warc_progress: ContextVar[Progress | None] = ContextVar("eager_warc_progress", default=None)


@shared_task(bind=True, name=INGEST_WARC, acks_late=True, reject_on_worker_lost=True)
def ingest_warc(self, path: str, filters: dict | None = None, span: list[int] | None = None) -> dict:
    """Read, normalize, extract and index the HTML pages of the WARC file at ``path`` (``span``:
    only the records beginning at byte offsets [first, stop)); returns a BatchReport as JSON.

    With a broker, a task given no span plans the file and hands every span of
    NEWSWORKER_WARC__PAGES_PER_TASK pages but its first to a new task (ids in ``handed_off``).
    """
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    with counted_delivery(self, runtime) as delivery:
        if delivery > runtime.settings.max_deliveries:
            return split_warc_span(self, runtime, path, filters, span, delivery).model_dump(mode="json")
        return _ingest(self, runtime, path, filters, span)


def _ingest(task, runtime, path: str, filters: dict | None, span: list[int] | None) -> dict:
    started = time.monotonic()
    settings = runtime.settings
    handed: list[str] = []
    eager = task.request.is_eager
    hand_off = None if eager or span else partial(_hand_off, task, filters, handed)
    report = index_or_park(task, runtime, [_span_origin(path, span)], lambda: ingest_warc_file(
        Path(path), runtime.store, runtime.extractor, settings.warc, WarcFilter(**(filters or {})),
        # From the worker's own settings, never from the message: a forged task names any path.
        roots=settings.inbox_dirs, settle_seconds=settings.settle_seconds, batch_size=settings.documents_per_task,
        span=tuple(span) if span else None, hand_off=hand_off, progress=eager_warc_progress.get() if eager else None,
    ))
    report = report.model_copy(update={"handed_off": handed})
    log.info("ingest_warc task=%s file=%s span=%s indexed=%d duplicates=%d skipped=%d failed=%d handed_off=%d seconds=%.2f",
             task.request.id, path, span, len(report.indexed), len(report.duplicates), sum(report.skipped.values()),
             len(report.failed), len(handed), time.monotonic() - started)
    return report.model_dump(mode="json")


def _hand_off(task, filters: dict | None, handed: list[str], path: Path, first: int, stop: int) -> None:
    # The id follows from this task's: a redelivered planner hands off the same ids again.
    task_id = f"{task.request.id}:warc:{first}"
    task.app.tasks[INGEST_WARC].apply_async(args=[str(path), filters], kwargs={"span": [first, stop]}, task_id=task_id)
    handed.append(task_id)


def _span_origin(path: str, span: list[int] | None) -> str:
    return f"{path}@{span[0]}..{span[1]}" if span else path
