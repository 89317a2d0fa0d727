"""Splitting a batch whose worker keeps dying (see worker.deliveries): halves as new tasks,
and the one document left alone parked as a dead letter naming it."""

from __future__ import annotations

import logging
from pathlib import Path

from .deliveries import halves
from .models import BatchReport, Failure
from .parking import park_lost
from .sources.files import read_file
from .sources.local import open_regular
from .sources.metadata import Overrides
from .sources.warc import WarcFilter, origin_of, plan_chunks
from .sources.warc_records import Record, records

log = logging.getLogger(__name__)


def _lost_reason(deliveries: int) -> str:
    return (f"the worker process running it was lost {deliveries - 1} times (killed, e.g. by the kernel for memory) "
            "and it is not run again")


def split_paths(task, runtime, paths: list[str], overrides: dict | None, records: list[int] | None,
                deliveries: int) -> BatchReport:
    """Hand halves of the files (or of one file's records) to new tasks; park a lone document."""
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
    return _send(task, [([piece, overrides], kwargs) for piece, kwargs in pieces], deliveries)


def split_items(task, runtime, documents: list, claimed: list[list[str]], deliveries: int) -> BatchReport:
    """The same for a poll's feed items: halves as new tasks; a lone item parked and marked done
    in the ledger (a later poll must not take it again: the dead letter replays it)."""
    if len(documents) > 1:
        return _send(task, [([docs, claims], {}) for docs, claims in zip(halves(documents), halves(claimed))], deliveries)
    if not documents:
        return BatchReport()
    from .tasks import _item_origins

    report = _parked(task, runtime, _item_origins(documents)[0], deliveries)
    runtime.feed_states.complete_many(claimed)
    return report


def split_requests(task, runtime, requests: list, overrides: dict | None, deliveries: int) -> BatchReport:
    """The same for a chunk of page URLs: halves as new tasks; a lone page parked, its claims
    done (the dead letter replays it)."""
    if len(requests) > 1:
        return _send(task, [([[r.model_dump(mode="json") for r in half], overrides], {}) for half in halves(requests)],
                     deliveries)
    if not requests:
        return BatchReport()
    report = _parked(task, runtime, requests[0].url, deliveries)
    runtime.feed_states.complete_many([r.keys for r in requests if r.keys])
    return report


def split_warc_span(task, runtime, path: str, filters: dict | None, span: list[int] | None,
                    deliveries: int) -> BatchReport:
    """The same for a span of a WARC file's records: its records in halves as new tasks; a lone
    record parked. A planner that kept dying (no span): every span of the plan a task of its own."""
    settings = runtime.settings
    if not span:
        spans = plan_chunks(Path(path), settings.inbox_dirs, settings.warc, WarcFilter(**(filters or {})),
                            settings.warc.pages_per_task)
        return _send(task, [([path, filters], {"span": list(s)}) for s in spans], deliveries)
    first, stop = span
    with open_regular(Path(path), settings.inbox_dirs) as handle:
        offsets = [r.offset for r in records(handle, path, first, stop, max_record_bytes=settings.warc.max_record_bytes,
                                             max_expansion=settings.warc.max_expansion, payloads=False)
                   if isinstance(r, Record)]
    if len(offsets) <= 1:
        if not offsets:
            return BatchReport()
        return _parked(task, runtime, origin_of(path, offset=offsets[0]), deliveries)
    low, high = halves(offsets)
    pieces = [([path, filters], {"span": [low[0], high[0]]}), ([path, filters], {"span": [high[0], stop]})]
    return _send(task, pieces, deliveries)


def _send(task, pieces: list[tuple[list, dict]], deliveries: int) -> BatchReport:
    """Each piece (args, kwargs) as a new task of the same name; ids follow from this task's, so a
    split redelivered sends the same ids again."""
    handed = []
    for number, (args, kwargs) in enumerate(pieces):
        task_id = f"{task.request.id}:split{number}"
        task.app.tasks[task.name].apply_async(args=args, kwargs=kwargs, task_id=task_id)
        handed.append(task_id)
    log.warning("task=%s lost its worker %d times: split into %d tasks", task.request.id, deliveries - 1, len(handed))
    return BatchReport(handed_off=handed)


def _read(runtime, path: Path, overrides: dict | None, records: range | None = None):
    """The file's documents as the task itself reads them (its limits, only under the inbox roots)."""
    settings = runtime.settings
    return read_file(path, Overrides(**(overrides or {})), settings.max_file_bytes, roots=settings.inbox_dirs,
                     records=records)


def _record_count(runtime, path: Path, overrides: dict | None) -> int:
    return sum(1 for _ in _read(runtime, path, overrides))


def _park_document(task, runtime, path: Path, overrides: dict | None, position: int, deliveries: int) -> BatchReport:
    found = next(_read(runtime, path, overrides, range(position, position + 1)), None)
    return _parked(task, runtime, found.origin if found is not None else str(path), deliveries)


def _parked(task, runtime, origin: str, deliveries: int) -> BatchReport:
    reason = _lost_reason(deliveries)
    letter = park_lost(task, runtime, f"{origin}: {reason}", deliveries)
    failure = Failure(origin=origin, stage="extract", reason=(
        f"{reason}; parked as dead letter {letter.id}: `newsworker dead-letters retry {letter.id}` replays it"))
    runtime.store.record_failures([failure])
    return BatchReport(failed=[failure])
