"""Splitting a batch whose worker keeps dying (see worker.deliveries): halves as new tasks,
and the one document left alone parked as a dead letter naming it."""

from __future__ import annotations

import logging
from pathlib import Path

from .deliveries import halves
from .models import BatchReport, Failure
from .parking import park_lost
from .sources.files import read_file
from .sources.metadata import Overrides

log = logging.getLogger(__name__)


def _lost_reason(deliveries: int) -> str:
    return (f"the worker process running it was lost {deliveries - 1} times (killed, e.g. by the kernel for memory) "
            "and it is not run again")


def split_paths(task, runtime, paths: list[str], overrides: dict | None, records: list[int] | None,
                deliveries: int) -> BatchReport:
    """Hand halves of the files (or of one file's records) to new tasks; park a lone document."""
    send = task.app.tasks[task.name]
    if len(paths) > 1:
        pieces = [(half, {}) for half in halves(paths)]
    else:
        path = Path(paths[0])
        first, stop = records or (0, _record_count(runtime, path, overrides))
        batch = runtime.settings.documents_per_task
        # An unsplit file's own first run covered its first batch: the rest goes on as usual.
        mine_stop = stop if records else min(stop, first + batch)
        if mine_stop - first <= 1:
            return _park_document(task, runtime, path, overrides, first, deliveries) if mine_stop > first else BatchReport()
        low, high = halves(list(range(first, mine_stop)))
        pieces = [(paths, {"records": [r[0], r[-1] + 1]}) for r in (low, high)]
        pieces += [(paths, {"records": [start, min(start + batch, stop)]}) for start in range(mine_stop, stop, batch)]
    handed = []
    for number, (piece_paths, kwargs) in enumerate(pieces):
        task_id = f"{task.request.id}:split{number}"
        send.apply_async(args=[piece_paths, overrides], kwargs=kwargs, task_id=task_id)
        handed.append(task_id)
    log.warning("task=%s lost its worker %d times: split into %d tasks", task.request.id, deliveries - 1, len(handed))
    return BatchReport(handed_off=handed)


def split_items(task, runtime, documents: list, claimed: list[list[str]], deliveries: int) -> BatchReport:
    """The same for a poll's feed items: halves as new tasks; a lone item parked and marked done
    in the ledger (a later poll must not take it again: the dead letter replays it)."""
    if len(documents) > 1:
        handed = []
        for number, (docs, claims) in enumerate(zip(halves(documents), halves(claimed))):
            task_id = f"{task.request.id}:split{number}"
            task.app.tasks[task.name].apply_async(args=[docs, claims], task_id=task_id)
            handed.append(task_id)
        return BatchReport(handed_off=handed)
    if not documents:
        return BatchReport()
    from .tasks import _item_origins

    report = _parked(task, runtime, _item_origins(documents)[0], deliveries)
    runtime.feed_states.complete_many(claimed)
    return report


def _record_count(runtime, path: Path, overrides: dict | None) -> int:
    settings = runtime.settings
    return sum(1 for _ in read_file(path, Overrides(**(overrides or {})), settings.max_file_bytes, roots=settings.inbox_dirs))


def _park_document(task, runtime, path: Path, overrides: dict | None, position: int, deliveries: int) -> BatchReport:
    settings = runtime.settings
    found = next(read_file(path, Overrides(**(overrides or {})), settings.max_file_bytes, roots=settings.inbox_dirs,
                           records=range(position, position + 1)), None)
    return _parked(task, runtime, found.origin if found is not None else str(path), deliveries)


def _parked(task, runtime, origin: str, deliveries: int) -> BatchReport:
    reason = _lost_reason(deliveries)
    letter = park_lost(task, runtime, f"{origin}: {reason}", deliveries)
    failure = Failure(origin=origin, stage="extract", reason=(
        f"{reason}; parked as dead letter {letter.id}: `newsworker dead-letters retry {letter.id}` replays it"))
    runtime.store.record_failures([failure])
    return BatchReport(failed=[failure])
