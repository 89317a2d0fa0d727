"""`ingest` of WARC files: their filters, and their tasks run here or through the broker.

A WARC file is one task (with a broker it plans itself into spans of pages and hands them
to other workers), never one of a batch of files: a gigabyte of crawl is not 1/25 of a batch.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from celery import Celery
from celery.result import AsyncResult
from pydantic import ValidationError

from ..inprocess import run_here
from ..models import BatchReport
from ..sources.warc import WarcFilter
from ..sources.warc_records import is_warc
from ..warc_tasks import INGEST_WARC, eager_warc_progress
from .filters import parse_day


def split_warcs(files: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The files that are not WARC files, and those that are."""
    return [f for f in files if not is_warc(f.name)], [f for f in files if is_warc(f.name)]


def warc_filters(domains: Sequence[str], since: str | None, warcs: Sequence[Path]) -> dict:
    """--domain and --since as the task's filters (JSON); a usage error when they filter nothing."""
    if (domains or since) and not warcs:
        raise click.UsageError("--domain and --since choose pages of WARC files, and no WARC file is given")
    try:
        wanted = WarcFilter(domains=list(domains), since=parse_day(since) if since else None)
    except ValidationError as exc:
        raise click.UsageError("--domain: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    return wanted.model_dump(mode="json", exclude_defaults=True)


def run_in_process(app: Celery, warcs: Sequence[Path], filters: dict) -> BatchReport:
    """Each WARC file read here, one after another, with a bar over their bytes."""
    task = app.tasks[INGEST_WARC]
    report = BatchReport()
    with _bytes_bar(warcs) as advance:
        for path in warcs:
            token = eager_warc_progress.set(advance)
            try:
                report = report.merge(BatchReport.model_validate(run_here(task, [str(path.resolve()), filters])))
            finally:
                eager_warc_progress.reset(token)
            advance(None)
    return report


def enqueue(app: Celery, warcs: Sequence[Path], filters: dict) -> list[AsyncResult]:
    task = app.tasks[INGEST_WARC]
    return [task.apply_async(args=[str(path.resolve()), filters]) for path in warcs]


@contextmanager
def _bytes_bar(warcs: Sequence[Path]):
    """A progress bar on stderr over the files' bytes; ``advance(offset)`` says where the file
    being read is, ``advance(None)`` that it is done."""
    sizes = [path.stat().st_size if path.is_file() else 0 for path in warcs]
    with click.progressbar(length=max(sum(sizes), 1), label="Reading WARC", file=sys.stderr) as bar:
        done = [0, 0]  # bytes of the files finished, files finished

        def advance(offset: int | None) -> None:
            if offset is None:
                done[0] += sizes[done[1]]
                done[1] += 1
                offset = 0
            bar.update(done[0] + offset - bar.pos)

        yield advance


@contextmanager
def tasks_bar(count: int):
    """A progress bar over tasks whose number grows as WARC files are planned: (advance, grow)."""
    with click.progressbar(length=max(count, 1), label="Waiting for workers", file=sys.stderr, show_pos=True) as bar:
        def grow(more: int) -> None:
            bar.length += more

        yield bar.update, grow
