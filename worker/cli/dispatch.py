"""Running ingest tasks: in this process when no broker is set, else through the broker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from celery import Celery
from celery.result import AsyncResult

from ..models import BatchReport
from ..inprocess import run_here
from ..tasks import INGEST_PATHS


def chunks(files: Sequence[Path], size: int) -> list[list[str]]:
    """Files as absolute paths in chunks of ``size``: one task each."""
    return in_chunks([str(f.resolve()) for f in files], size)


def in_chunks(items: Sequence[str], size: int) -> list[list[str]]:
    """``items`` (absolute paths, URLs) in chunks of ``size``: one task each."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_in_process(
    app: Celery, batches: list[list[str]], overrides: dict, on_batch: Callable[[int], None], task_name: str = INGEST_PATHS,
) -> BatchReport:
    """The same task code, applied here; ``on_batch`` is told how many files (or URLs) each batch had."""
    task = app.tasks[task_name]
    report = BatchReport()
    for batch in batches:
        report = report.merge(BatchReport.model_validate(run_here(task, [batch, overrides])))
        on_batch(len(batch))
    return report


def check_broker(app: Celery) -> None:
    """One quick connection to the broker: a broker that is down is said at once, in one line,
    not after Celery's retries (and its result backend's) as chained tracebacks."""
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)


def enqueue(app: Celery, batches: list[list[str]], overrides: dict, task_name: str = INGEST_PATHS) -> list[AsyncResult]:
    task = app.tasks[task_name]
    return [task.apply_async(args=[batch, overrides]) for batch in batches]


def collect(results: list[AsyncResult], timeout: float, on_batch: Callable[[int], None], sizes: list[int],
            on_handed: Callable[[int], None] | None = None) -> BatchReport:
    """Wait for enqueued batches, and for the tasks they handed the rest of a long file to, and
    merge their reports. ``on_handed``: told how many tasks a batch handed off; each then counts
    1 to ``on_batch`` when it is done (else 0: the batch's size counted them)."""
    report = BatchReport()
    waiting = list(zip(results, sizes))
    while waiting:
        result, size = waiting.pop(0)
        got = BatchReport.model_validate(result.get(timeout=timeout))
        if on_handed is not None and got.handed_off:
            on_handed(len(got.handed_off))
        waiting += [(AsyncResult(task_id, app=result.app), int(on_handed is not None)) for task_id in got.handed_off]
        report = report.merge(got.model_copy(update={"handed_off": []}))
        on_batch(size)
    return report
